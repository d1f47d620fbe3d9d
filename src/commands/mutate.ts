import type { ConfigChanges } from '../build/config-edit.js';
import { parseCommand } from '../build/config-edit.js';
import { parseLocation, registryOf } from '../store/location.js';
import {
  annotationOption,
  buildOutputOptions,
  createdOption,
  keyValueOption,
  pushBuilt,
} from './build-options.js';
import { platformsOption } from './options.js';
import { outputChoice } from './print.js';
import { defineCommand, option } from './spec.js';

const commandOption = <const N extends string>(name: N, field: string) =>
  option({
    flags: `--${name} <command>`,
    description: `set the config's ${field}: a JSON array ('["/app","--port","80"]') or words ('/app --port 80'); '' clears it`,
    parse: (value) => parseCommand(value, `--${name}`),
  });

export const mutate = defineCommand({
  name: 'mutate',
  summary:
    'Change the config (labels, env, entrypoint, cmd, user, workdir, created) and annotations of every platform of an image, without moving its layers',
  args: ['<source>', '<destination>'],
  options: [
    keyValueOption('label', 'set this label (repeatable)'),
    keyValueOption('env', 'set this environment variable, replacing one of the same name (repeatable)'),
    commandOption('entrypoint', 'Entrypoint'),
    commandOption('cmd', 'Cmd'),
    { flags: '--user <user>', description: "set the config's User (name or uid[:gid])" },
    { flags: '--workdir <workdir>', description: "set the config's WorkingDir (a path in the image)" },
    annotationOption,
    createdOption,
    platformsOption('change this platform of an index only, keeping the others as they are (repeatable)'),
    ...buildOutputOptions,
  ],
  examples: [
    'ferry mutate --label org.opencontainers.image.version=1.2.0 ghcr.io/org/app:1.2.0 ghcr.io/org/app:1.2.0',
    'ferry mutate --entrypoint \'["/app","serve"]\' --env MODE=prod registry.example.com/app:1 registry.example.com/app:1-prod',
    'SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) ferry mutate --label revision=$(git rev-parse HEAD) app:ci app:release',
  ],
  registries: (locations) => locations.map((l) => registryOf(parseLocation(l))),
  async run(ctx, [source = '', destination = ''], options) {
    const output = outputChoice(options.json, options.format);
    const { buildTime } = await import('../build/build-time.js');
    const { buildMutate } = await import('../build/mutate.js');
    // --created or SOURCE_DATE_EPOCH set the config's created; without either it is kept.
    const time = buildTime(options.created, ctx.env);
    const changes: ConfigChanges = {
      labels: options.label,
      env: options.env,
      entrypoint: options.entrypoint,
      cmd: options.cmd,
      user: options.user,
      workdir: options.workdir,
      created: time.created,
    };
    const target = parseLocation(destination);
    const built = await buildMutate({
      source: parseLocation(source),
      changes,
      annotations: options.annotation,
      platforms: options.platform,
      client: (registry) => ctx.client(registry),
    });
    await pushBuilt(ctx, output, target, built, options);
    return undefined;
  },
});
