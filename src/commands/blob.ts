import { UsageError } from '../errors.js';
import { formatRepository, parseImageReference, type Reference } from '../ref/index.js';
import { downloadBlob } from '../registry/blob-download.js';
import { deleteBlob } from '../registry/blobs.js';
import { refuseBinaryOnTerminal } from './binary-stdout.js';
import type { CommandSpec } from './spec.js';

/**
 * `blob rm` / `blob delete` is a verb in the first argument's place rather than a commander
 * subcommand: the command table has no subcommands, and a REPO@DIGEST always holds an '@', so the
 * two readings cannot be confused. cli.ts and the completion generator stay as they are.
 */
const DELETE_VERBS = new Set(['rm', 'delete']);

function parseBlobRef(input: string): Reference & { digest: string } {
  const ref = parseImageReference(input);
  if (ref.digest === undefined) {
    throw new UsageError(`'${input}' names no blob: give REPOSITORY@DIGEST`, {
      hint: 'the digests of an image\'s blobs are in its manifest: ferry manifest IMAGE | jq -r ".layers[].digest"',
    });
  }
  return { ...ref, digest: ref.digest };
}

export const blob: CommandSpec = {
  name: 'blob',
  bulk: true,
  summary: 'Write a blob to stdout or FILE, verified while streaming; `blob rm REPO@DIGEST` deletes one',
  args: ['<repo@digest>', '[file]'],
  options: [],
  examples: [
    'ferry blob registry.example.com/app@sha256:… layer.tar.gz',
    'ferry blob registry.example.com/app@sha256:… | tar -tzf -',
    'ferry blob registry.example.com/app@sha256:… -   # to a terminal, on purpose',
    'ferry blob rm registry.example.com/app@sha256:…',
  ],
  async run(ctx, [first, second]) {
    if (DELETE_VERBS.has(first ?? '')) {
      if (second === undefined) throw new UsageError(`blob ${first} needs REPOSITORY@DIGEST`);
      const ref = parseBlobRef(second);
      await deleteBlob(ctx.client(ref.registry), ref.repository, ref.digest);
      ctx.status.info(`deleted blob ${ref.digest} of ${formatRepository(ref)}`);
      return undefined;
    }
    const ref = parseBlobRef(first ?? '');
    const toStdout = second === undefined || second === '-';
    // To a terminal only on explicit request (FILE given as -).
    if (second === undefined)
      refuseBinaryOnTerminal(
        ctx.stdout,
        'a blob',
        'give a FILE, redirect stdout, or pass - as FILE to write to the terminal anyway',
      );
    const client = ctx.client(ref.registry);
    const size = await downloadBlob(
      client,
      ref.repository,
      ref.digest,
      toStdout ? { kind: 'stream', stream: ctx.stdout } : { kind: 'file', path: second },
    );
    if (!toStdout) ctx.status.info(`wrote ${size} bytes of ${ref.digest} to ${second}`);
    return undefined;
  },
};
