/**
 * The command table, sorted by name. cli.ts builds the program from it; the completion scripts
 * and the README's command reference are generated from it.
 */
import { catalog } from './catalog.js';
import { copy } from './copy.js';
import { del } from './delete.js';
import { digest } from './digest.js';
import { exists } from './exists.js';
import { ls } from './ls.js';
import { manifest } from './manifest.js';
import { pull } from './pull.js';
import { push } from './push.js';
import type { CommandSpec } from './spec.js';

export const COMMANDS: readonly CommandSpec[] = [
  catalog,
  copy,
  del,
  digest,
  exists,
  ls,
  manifest,
  pull,
  push,
];
export type { CommandSpec, OptionSpec } from './spec.js';
