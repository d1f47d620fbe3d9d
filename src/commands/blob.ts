import { UsageError } from '../errors.js';
import { formatRepository, parseImageReference, parseRepository, type Reference } from '../ref/index.js';
import { downloadBlob } from '../registry/blob-download.js';
import { deleteBlob } from '../registry/blobs.js';
import { blobPutJson, blobPutShape } from '../ui/shapes/index.js';
import { refuseBinaryOnTerminal } from './binary-stdout.js';
import { formatOption, jsonOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

function parseBlobRef(input: string): Reference & { digest: string } {
  const ref = parseImageReference(input);
  if (ref.digest === undefined) {
    throw new UsageError(`'${input}' names no blob: give REPOSITORY@DIGEST`, {
      hint: 'the digests of an image\'s blobs are in its manifest: ferry manifest IMAGE | jq -r ".layers[].digest"',
    });
  }
  return { ...ref, digest: ref.digest };
}

const blobPut = defineCommand({
  name: 'put',
  summary: 'Upload FILE (or standard input, -) as a blob of REPO and print its digest',
  args: ['<repo>', '<file>'],
  options: [jsonOption, formatOption(blobPutShape, 'the blob')],
  examples: [
    'ferry blob put registry.example.com/app layer.tar.gz',
    'tar -cz -C rootfs . | ferry blob put localhost:5000/app -',
    'ferry blob put --json localhost:5000/app config.json | jq -r .digest',
  ],
  async run(ctx, [repository, file], options) {
    const output = outputChoice(options.json, options.format);
    const ref = parseRepository((repository ?? '').replace(/^docker:\/\//, ''));
    const { putBlob } = await import('../registry/blob-put.js');
    const source =
      file === '-'
        ? { kind: 'stream' as const, stream: ctx.stdinData('FILE') }
        : { kind: 'file' as const, path: file ?? '' };
    const result = await putBlob(ctx.client(ref.registry), ref.repository, source, ctx.retrier);
    const data = blobPutJson(formatRepository(ref), result);
    printResult(ctx, output, { json: data, text: result.digest });
    ctx.status.info(
      result.existing
        ? `${data.repository} has ${result.digest} already: nothing sent`
        : `uploaded ${result.size} bytes to ${data.repository}`,
    );
    return undefined;
  },
});

const blobRm = defineCommand({
  name: 'rm',
  aliases: ['delete'],
  summary: 'Delete a blob from a repository (registries that allow it)',
  args: ['<repo@digest>'],
  options: [],
  examples: ['ferry blob rm registry.example.com/app@sha256:…'],
  async run(ctx, [input]) {
    const ref = parseBlobRef(input ?? '');
    await deleteBlob(ctx.client(ref.registry), ref.repository, ref.digest);
    ctx.status.info(`deleted blob ${ref.digest} of ${formatRepository(ref)}`);
    return undefined;
  },
});

export const blob = defineCommand({
  name: 'blob',
  summary:
    'Write a blob to stdout or FILE, verified while streaming (blob put uploads one, blob rm deletes one)',
  args: ['<repo@digest>', '[file]'],
  options: [],
  subcommands: [blobPut, blobRm],
  examples: [
    'ferry blob registry.example.com/app@sha256:… layer.tar.gz',
    'ferry blob registry.example.com/app@sha256:… | tar -tzf -',
    'ferry blob registry.example.com/app@sha256:… -   # to a terminal, on purpose',
  ],
  async run(ctx, [first, second]) {
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
});
