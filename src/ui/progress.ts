/**
 * Shows a copy's events to a person, on stderr only (stdout may be carrying a tarball):
 * - on a TTY: a live spinner line (ora): bytes done of the total known so far, the percentage
 *   and an estimate of the time left, and the blobs in flight;
 * - off a TTY (CI logs): one such line every few seconds, never a line per chunk;
 * - under --quiet: nothing.
 * Closing lines follow in every mode but --quiet: one per image, naming it (for `copy -a` and
 * `sync`, one per tag as each finishes), and a note whenever a digest differs from the source's.
 * The line of an image that failed shows under --quiet too: it is an error (fail).
 */
import type { Writable } from 'node:stream';
import { type CopyEvent, type CopySummary, REBUILT_CHILDREN, REBUILT_LAYERS } from '../copy/events.js';
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
  /** How a warning is said (the context's status line, coloured as ferry's warnings are). */
  warn?: (text: string) => void;
}

const short = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** "1 blob", "3 blobs". */
export const count = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

/** "2.5 s", "1 min 05 s": for durations a person reads. */
export function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${String(Math.round(seconds % 60)).padStart(2, '0')} s`;
}

/** What one finished image says: the outcome, what moved, how fast. */
export function summaryLine(summary: CopySummary, label: string, seconds: number): string {
  const root = summary.descriptor.digest;
  const taken = summary.referrers?.copied ?? 0;
  // With -r an image in step may still have brought a new referrer: only nothing sent is "in step".
  if (summary.outcome === 'in-step' && summary.copied === 0 && summary.manifests === 0)
    return `${label}: already in step (${root})${taken > 0 ? `, with ${count(taken, 'referrer')}` : ''}: nothing sent`;
  if (summary.outcome === 'existing') return `${label}: exists (${root}): left alone (--no-clobber)`;
  const rate = seconds > 0 && summary.bytes > 0 ? `, ${humanSize(summary.bytes / seconds)}/s` : '';
  const parts = [`${count(summary.copied, 'blob')} copied (${humanSize(summary.bytes)})`];
  if (summary.skipped > 0) parts.push(`${summary.skipped} skipped`);
  if (summary.mounted > 0) parts.push(`${summary.mounted} mounted`);
  parts.push(count(summary.manifests, 'manifest'));
  if (taken > 0) parts.push(`${count(taken, 'referrer')} with it`);
  return `${label}: ${root}: ${parts.join(', ')} in ${duration(seconds)}${rate}`;
}

/** Said when referrers (signatures, SBOMs) of what was copied did not come along. */
export function referrersNote(summary: CopySummary, remedy = '-r copies them'): string | undefined {
  const referrers = summary.referrers;
  if (!referrers?.left) return undefined;
  const what = `${count(referrers.left, 'referrer')} (signatures, SBOMs, attestations) left behind`;
  return referrers.followed
    ? `note: ${what}: they name a manifest whose digest changed on the way, or an index a --platform pick left out`
    : `note: ${what}: ${remedy}`;
}

/**
 * Said when the destination's digest is not the source's, so nobody is surprised by it later
 * (the brief: digests are kept unless a change was asked for or is required, and then it is said).
 */
export function changeNote(summary: CopySummary): string | undefined {
  if (summary.changes.length === 0) return undefined;
  const compressed = summary.changes.filter((c) => c.kind === 'compressed');
  // A manifest or index rebuilt around gzip'd layers has no reason of its own to add.
  const derived = (reason: string) =>
    compressed.length > 0 && (reason === REBUILT_LAYERS || reason === REBUILT_CHILDREN);
  const reasons = [...new Set(summary.changes.map((c) => c.reason).filter((r) => !derived(r)))];
  const what =
    compressed.length > 0 ? `${count(compressed.length, 'layer')} gzip'd on the way` : 'the manifest rebuilt';
  return `note: ${what} (${reasons.join('; ')}): the digest there is ${summary.descriptor.digest}, not the source's ${summary.sourceDigest}`;
}

