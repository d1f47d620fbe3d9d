/**
 * What each command prints with --json, and the item each --format template sees: every shape is
 * declared once in this folder (listing.ts, image.ts, transfer.ts, in the vocabulary of
 * ../shape.ts), next to the one function that builds it. docs/output.md is
 * generated from OUTPUTS below (`npm run docs`, scripts/docs.ts), and test/unit/ui/shapes.test.ts holds each
 * function to its shape. Changing a key here is a change to a public contract: add keys, do not
 * rename or remove them.
 */
import type { ObjectType } from '../shape.js';
import { artifactShape } from './artifact.js';
import { buildShape } from './build.js';
import {
  blobPutShape,
  configShape,
  deleteShape,
  digestShape,
  existsShape,
  manifestPutShape,
  manifestShape,
  ratelimitShape,
  tagShape,
} from './image.js';
import { catalogItemShape, catalogShape, tagItemShape, tagRowsShape, tagsShape } from './listing.js';
import { referrerItemShape, referrersShape } from './referrers.js';
import { syncShape } from './sync.js';
import { transferShape } from './transfer.js';

export * from './artifact.js';
export * from './build.js';
export * from './image.js';
export * from './listing.js';
export * from './referrers.js';
export * from './sync.js';
export * from './transfer.js';

// ---- the table docs/output.md is generated from -----------------------------------------------

export interface OutputSpec {
  /** `ls --json`, `ls --format`, … (after `ferry `). */
  title: string;
  /** One sentence: what is printed, and when. */
  note: string;
  /** How --json prints the shape: one object, or an array of them; absent when --json prints something else. */
  json?: 'object' | 'array';
  /** Whether --format templates see this shape (and use the template names). */
  template: boolean;
  shape: ObjectType;
}

export const OUTPUTS: readonly OutputSpec[] = [
  {
    title: 'catalog --json',
    json: 'object',
    template: false,
    shape: catalogShape,
    note: 'One object for the page (for every repository without `--limit`).',
  },
  { title: 'catalog --format', template: true, shape: catalogItemShape, note: 'One line per repository.' },
  {
    title: 'ls --json',
    json: 'object',
    template: false,
    shape: tagsShape,
    note: 'The tags after filtering.',
  },
  {
    title: 'ls -l --json',
    json: 'object',
    template: false,
    shape: tagRowsShape,
    note: 'The tags after filtering, described; `next` as in `ls --json`.',
  },
  {
    title: 'ls --format',
    template: true,
    shape: tagItemShape,
    note: 'One line per tag, after filtering. Tags are described (a manifest and config GET each) only when the template reads more than `.Tag` and `.Repository`.',
  },
  {
    title: 'digest --json, --format',
    json: 'object',
    template: true,
    shape: digestShape,
    note: 'One answer.',
  },
  {
    title: 'manifest --format',
    template: true,
    shape: manifestShape,
    note: 'One line. (`manifest` and `manifest --json` print the manifest itself, byte for byte as served.)',
  },
  {
    title: 'manifest put --json, --format',
    json: 'object',
    template: true,
    shape: manifestPutShape,
    note: 'One answer, once the registry took the manifest. Without either, the digest alone.',
  },
  {
    title: 'blob put --json, --format',
    json: 'object',
    template: true,
    shape: blobPutShape,
    note: 'One answer, once the blob is there. Without either, the digest alone.',
  },
  {
    title: 'exists --json, --format',
    json: 'object',
    template: true,
    shape: existsShape,
    note: 'One answer, for present and absent alike; the exit code is 0 or 1 either way.',
  },
  {
    title: 'delete --json, --format',
    json: 'object',
    template: true,
    shape: deleteShape,
    note: 'One answer, after the deletion (or instead of it, with `--dry-run`).',
  },
  {
    title: 'pull, push, copy --json; push, copy --format; pull --template',
    json: 'object',
    template: true,
    shape: transferShape,
    note: 'One summary when the transfer is done; `copy --all-tags` prints one per tag (`--json`: an array of them). Progress stays on stderr.',
  },
  {
    title: 'append, mutate, index create, index add, index remove --json, --format',
    json: 'object',
    template: true,
    shape: buildShape,
    note: 'One summary once the result is pushed. Without `--json` or `--format` the new digest alone is printed. Progress stays on stderr.',
  },
  {
    title: 'tag --json, --format',
    json: 'object',
    template: true,
    shape: tagShape,
    note: 'One answer, once the new tag is there.',
  },
  {
    title: 'sync --json, --format',
    json: 'array',
    template: true,
    shape: syncShape,
    note: 'One record per image of the mirror, in the order of the file (entry, repository, tag), after the run (or the plan, with `--dry-run`): copied, in step, filtered, would copy, or failed. Progress and one closing line per copied or failed image stay on stderr.',
  },
  {
    title: 'config --format',
    template: true,
    shape: configShape,
    note: 'One line. (`config` and `config --json` print the config itself, byte for byte as served.)',
  },
  {
    title: 'referrers --json',
    json: 'object',
    template: false,
    shape: referrersShape,
    note: 'The image and its referrers (with `--tree`, theirs too, each after the one it refers to).',
  },
  {
    title: 'referrers --format',
    template: true,
    shape: referrerItemShape,
    note: 'One line per referrer.',
  },
  {
    title: 'artifact push, artifact pull, attach --json, --format',
    json: 'object',
    template: true,
    shape: artifactShape,
    note: 'One answer once the files are pushed or written. Progress stays on stderr.',
  },
  {
    title: 'ratelimit --json, --format',
    json: 'object',
    template: true,
    shape: ratelimitShape,
    note: 'One answer; all null when the registry sent no rate-limit headers.',
  },
];
