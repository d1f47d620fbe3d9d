/**
 * Questions on a terminal, for `ferry login` without --password-stdin (as docker, crane, regctl
 * and oras ask). The question goes to stderr (stdout stays data); a password is read with the
 * terminal in raw mode, so nothing typed is echoed, and Backspace, Ctrl-U, Ctrl-C and Ctrl-D do what
 * a shell user expects. Only for a terminal on both ends: a script must say --password-stdin.
 */
import type { Readable, Writable } from 'node:stream';
import { ExitCode, FerryError, UsageError } from '../errors.js';

type TtyIn = Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
type TtyOut = Writable & { isTTY?: boolean };

export function canPrompt(stdin: TtyIn, stderr: TtyOut): boolean {
  return stdin.isTTY === true && stderr.isTTY === true && typeof stdin.setRawMode === 'function';
}

class Interrupted extends FerryError {
  constructor() {
    super('E_USAGE', 'interrupted');
  }
  override get exitCode(): typeof ExitCode.interrupted {
    return ExitCode.interrupted;
  }
}

/**
 * Asks `question` on stderr and reads one line from the terminal; `secret` keeps it from being
 * echoed. Resolves with the line (without its end); Ctrl-C rejects (exit 130), Ctrl-D on an empty
 * line rejects as a usage error.
 */
export function ask(stdin: TtyIn, stderr: TtyOut, question: string, secret: boolean): Promise<string> {
  stderr.write(question);
  stdin.setRawMode?.(true);
  stdin.resume();
  let line = '';
  return new Promise<string>((resolve, reject) => {
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      stderr.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: Buffer | string): void => {
      for (const ch of Buffer.from(chunk).toString('utf8')) {
        switch (ch) {
          case '\r':
          case '\n':
            finish();
            return;
          case '\u0003': // Ctrl-C
            finish(new Interrupted());
            return;
          case '\u0004': // Ctrl-D
            if (line === '') {
              finish(new UsageError('no answer given'));
              return;
            }
            break;
          case '\u007f': // Backspace
          case '\b':
            if (line.length > 0) {
              line = [...line].slice(0, -1).join('');
              if (!secret) stderr.write('\b \b');
            }
            break;
          case '\u0015': // Ctrl-U: erase the line
            if (!secret) stderr.write('\b \b'.repeat([...line].length));
            line = '';
            break;
          default:
            if (ch >= ' ') {
              line += ch;
              if (!secret) stderr.write(ch);
            }
        }
      }
    };
    stdin.on('data', onData);
  });
}
