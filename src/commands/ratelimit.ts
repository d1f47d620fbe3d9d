import { formatReference, parseImageReference } from '../ref/index.js';
import { getRateLimit, type RateLimit } from '../registry/ratelimit.js';
import { ratelimitJson, ratelimitShape } from '../ui/shapes/index.js';
import { formatOption, jsonOption } from './options.js';
import { outputChoice, printResult } from './print.js';
import { defineCommand } from './spec.js';

/** 21600 → '6 h', 90 → '90 s'. */
function duration(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export const ratelimit = defineCommand({
  name: 'ratelimit',
  summary:
    'Show the pull rate limit Docker Hub states for an image (asked with a HEAD, which is not counted)',
  args: ['<image>'],
  options: [jsonOption, formatOption(ratelimitShape, 'the limit')],
  examples: [
    'ferry ratelimit alpine',
    'ferry ratelimit --json docker.io/library/alpine:3.20 | jq .remaining',
    "ferry ratelimit --format '{{.Remaining}}/{{.Limit}}' alpine",
  ],
  async run(ctx, [image], options) {
    const output = outputChoice(options.json, options.format);
    const ref = parseImageReference(image ?? '');
    const answer = await getRateLimit(ctx.client(ref.registry), ref);
    if (answer.malformed.length > 0)
      ctx.status.warn(`${ref.registry} sent unreadable ${answer.malformed.join(', ')} headers`);
    if (!answer.present)
      ctx.status.info(
        `${ref.registry} sent no rate-limit headers for ${formatReference(ref)}: no limit reported`,
      );
    printResult(ctx, output, { json: ratelimitJson(answer), text: answer.present ? table(answer) : [] });
    return undefined;
  },
});

/** The plain output: limit, remaining, reset and source, one a line. */
function table(answer: RateLimit): string[] {
  const { limit, remaining, windowSeconds, resetSeconds, source } = answer;
  const rows: [string, string][] = [
    [
      'limit',
      limit === null ? '-' : `${limit}${windowSeconds === null ? '' : ` per ${duration(windowSeconds)}`}`,
    ],
    ['remaining', remaining === null ? '-' : String(remaining)],
  ];
  if (resetSeconds !== null) rows.push(['reset', `in ${duration(resetSeconds)}`]);
  rows.push(['source', source ?? '-']);
  return rows.map(([k, v]) => `${k.padEnd(10)}${v}`);
}
