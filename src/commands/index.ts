/**
 * The command table, sorted by name. cli.ts builds the program from it; the completion scripts
 * and the README's command reference are generated from it.
 */
import { catalog } from './catalog.js';
import { digest } from './digest.js';
import { exists } from './exists.js';
import { ls } from './ls.js';
import { manifest } from './manifest.js';
import type { CommandSpec } from './spec.js';

export const COMMANDS: readonly CommandSpec[] = [catalog, digest, exists, ls, manifest];
export type { CommandSpec, OptionSpec } from './spec.js';
