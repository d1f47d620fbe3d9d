import { UsageError } from '../errors.js';
import { parseReference } from '../ref/index.js';
import type { Location } from '../store/location.js';
import type { CommandSpec } from './spec.js';
import { jobsOption, platformsOption, runTransfer } from './transfer-options.js';

const FORMATS = ['docker', 'oci', 'oci-dir'] as const;
type Format = (typeof FORMATS)[number];

export const pull: CommandSpec = {
  name: 'pull',
  summary: 'Download an image to a docker-archive tarball, an OCI tarball or an OCI layout directory',
  args: ['<image>', '<destination>'],
  options: [
    {
      flags: '--format <format>',
      description:
        'docker (docker load tarball, one platform), oci (OCI tarball) or oci-dir (OCI layout directory)',
      defaultValue: 'docker',
      choices: FORMATS,
      parse: (value) => {
        if (!(FORMATS as readonly string[]).includes(value))
          throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not '${value}'`);
        return value;
      },
    },
    platformsOption,
    jobsOption,
  ],
  examples: [
    'ferry pull alpine:3.20 alpine.tar && docker load -i alpine.tar',
    'ferry pull --format oci ghcr.io/org/app:1.0 app-oci.tar',
    'ferry pull --format oci-dir --platform linux/arm64 alpine:3.20 ./alpine',
    'ferry pull alpine:3.20 - | docker load',
  ],
  async run(ctx, [image, dest], options) {
    const ref = parseReference(image ?? '');
    const path = dest ?? '';
    const format = options['format'] as Format;
    if (format === 'oci-dir' && path === '-')
      throw new UsageError('an OCI layout directory cannot be written to stdout: use --format oci or docker');
    const tag = ref.tag ?? 'latest';
    const destination: Location =
      format === 'docker'
        ? { kind: 'docker-archive', path }
        : format === 'oci'
          ? { kind: 'oci-archive', path, tag }
          : { kind: 'oci', path, tag };
    await runTransfer(ctx, { kind: 'registry', ref }, destination, options);
    return undefined;
  },
};
