import { MANIFEST_ACCEPT } from '../image/media-types.js';
import { formatPlatform } from '../image/platform.js';
import { formatReference, parseImageReference } from '../ref/index.js';
import { manifestJson, manifestPutJson, manifestPutShape, manifestShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption, platformOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

const manifestPut = defineCommand({
  name: 'put',
  summary:
    'Upload FILE (or standard input, -) as the manifest or index IMAGE names, byte for byte, and print its digest',
  args: ['<image>', '<file>'],
  options: [
    {
      flags: '--media-type <type>',
      description: 'the Content-Type, for a manifest without a mediaType field (must agree with one it has)',
      choices: MANIFEST_ACCEPT,
    },
    jsonOption,
    formatOption(manifestPutShape, 'what was put'),
  ],
  examples: [
    'ferry manifest put registry.example.com/app:1.0 manifest.json',
    'jq .annotations.x=1 m.json | ferry manifest put localhost:5000/app:1.0 -',
    'ferry manifest put --media-type application/vnd.oci.image.manifest.v1+json localhost:5000/app:v2 oci.json',
  ],
  async run(ctx, [image, file], options) {
    const output = outputChoice(options.json, options.format);
    const ref = parseImageReference(image ?? '');
    const { pushManifest } = await import('../registry/manifest-put.js');
    const source =
      file === '-'
        ? { kind: 'stream' as const, stream: ctx.stdinData('FILE') }
        : { kind: 'file' as const, path: file ?? '' };
    const put = await pushManifest(ctx.client(ref.registry), ref, source, options.mediaType);
    const data = manifestPutJson(formatReference(ref), put);
    printResult(ctx, output, { json: data, text: put.digest });
    ctx.status.info(`put ${put.mediaType} (${put.size} bytes) as ${data.reference}`);
    return undefined;
  },
});

export const manifest = defineCommand({
  name: 'manifest',
  summary: 'Print the manifest or index of an image, byte for byte as served (manifest put uploads one)',
  args: ['<image>'],
  subcommands: [manifestPut],
  options: [
    platformOption,
    {
      flags: '--json',
      description:
        'the same bytes: a manifest is JSON already (accepted so scripts can pass --json everywhere)',
    },
    formatOption(manifestShape, 'fields of the manifest and its descriptor'),
  ],
  examples: [
    'ferry manifest alpine:3.20',
    'ferry manifest --platform linux/arm64 alpine:3.20 | jq .layers',
    "ferry manifest --format '{{.MediaType}} {{.Size}} {{len .Manifest.layers}}' alpine:3.20",
    'ferry manifest oci:./layout:v1',
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options.json, options.format);
    const { readLocation, explained } = await import('../store/detect.js');
    const { inspectManifest } = await import('../store/inspect.js');
    const argument = await readLocation(image ?? '');
    const resolved = await explained(argument, () =>
      inspectManifest(argument.location, (r) => ctx.client(r), options.platform),
    );
    const platform = resolved.platform && formatPlatform(resolved.platform);
    const fetched = { ...resolved.descriptor, bytes: resolved.bytes };
    // The exact bytes, with --json too (their digest is the image's digest), when piped; a
    // terminal gets them indented, for reading.
    printResult(ctx, output, {
      records: [manifestJson(resolved.name, fetched, platform)],
      text: resolved.bytes,
    });
    return undefined;
  },
});
