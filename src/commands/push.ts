import { parseReference } from '../ref/index.js';
import { detectLocation } from '../store/detect.js';
import type { CommandSpec } from './spec.js';
import { chunkSizeOption, jobsOption, platformsOption, runTransfer } from './transfer-options.js';

export const push: CommandSpec = {
  name: 'push',
  summary: 'Upload an image from a docker-archive, an OCI tarball or an OCI layout directory',
  args: ['<source>', '<image>'],
  options: [platformsOption, jobsOption, chunkSizeOption],
  examples: [
    'ferry push image.tar registry.example.com/app:1.0',
    'ferry push ./oci-layout:v1 localhost:5000/app:v1',
    'ferry push docker-archive:saved.tar:app:1.0 ghcr.io/org/app:1.0',
  ],
  async run(ctx, [from, image], options) {
    const destination = parseReference(image ?? '');
    const source = await detectLocation(from ?? '');
    await runTransfer(ctx, source, { kind: 'registry', ref: destination }, options);
    return undefined;
  },
};
