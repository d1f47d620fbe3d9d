/**
 * The command table, sorted by name. cli.ts builds the program from it; the completion scripts
 * and the README's command reference are generated from it.
 */
import { append } from './append.js';
import { artifact } from './artifact.js';
import { attach } from './attach.js';
import { blob } from './blob.js';
import { catalog } from './catalog.js';
import { completion } from './completion.js';
import { config } from './config.js';
import { copy } from './copy.js';
import { del } from './delete.js';
import { digest } from './digest.js';
import { exists } from './exists.js';
import { exportFs } from './export.js';
import { imageIndex } from './image-index.js';
import { login } from './login.js';
import { logout } from './logout.js';
import { ls } from './ls.js';
import { manifest } from './manifest.js';
import { mutate } from './mutate.js';
import { pull } from './pull.js';
import { push } from './push.js';
import { ratelimit } from './ratelimit.js';
import { referrers } from './referrers.js';
import type { CommandSpec } from './spec.js';
import { sync } from './sync.js';
import { tag } from './tag.js';

export const COMMANDS: readonly CommandSpec[] = [
  append,
  artifact,
  attach,
  blob,
  catalog,
  completion,
  config,
  copy,
  del,
  digest,
  exists,
  exportFs,
  imageIndex,
  login,
  logout,
  ls,
  manifest,
  mutate,
  pull,
  push,
  ratelimit,
  referrers,
  sync,
  tag,
];
export type { CommandSpec, OptionSpec } from './spec.js';
