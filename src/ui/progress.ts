/**
 * Shows a copy's events to a person, on stderr only (stdout may be carrying a tarball):
 * - on a TTY: a live spinner line (ora) naming the blobs in flight with byte counters;
 * - off a TTY (CI logs): one summary line every few seconds, never a line per chunk;
 * - under --quiet: nothing.
 * A closing summary line follows in every mode but --quiet.
 */
import type { Writable } from 'node:stream';
import type { CopyEvent, CopySummary } from '../copy/events.js';
import type { Descriptor } from '../image/descriptor.js';
import { humanSize } from './table.js';

export interface ProgressOptions {
  stream: Writable & { isTTY?: boolean };
  quiet: boolean;
  env: NodeJS.ProcessEnv;
  /**
   * Whether stderr takes colour (color.ts). ora colours its spinner through chalk's own detection,
   * which ignores NO_COLOR, so ferry's decision is passed down.
   */
  color?: boolean;
  /** Seconds between lines off a TTY. */
  intervalSeconds?: number;
}

const short = (d: Descriptor) => d.digest.replace(/^sha256:/, '').slice(0, 12);

export class Progress {
  private readonly active = new Map<string, { descriptor: Descriptor; bytes: number }>();
  private done = 0;
  private bytes = 0;
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private spinner: { text: string; start(): unknown; stop(): unknown } | undefined;
  private readonly interactive: boolean;

  constructor(private readonly options: ProgressOptions) {
    const env = options.env;
    this.interactive =
      !options.quiet && options.stream.isTTY === true && env['TERM'] !== 'dumb' && !('CI' in env);
  }

  async start(): Promise<void> {
    if (this.options.quiet) return;
    if (this.interactive) {
      const { default: ora } = await import('ora');
      this.spinner = ora({
        stream: this.options.stream,
        discardStdin: false,
        text: 'starting',
        color: this.options.color === false ? false : 'cyan',
      }).start();
      this.timer = setInterval(() => this.render(), 100);
    } else {
      this.timer = setInterval(
        () => this.options.stream.write(`${this.line()}\n`),
        (this.options.intervalSeconds ?? 5) * 1000,
      );
    }
    this.timer.unref();
  }

  readonly onEvent = (event: CopyEvent): void => {
    switch (event.type) {
      case 'blob-start': {
        // A retried transfer starts again from zero: take back what its failed attempt counted.
        const retried = this.active.get(event.descriptor.digest);
        if (retried) this.bytes -= retried.bytes;
        this.active.set(event.descriptor.digest, { descriptor: event.descriptor, bytes: 0 });
        break;
      }
      case 'blob-progress': {
        const entry = this.active.get(event.descriptor.digest);
        if (entry) {
          this.bytes += event.bytes - entry.bytes;
          entry.bytes = event.bytes;
        }
        break;
      }
      case 'blob-done':
        this.active.delete(event.descriptor.digest);
        this.done++;
        break;
      case 'platform-picked':
        if (!this.options.quiet) this.print(`platform ${event.platform}: ${event.descriptor.digest}`);
        break;
      default:
        break;
    }
  };

  private print(text: string): void {
    if (this.spinner) {
      this.spinner.stop();
      this.options.stream.write(`${text}\n`);
      this.spinner.start();
    } else {
      this.options.stream.write(`${text}\n`);
    }
  }

  private line(): string {
    const inflight = [...this.active.values()].map(
      (a) => `${short(a.descriptor)} ${humanSize(a.bytes)}/${humanSize(a.descriptor.size)}`,
    );
    return `${this.done} blobs done, ${humanSize(this.bytes)} moved${inflight.length ? `; in flight: ${inflight.join(', ')}` : ''}`;
  }

  private render(): void {
    if (this.spinner) this.spinner.text = this.line();
  }

  finish(summary: CopySummary | undefined): void {
    if (this.timer) clearInterval(this.timer);
    this.spinner?.stop();
    this.spinner = undefined;
    if (this.options.quiet || !summary) return;
    const seconds = (performance.now() - this.started) / 1000;
    const rate = seconds > 0 ? `, ${humanSize(summary.bytes / seconds)}/s` : '';
    this.options.stream.write(
      `${summary.descriptor.digest}: ${summary.copied} blobs copied (${humanSize(summary.bytes)}), ${summary.skipped} skipped, ${summary.mounted} mounted, ${summary.manifests} manifests in ${seconds.toFixed(1)}s${rate}\n`,
    );
  }
}
