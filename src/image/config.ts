/** The few fields of an image config (image-spec config.md) that ferry reads for display. */
import { InvalidContentError } from '../errors.js';
import type { Platform } from './descriptor.js';

/** Image configs are small; a larger one is refused rather than read into memory. */
export const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

export interface ImageConfigSummary {
  created?: string;
  platform?: Platform;
}

export function summarizeConfig(bytes: Uint8Array): ImageConfigSummary {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new InvalidContentError('image config is not JSON');
  }
  if (typeof doc !== 'object' || doc === null)
    throw new InvalidContentError('image config is not a JSON object');
  const c = doc as Record<string, unknown>;
  const summary: ImageConfigSummary = {};
  if (typeof c['created'] === 'string') summary.created = c['created'];
  if (typeof c['os'] === 'string' && typeof c['architecture'] === 'string') {
    summary.platform = { os: c['os'], architecture: c['architecture'] };
    if (typeof c['variant'] === 'string' && c['variant'] !== '') summary.platform.variant = c['variant'];
    if (typeof c['os.version'] === 'string' && c['os.version'] !== '')
      summary.platform['os.version'] = c['os.version'];
  }
  return summary;
}
