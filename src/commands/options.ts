/** Options several commands share, and their parsers. */
import { UsageError } from '../errors.js';
import type { Platform } from '../image/descriptor.js';
import { parsePlatform } from '../image/platform.js';
import type { ObjectType } from '../ui/shape.js';
import { compileTemplate, type Template } from '../ui/template.js';
import type { OptionSpec } from './spec.js';

export const PLATFORMS = [
  'linux/amd64',
  'linux/arm64',
  'linux/arm/v7',
  'linux/arm/v6',
  'linux/386',
  'linux/ppc64le',
  'linux/s390x',
  'linux/riscv64',
  'windows/amd64',
];

export const platformOption: OptionSpec = {
  flags: '--platform <os/arch[/variant]>',
  description: 'pick the image for this platform from a multi-platform index',
  parse: (value) => parsePlatform(value),
  choices: PLATFORMS,
};

export const jsonOption: OptionSpec = {
  flags: '--json',
  description: 'print JSON (shapes: docs/output.md)',
};

/**
 * --format TEMPLATE: compiled by commander's parser against the command's item shape, so a bad
 * template or an unknown field is a usage error (exit 2) before any request. pull, whose --format
 * is the archive format (as in crane), takes the template as --template.
 */
export function formatOption(shape: ObjectType, each: string, flag = '--format'): OptionSpec {
  return {
    flags: `${flag} <template>`,
    description: `print ${each} through a Go-style template, e.g. '{{.Digest}}' (fields: docs/output.md)`,
    parse: (value) => compileTemplate(value, shape, flag),
  };
}

export type OutputChoice = { kind: 'text' } | { kind: 'json' } | { kind: 'template'; template: Template };

/** How a command prints its data: plain text, --json, or --format (never both). */
export function outputChoice(options: Record<string, unknown>, templateKey = 'format'): OutputChoice {
  const template = options[templateKey] as Template | undefined;
  const flag = `--${templateKey}`;
  if (options['json'] && template) throw new UsageError(`--json and ${flag} cannot be used together`);
  if (template) return { kind: 'template', template };
  return options['json'] ? { kind: 'json' } : { kind: 'text' };
}

export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new UsageError(`${name} must be a whole number from 1 to ${max}, not '${value}'`);
    }
    return Number(value);
  };
}

export const limitOption: OptionSpec = {
  flags: '--limit <n>',
  description: 'fetch one page of at most n entries (with --last for the next page)',
  parse: positiveInt('--limit', 1000),
};

export const lastOption: OptionSpec = {
  flags: '--last <name>',
  description: 'start after this entry (lexical order)',
};

export const platformOf = (options: Record<string, unknown>): Platform | undefined =>
  options['platform'] as Platform | undefined;
