/**
 * What every workload shares: the work directory on tmpfs, the source registry (seeded once per
 * image, lazily), a fresh destination registry per measured run, the built ferry, and the
 * environment both clients run with.
 *
 * Everything lives under /dev/shm/ferry-bench-<pid>/ (registry storage, configs, tarballs,
 * scratch): disk timings on these machines swing by ±40 % (shared/lab/LAB.md §6.11). It is all
 * removed at the end, on an error, and on Ctrl-C (workdir.ts).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Registry, startRegistry } from '../test/harness/registry.js';
import { type ImageSpec, type SeededImage, seedImage } from './seed.js';

const MiB = 1024 * 1024;

/** The images, by name. Sizes are payload bytes per layer (shared/lab/LAB.md §7 used the same). */
export const IMAGES = {
  small: { repository: 'bench/small', tag: 'v1', layers: [1024], platforms: ['linux/amd64'] },
  many: {
    repository: 'bench/many',
    tag: 'v1',
    layers: Array.from({ length: 40 }, () => 5 * MiB),
    platforms: ['linux/amd64'],
  },
  multi: {
    repository: 'bench/multi',
    tag: 'v1',
    layers: [5 * MiB, 5 * MiB, 5 * MiB],
    platforms: ['linux/amd64', 'linux/arm64', 'linux/arm/v7'],
  },
  big: { repository: 'bench/big', tag: 'v1', layers: [1024 * MiB], platforms: ['linux/amd64'] },
  huge: { repository: 'bench/huge', tag: 'v1', layers: [4096 * MiB], platforms: ['linux/amd64'] },
} satisfies Record<string, ImageSpec>;

export type ImageName = keyof typeof IMAGES;

/** Registry log level: info, because the access-log lines are how requests are counted. */
const registryOptions = (storageDir: string) => ({ storageDir, logLevel: 'info' as const });

export class BenchContext {
  /** Seeded images, by registry URL and name. */
  private readonly seeded = new Map<string, Promise<SeededImage>>();
  private dstRegistry: Registry | undefined;
  private dstCount = 0;
  private readonly extra = new Set<Registry>();
  src!: Registry;

  constructor(
    /** /dev/shm/ferry-bench-<pid> */
    readonly work: string,
    /** bin/ferry.js of the snapshot of the build being measured. */
    readonly ferryBin: string,
    /** The environment both clients run with (env.ts). */
    readonly env: NodeJS.ProcessEnv,
  ) {}

  path(...parts: string[]): string {
    return join(this.work, ...parts);
  }

  async start(): Promise<void> {
    await mkdir(this.path('src'), { recursive: true });
    this.src = await startRegistry(registryOptions(this.path('src')));
  }

  /** The image in `registry` (the source by default), pushed on first use. */
  image(name: ImageName, registry: Registry = this.src): Promise<SeededImage> {
    const key = `${registry.url} ${name}`;
    let pending = this.seeded.get(key);
    if (!pending) {
      pending = seedImage(registry.url, IMAGES[name]);
      this.seeded.set(key, pending);
    }
    return pending;
  }

  /** The destination of the current run. */
  get dst(): Registry {
    if (!this.dstRegistry) throw new Error('no destination registry: call freshDst() first');
    return this.dstRegistry;
  }

  /** Stops the previous destination, removes its storage, starts an empty one: every copy is cold. */
  async freshDst(): Promise<Registry> {
    await this.stopDst();
    const dir = this.path(`dst-${++this.dstCount}`);
    await mkdir(dir, { recursive: true });
    this.dstRegistry = await startRegistry(registryOptions(dir));
    return this.dstRegistry;
  }

  async stopDst(): Promise<void> {
    const old = this.dstRegistry;
    this.dstRegistry = undefined;
    if (old) {
      await old.stop();
      await rm(old.storageDir, { recursive: true, force: true });
    }
  }

  /** Another registry (the 4 GiB source), stopped and wiped by `stopExtra`. */
  async extraRegistry(name: string): Promise<Registry> {
    const dir = this.path(name);
    await mkdir(dir, { recursive: true });
    const registry = await startRegistry(registryOptions(dir));
    this.extra.add(registry);
    return registry;
  }

  async stopExtra(registry: Registry): Promise<void> {
    this.extra.delete(registry);
    for (const key of [...this.seeded.keys()])
      if (key.startsWith(`${registry.url} `)) this.seeded.delete(key);
    await registry.stop();
    await rm(registry.storageDir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    await this.stopDst();
    for (const registry of [...this.extra]) await this.stopExtra(registry);
    await this.src?.stop();
  }
}
