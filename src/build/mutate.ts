/**
 * `mutate SRC DST`: a new config (and so a new manifest) for every image of SRC, or those of
 * `--platform`, with the changes asked for; manifest annotations on each changed manifest and on a
 * rebuilt index. Layers are never re-uploaded: the built source serves them from SRC, where the
 * engine mounts or skips them (rewrite.ts).
 */
import { UsageError } from '../errors.js';
import type { Platform } from '../image/descriptor.js';
import type { RegistryClient } from '../registry/client.js';
import type { Location } from '../store/location.js';
import { openSource } from '../store/open.js';
import type { Built } from './append.js';
import { BuiltSource } from './built-source.js';
import { applyChanges, type ConfigChanges } from './config-edit.js';
import { rewriteImages } from './rewrite.js';

export interface MutateRequest {
  source: Location;
  changes: ConfigChanges;
  annotations?: Readonly<Record<string, string>> | undefined;
  platforms?: readonly Platform[] | undefined;
  client: (registry: string) => RegistryClient;
}

/** Whether a request asks for any change at all. */
export function asksForChange(request: Pick<MutateRequest, 'changes' | 'annotations'>): boolean {
  const c = request.changes;
  const some = (r: Readonly<Record<string, string>> | undefined) =>
    r !== undefined && Object.keys(r).length > 0;
  return (
    some(c.labels) ||
    some(c.env) ||
    some(request.annotations) ||
    c.entrypoint !== undefined ||
    c.cmd !== undefined ||
    c.user !== undefined ||
    c.workdir !== undefined ||
    c.created !== undefined
  );
}

export async function buildMutate(request: MutateRequest): Promise<Built> {
  if (!asksForChange(request))
    throw new UsageError('mutate needs something to change', {
      hint: 'e.g. --label KEY=VALUE, --env KEY=VALUE, --entrypoint, --cmd, --user, --workdir, --annotation, --created',
    });
  const base = await openSource(request.source, request.client);
  const built = new BuiltSource(`${base.description} (mutated)`, [base]);
  try {
    const result = await rewriteImages(
      base,
      built,
      {
        layers: [],
        annotations: request.annotations,
        editConfig: (doc) => applyChanges(doc, request.changes),
      },
      request.platforms,
    );
    return { ...result, source: built };
  } catch (err) {
    await built.close();
    throw err;
  }
}
