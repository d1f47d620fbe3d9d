import { UsageError } from '../errors.js';
import { parseImageReference } from '../ref/index.js';
import type { Location } from '../store/location.js';
import { transferJson } from '../ui/shapes/index.js';
import { refuseBinaryOnTerminal } from './binary-stdout.js';
import { jsonOption } from './options.js';
import { outputChoice } from './print.js';
import { defineCommand, localArg, oneOf, option } from './spec.js';
import {
  compressOption,
  copyPlatformsOption,
  jobsOption,
  preserveDigestsOption,
  printTransfers,
  referrersOption,
  runTransfer,
  transferTemplateOption,
} from './transfer-options.js';

const FORMATS = ['docker', 'oci', 'oci-dir'] as const;

export const pull = defineCommand({
  name: 'pull',
  summary: 'Download an image to a docker-archive tarball, an OCI tarball or an OCI layout directory',
  args: ['<image>', localArg('<destination>')],
  options: [
    option({
      flags: '--format <format>',
      description:
        'docker (docker load tarball, one platform), oci (OCI tarball) or oci-dir (OCI layout directory)',
      defaultValue: 'docker',
      choices: FORMATS,
      parse: oneOf('--format', FORMATS, (value) =>
        value.includes('{{') ? 'pull takes a summary template as --template' : undefined,
      ),
    }),
    copyPlatformsOption,
    jobsOption,
    compressOption,
    preserveDigestsOption,
    referrersOption,
    jsonOption,
    transferTemplateOption,
  ],
  examples: [
    'ferry pull alpine:3.20 alpine.tar && docker load -i alpine.tar',
    'ferry pull --format oci ghcr.io/org/app:1.0 app-oci.tar',
    'ferry pull --format oci-dir --platform linux/arm64 alpine:3.20 ./alpine',
    'ferry pull -r --format oci-dir ghcr.io/org/app:1.0 ./app   # with its signatures and SBOMs',
    'ferry pull alpine:3.20 - | docker load',
    "ferry pull -q --template '{{.Digest}}' alpine:3.20 alpine.tar",
  ],
  async run(ctx, [image, dest], options) {
    const output = outputChoice(options.json, options.template, '--template');
    const ref = parseImageReference(image ?? '');
    const path = dest ?? '';
    const format = options.format;
    if (format === 'oci-dir' && path === '-')
      throw new UsageError('an OCI layout directory cannot be written to stdout: use --format oci or docker');
    if (path === '-' && output.kind !== 'text')
      throw new UsageError('--json and --template need stdout, which carries the tarball here');
    if (path === '-')
      refuseBinaryOnTerminal(ctx.stdout, 'a tarball', 'redirect stdout: ferry pull IMAGE - | docker load');
    const tag = ref.tag ?? 'latest';
    const destination: Location =
      format === 'docker'
        ? { kind: 'docker-archive', path }
        : format === 'oci'
          ? { kind: 'oci-archive', path, tag }
          : { kind: 'oci', path, tag };
    const source: Location = { kind: 'registry', ref };
    const summary = await runTransfer(ctx, source, destination, options);
    printTransfers(ctx, output, [transferJson(source, destination, summary)]);
    return undefined;
  },
});
