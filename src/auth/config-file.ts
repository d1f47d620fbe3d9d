/**
 * config.json as `login` and `logout` change it: which file, its current text, and writing it
 * back atomically with its mode kept.
 *
 * Which file: `$DOCKER_CONFIG/config.json` when DOCKER_CONFIG is set (docker's rule, even before
 * the file exists); otherwise the file ferry reads credentials from (docker-config.ts: ~/.docker,
 * then Podman's auth.json), so a login never hides credentials ferry was using; otherwise a new
 * `~/.docker/config.json`.
 *
 * A file that does not parse is refused, never overwritten: it may hold the user's only copy of
 * other settings. A symlinked config.json (dotfile managers) is written through to its target,
 * as docker does, so the link survives.
 */
import { lstat, mkdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LocalError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { configFileCandidates, type DockerConfig, parseDockerConfig } from './docker-config.js';

/** Mode of a config.json ferry creates: it holds secrets (docker uses 0600 too). */
const NEW_FILE_MODE = 0o600;
/** Mode of a config directory ferry creates (docker: 0700). */
const NEW_DIR_MODE = 0o700;

export interface ConfigForUpdate {
  /** The file as named (for messages). */
  path: string;
  /** Where the bytes go: `path`, or its target when `path` is a symlink. */
  target: string;
  /** The current text; undefined when the file does not exist yet. */
  text: string | undefined;
  /** The current content, parsed (empty when the file does not exist). */
  config: DockerConfig;
  /** The existing file's permission bits, kept on rewrite. */
  mode: number | undefined;
}

const exists = (path: string): Promise<boolean> =>
  lstat(path).then(
    () => true,
    () => false,
  );

/** The config file login and logout change (see the file comment). */
export async function configPathForUpdate(env: NodeJS.ProcessEnv): Promise<string> {
  if (env['DOCKER_CONFIG']) return join(env['DOCKER_CONFIG'], 'config.json');
  for (const path of configFileCandidates(env)) if (await exists(path)) return path;
  if (env['HOME']) return join(env['HOME'], '.docker', 'config.json');
  throw new LocalError('cannot tell where to keep credentials: neither DOCKER_CONFIG nor HOME is set');
}

const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

export async function readConfigForUpdate(path: string): Promise<ConfigForUpdate> {
  const empty: DockerConfig = {
    origin: path,
    auths: new Map(),
    credHelpers: new Map(),
    credsStore: undefined,
  };
  let target = path;
  try {
    target = await realpath(path);
  } catch (err) {
    if (errno(err) !== 'ENOENT')
      throw new LocalError(`cannot read ${path}: ${errno(err) ?? err}`, { cause: err });
  }
  let text: string;
  let mode: number;
  try {
    text = await readFile(target, 'utf8');
    mode = (await stat(target)).mode & 0o7777;
  } catch (err) {
    if (errno(err) === 'ENOENT') return { path, target, text: undefined, config: empty, mode: undefined };
    throw new LocalError(`cannot read ${path}: ${errno(err) ?? err}`, { cause: err });
  }
  try {
    return { path, target, text, config: parseDockerConfig(text, path), mode };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new LocalError(
      `refusing to change ${path}: ${message.replace(`${path}: `, '').replace(`${path} `, 'it ')}`,
      {
        hint: 'fix the file by hand (or move it away); ferry does not overwrite a config it cannot read',
        cause: err,
      },
    );
  }
}

/**
 * Replaces the file's content with `text`, atomically. The new text is parsed first: ferry never
 * writes a config it could not read back.
 */
export async function writeConfig(file: ConfigForUpdate, text: string): Promise<void> {
  parseDockerConfig(text, file.path);
  const dir = dirname(file.target);
  await mkdir(dir, { recursive: true, mode: NEW_DIR_MODE }).catch((err: unknown) => {
    throw new LocalError(`cannot create ${dir}: ${errno(err) ?? err}`, { cause: err });
  });
  await writeFileAtomic(file.target, Buffer.from(text, 'utf8'), { mode: file.mode ?? NEW_FILE_MODE });
}
