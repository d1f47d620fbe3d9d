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
import { type ProxyPair, startProxyPair } from './latency-proxy.js';
import { type ImageSpec, type RepositorySpec, type SeededImage, seedImage, seedRepository } from './seed.js';

const MiB = 1024 * 1024;

/** The images, by name. Sizes are payload bytes per layer (shared/lab/LAB.md §7 used the same). */
export const IMAGES = {
  small: { repository: 'bench/small', tag: 'v1', layers: [1024], platforms: ['linux/amd64'] },
  many1m: {
    repository: 'bench/many1m',
    tag: 'v1',
    layers: Array.from({ length: 40 }, () => MiB),
    platforms: ['linux/amd64'],
  },
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

/** Repositories of several tags, for `copy -a`: ten images sharing a 1 MiB base layer, each with a 1 MiB layer of its own. */
export const REPOSITORIES = {
  tags: {
    repository: 'bench/tags',
    tags: Array.from({ length: 10 }, (_, i) => `t${String(i + 1).padStart(2, '0')}`),
    layers: [MiB, MiB],
    sharedLayers: 1,
    platforms: ['linux/amd64'],
  },
} satisfies Record<string, RepositorySpec>;

export type RepositoryName = keyof typeof REPOSITORIES;

/** Registry log level: info, because the access-log lines are how requests are counted. */
const registryOptions = (storageDir: string) => ({ storageDir, logLevel: 'info' as const });

export class BenchContext {
  /** Seeded images, by registry URL and name. */
  private readonly seeded = new Map<string, Promise<SeededImage>>();
  private readonly seededRepositories = new Map<string, Promise<Map<string, SeededImage>>>();
  private dstRegistry: Registry | undefined;
  private dstCount = 0;
  private readonly extra = new Set<Registry>();
  src!: Registry;
  /** While a workload runs through the latency proxies: one in front of each registry. */
  latency: ProxyPair | undefined;
  /** False while `withoutLatency` runs something straight to the registries. */
  proxied = true;

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

  /** The repository's tags in the source registry, pushed on first use. */
  repository(name: RepositoryName): Promise<Map<string, SeededImage>> {
    let pending = this.seededRepositories.get(name);
    if (!pending) {
      pending = seedRepository(this.src.url, REPOSITORIES[name]);
      this.seededRepositories.set(name, pending);
    }
    return pending;
  }

  /**
   * Puts a latency proxy (latency-proxy.ts) with this round-trip time in front of the source and of
   * every destination until called again without one; the commands then name the proxies
   * (srcHost, dstHost), the checks still go straight to the registries.
   */
  async useLatency(rttMs: number | undefined): Promise<void> {
    const old = this.latency;
    this.latency = undefined;
    await old?.close();
    if (rttMs === undefined) return;
    this.latency = await startProxyPair(rttMs, this.src.port);
    if (this.dstRegistry) await this.latency.setDestination(this.dstRegistry.port);
  }

  /** `run` with the commands naming the registries themselves, the proxies left in place. */
  async withoutLatency<T>(run: () => Promise<T>): Promise<T> {
    this.proxied = false;
    try {
      return await run();
    } finally {
      this.proxied = true;
    }
  }

  /** Where clients reach the source: the registry, or the latency proxy in front of it. */
  get srcHost(): string {
    return (this.proxied ? this.latency?.srcHost : undefined) ?? this.src.host;
  }

  /** Where clients reach the current destination: the registry, or the latency proxy in front of it. */
  get dstHost(): string {
    return (this.proxied ? this.latency?.dstHost : undefined) ?? this.dst.host;
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
    await this.latency?.setDestination(this.dstRegistry.port);
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
    await this.useLatency(undefined);
    await this.stopDst();
    for (const registry of [...this.extra]) await this.stopExtra(registry);
    await this.src?.stop();
  }
}
