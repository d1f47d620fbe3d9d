import type { Readable, Writable } from 'node:stream';
import { UsageError } from '../errors.js';
import { tempDirOf } from './build-options.js';
import { platformOption } from './options.js';
import { defineCommand } from './spec.js';
import { DEFAULT_JOBS, jobsOption } from './transfer-options.js';

/** Writes `tar` to `out` chunk by chunk, waiting when it is full; `out` is left open (stdout). */
async function writeAll(tar: Readable, out: Writable): Promise<void> {
  for await (const chunk of tar) {
    if (!out.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const done = (err?: Error): void => {
          out.off('drain', done);
          out.off('error', done);
          if (err) reject(err);
          else resolve();
        };
        out.on('drain', done);
        out.on('error', done);
      });
    }
  }
}

export const exportFs = defineCommand({
  name: 'export',
  summary:
    'Write the flattened filesystem of an image (every layer applied, whiteouts honoured) as one tar file, or to stdout',
  args: ['<image>', '<file>'],
  options: [
    { ...platformOption, description: 'the platform of an index to export (default: this machine’s)' },
    jobsOption,
  ],
  examples: [
    'ferry export alpine:3.20 alpine-rootfs.tar',
    'ferry export --platform linux/arm64 ghcr.io/org/app:1.0 - | tar -t',
  ],
  async run(ctx, [image = '', file = ''], options) {
    const toStdout = file === '-';
    if (toStdout && ctx.stdout.isTTY)
      throw new UsageError('refusing to write a tar to a terminal', {
        hint: 'redirect stdout (ferry export IMAGE - > rootfs.tar) or name a file',
      });
    const { exportFilesystem } = await import('../build/export.js');
    const { writeFileAtomic } = await import('../util/atomic-file.js');
    // The IMAGE forms of manifest and config (docs/locations.md), a path that exists included.
    const { readLocation, explained } = await import('../store/detect.js');
    const argument = await readLocation(image);
    const summary = await explained(argument, () =>
      exportFilesystem({
        image: argument.location,
        platform: options.platform,
        client: (registry) => ctx.client(registry),
        tempDir: tempDirOf(ctx),
        jobs: options.jobs ?? DEFAULT_JOBS,
        write: async (tar) => {
          if (toStdout) await writeAll(tar, ctx.stdout);
          else await writeFileAtomic(file, tar);
        },
      }),
    );
    ctx.status.info(
      `exported ${summary.digest}: ${summary.entries} entries from ${summary.layers} layers${toStdout ? '' : ` to ${file}`}`,
    );
    return undefined;
  },
});
