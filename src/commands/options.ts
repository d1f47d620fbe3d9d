/** Options several commands share, and their parsers. */
import { UsageError } from '../errors.js';
import { parsePlatform } from '../image/platform.js';
import type { ObjectType } from '../ui/shape.js';
import { compileTemplate, type Template } from '../ui/template.js';
import { option, repeatable } from './spec.js';

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

const PLATFORM_FLAGS = '--platform <os/arch[/variant]>';

/**
 * `--platform` means one of two things, and each has one shape. Where it picks the image to read
 * out of an index (manifest, digest, config, referrers, export) it is one Platform, given once;
 * where it names the platforms to keep (copy, pull, push, the builds, `ls`'s filter) it is a
 * Platform[], repeatable. Both parse the same syntax and complete the same values.
 */
export const platformOption = option({
  flags: PLATFORM_FLAGS,
  description: 'pick the image for this platform from a multi-platform index',
  parse: (value) => parsePlatform(value),
  choices: PLATFORMS,
});

const parsePlatforms = repeatable(parsePlatform);

/** The repeatable `--platform`: the platforms a command keeps, in the order given. */
export function platformsOption(description: string) {
  return option({ flags: PLATFORM_FLAGS, description, parse: parsePlatforms, choices: PLATFORMS });
}

export const jsonOption = option({
  flags: '--json',
  description: 'print JSON (shapes: docs/output.md)',
});

/**
 * A template option: compiled by commander's parser against the command's item shape, so a bad
 * template or an unknown field is a usage error (exit 2) before any request.
 */
export function templateOption<const F extends string>(flag: F, shape: ObjectType, each: string) {
  return option({
    flags: `${flag} <template>`,
    description: `print ${each} through a Go-style template, e.g. '{{.Digest}}' (fields: docs/output.md)`,
    parse: (value): Template => compileTemplate(value, shape, flag),
  });
}

/** --format TEMPLATE. pull, whose --format is the archive format (as in crane), takes it as --template. */
export const formatOption = (shape: ObjectType, each: string) => templateOption('--format', shape, each);

export function positiveInt(name: string, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
      throw new UsageError(`${name} must be a whole number from 1 to ${max}, not '${value}'`);
    }
    return Number(value);
  };
}

export const limitOption = option({
  flags: '--limit <n>',
  description: 'fetch one page of at most n entries (with --last for the next page)',
  parse: positiveInt('--limit', 1000),
});

export const lastOption = option({
  flags: '--last <name>',
  description: 'start after this entry (lexical order)',
});
