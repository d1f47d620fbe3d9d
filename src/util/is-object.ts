/** A JSON object (not null, not an array): what every reader of untrusted JSON checks first. */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