export class Progress {
  private readonly active = new Map<string, { descriptor: Descriptor; bytes: number }>();
  /** Every blob a copy of this run has planned, by digest: the total to move or skip. */
  private readonly planned = new Map<string, number>();
  private readonly finished = new Set<string>();
  private doneBlobs = 0;
  /** Bytes moved, plus the sizes of blobs found already there (they count towards the total too). */
  private progressed = 0;
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
      case 'blobs-planned':
        for (const descriptor of event.descriptors) this.plan(descriptor);
        break;
      case 'blob-start': {
        // A retried transfer starts again from zero: take back what its failed attempt counted.
        const retried = this.active.get(event.descriptor.digest);
        if (retried) this.progressed -= retried.bytes;
        this.active.set(event.descriptor.digest, { descriptor: event.descriptor, bytes: 0 });
        this.plan(event.descriptor);
        break;
      }
      case 'blob-progress': {
        const entry = this.active.get(event.descriptor.digest);
        if (entry) {
          this.progressed += event.bytes - entry.bytes;
          entry.bytes = event.bytes;
        }
        break;
      }
      case 'blob-done': {
        const { digest, size } = event.descriptor;
        const entry = this.active.get(digest);
        this.active.delete(digest);
        this.doneBlobs++;
        this.plan(event.descriptor);
        if (!this.finished.has(digest)) {
          this.finished.add(digest);
          // Done counts whole, less what its reading counted already: a copied blob's bytes, or
          // a layer read to be gzip'd whose gzip the destination then had (skipped).
          this.progressed += size - (entry?.bytes ?? 0);
        }
        break;
      }
      case 'platform-picked':
        this.say(`platform ${event.platform}: ${event.descriptor.digest}`);
        break;
      case 'warning':
        this.warn(event.message);
        break;
      default:
        break;
    }
  };

  /** A blob the copy will move or skip: part of the total. */
  private plan(descriptor: Descriptor): void {
    if (!this.planned.has(descriptor.digest)) this.planned.set(descriptor.digest, descriptor.size);
  }

  /** A warning: shown even under --quiet (it says something may be wrong), clear of the spinner. */
  warn(text: string): void {
    this.spinner?.stop();
    if (this.options.warn) this.options.warn(text);
    else this.options.stream.write(`ferry: warning: ${text}\n`);
    this.spinner?.start();
  }

  /** A line for the person, kept clear of the spinner. */
  say(text: string): void {
    if (this.options.quiet) return;
    if (this.spinner) {
      this.spinner.stop();
      this.options.stream.write(`${text}\n`);
      this.spinner.start();
    } else {
      this.options.stream.write(`${text}\n`);
    }
  }

  /**
   * The line of an item that failed, in a run of many that goes on: said even under --quiet,
   * which silences progress and status but never errors (docs/output.md), so a quiet run still
   * says which items failed.
   */
  fail(text: string): void {
    if (this.options.quiet) this.options.stream.write(`${text}\n`);
    else this.say(text);
  }

  private line(): string {
    const total = [...this.planned.values()].reduce((a, b) => a + b, 0);
    const done = Math.min(this.progressed, total);
    const seconds = (performance.now() - this.started) / 1000;
    const parts = [`${count(this.doneBlobs, 'blob')} done`, `${humanSize(done)} of ${humanSize(total)}`];
    if (total > 0) parts.push(`${Math.floor((done / total) * 100)}%`);
    const rate = seconds > 0 ? done / seconds : 0;
    if (rate > 0 && done < total) parts.push(`about ${duration((total - done) / rate)} left`);
    const inflight = [...this.active.values()].map(
      (a) => `${short(a.descriptor.digest)} ${humanSize(a.bytes)}/${humanSize(a.descriptor.size)}`,
    );
    return `${parts.join(', ')}${inflight.length ? `; in flight: ${inflight.join(', ')}` : ''}`;
  }

  private render(): void {
    if (this.spinner) this.spinner.text = this.line();
  }

  /** Seconds since the progress started (closing lines give the time taken). */
  elapsed(): number {
    return (performance.now() - this.started) / 1000;
  }

  /**
   * One finished image: its closing line, and its notes when a digest changed or referrers stayed
   * behind (`remedy`: how this command takes them along; `-r` for copy, pull and push).
   */
  imageDone(summary: CopySummary, label: string, seconds = this.elapsed(), remedy?: string): void {
    this.say(summaryLine(summary, label, seconds));
    for (const note of [changeNote(summary), referrersNote(summary, remedy)]) if (note) this.say(note);
  }

  /** Stops the spinner and the timer; `closing` is said last, when given. */
  finish(closing?: string): void {
    if (this.timer) clearInterval(this.timer);
    this.spinner?.stop();
    this.spinner = undefined;
    if (closing) this.say(closing);
  }
}
