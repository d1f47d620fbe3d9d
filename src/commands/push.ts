import { parseImageReference } from '../ref/index.js';
import { type Location, parseLocation, registryOf } from '../store/location.js';
import { transferJson } from '../ui/shapes/index.js';
import { jsonOption } from './options.js';
import { outputChoice } from './print.js';
import { defineCommand, localArg } from './spec.js';
import { printTransfers, runTransfer, TRANSFER_OPTIONS, transferFormatOption } from './transfer-options.js';

export const push = defineCommand({
  name: 'push',
  summary: 'Upload an image from a docker-archive, an OCI tarball or an OCI layout directory',
  args: [localArg('<source>'), '<image>'],
  options: [...TRANSFER_OPTIONS, jsonOption, transferFormatOption],
  examples: [
    'ferry push image.tar registry.example.com/app:1.0',
    'ferry push ./oci-layout:v1 localhost:5000/app:v1',
    'ferry push -r ./app:1.0 registry.example.com/app:1.0   # with the referrers the layout holds',
    'ferry push docker-archive:saved.tar:app:1.0 ghcr.io/org/app:1.0',
    "ferry push -q --format '{{.Digest}}' image.tar registry.example.com/app:1.0",
  ],
  // A docker:// source is a registry too (a copy under push's name).
  registries: ([from = '', image = '']) => [
    /^docker:/.test(from) ? registryOf(parseLocation(from)) : undefined,
    parseImageReference(image).registry,
  ],
  async run(ctx, [from, image], options) {
    const output = outputChoice(options.json, options.format);
    const destination: Location = { kind: 'registry', ref: parseImageReference(image ?? '') };
    const { detectLocation } = await import('../store/detect.js');
    const source = await detectLocation(from ?? '');
    const summary = await runTransfer(ctx, source, destination, options);
    printTransfers(ctx, output, [transferJson(source, destination, summary)]);
    return undefined;
  },
});
