/**
 * The one time a build writes, so the same inputs give the same digest on every run and machine
 * (reproducible-builds.org's SOURCE_DATE_EPOCH; BuildKit, ko and umoci honour it too):
 * `--created` wins, then SOURCE_DATE_EPOCH. It becomes the config's `created`, the history entries
 * a build adds, and the mtime of every file of a layer made from a directory.
 *
 * With neither, nothing depends on the clock either: files made from a directory get the Unix
 * epoch (as ko does), and a config keeps the `created` it had (an appended history entry takes
 * that same time), so an image is no "55 years old" merely because ferry touched it.
 */
import { UsageError } from '../errors.js';

export interface BuildTime {
  /** RFC 3339, UTC, whole seconds: what configs and history entries get; undefined: keep theirs. */
  created: string | undefined;
  /** Seconds since the epoch, for the files of layers made from directories. */
  mtimeSeconds: number;
}

/** Past 9999-12-31 an RFC 3339 year no longer has four digits. */
const MAX_SECONDS = 253402300799;

function fromSeconds(seconds: number, what: string): BuildTime {
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_SECONDS)
    throw new UsageError(`${what} is out of range`);
  return { created: new Date(seconds * 1000).toISOString().replace('.000Z', 'Z'), mtimeSeconds: seconds };
}

/** '1700000000', '2024-05-01T12:00:00Z', '2024-05-01T14:00:00+02:00', '2024-05-01' → the time. */
export function parseCreated(value: string, what = '--created'): BuildTime {
  const text = value.trim();
  if (/^\d+$/.test(text)) return fromSeconds(Number(text), `${what} ${text}`);
  // RFC 3339 (a date alone means its midnight, UTC); fractions of a second are dropped so the
  // time round-trips through a tar header's whole-second mtime.
  const m = /^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$/.exec(text);
  const ms = m
    ? Date.parse(m[2] ? `${m[1]}T${m[2]}${m[3]!.toUpperCase()}` : `${m[1]}T00:00:00Z`)
    : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(
      `${what} must be seconds since the epoch or an RFC 3339 time such as 2024-05-01T12:00:00Z, not '${value}'`,
    );
  return fromSeconds(Math.floor(ms / 1000), `${what} ${text}`);
}

/** --created, else SOURCE_DATE_EPOCH (seconds, as the specification says), else keep and epoch. */
export function buildTime(created: string | undefined, env: NodeJS.ProcessEnv): BuildTime {
  if (created !== undefined) return parseCreated(created);
  const epoch = env['SOURCE_DATE_EPOCH'];
  if (epoch !== undefined && epoch !== '') {
    if (!/^\d+$/.test(epoch.trim()))
      throw new UsageError(`SOURCE_DATE_EPOCH must be a whole number of seconds, not '${epoch}'`);
    return fromSeconds(Number(epoch.trim()), 'SOURCE_DATE_EPOCH');
  }
  return { created: undefined, mtimeSeconds: 0 };
}
