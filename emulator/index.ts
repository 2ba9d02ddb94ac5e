/**
 * In-process API of the Couchbase cluster emulator.
 *
 *   const c = await startEmulator({ nodes: 3, replicas: 1 });
 *   c.connectionString; // couchbase://127.0.0.1:<kv1>,127.0.0.1:<kv2>,...
 *   await c.stop();
 */
import { Cluster, loadSampleInto, type BucketSpec, type ViewsModule } from './cluster/cluster.js';
import { RestServer } from './rest/server.js';
import { lockDataDir } from './store/disk.js';
import type { Fault } from './kv/session.js';

export interface EmulatorOptions {
  /** Nodes in the cluster (default 1). */
  nodes?: number;
  /** Default replicas per bucket (default 0). */
  replicas?: number;
  /** Buckets to create (default `['default']`). */
  buckets?: Array<string | { name: string; password?: string; replicas?: number }>;
  /** Samples to load: bucket name -> folder or zip path. */
  samples?: Record<string, string>;
  /** Administrator user (default `Administrator`). */
  username?: string;
  /** Administrator password (default `password`). */
  password?: string;
  /** Keep documents and design docs here across restarts. */
  dataDir?: string;
  /** REST port (default 0 = random). */
  restPort?: number;
  /** Fixed KV ports per node (default random). */
  kvPorts?: number[];
  /** Delay before a mutation reaches replicas, ms (default 0). */
  replicationDelayMs?: number;
  /** Delay before a mutation is persisted, ms (default 0). */
  persistenceDelayMs?: number;
  /** Run the views engine (default true). */
  views?: boolean;
}

export interface InjectOptions {
  opcode?: number;
  key?: string;
  count: number;
  action: 'error' | 'silence' | 'reset';
  status?: number;
}

export interface Emulator {
  readonly connectionString: string;
  readonly restUrl: string;
  readonly nodes: { kv: number; views: number }[];
  readonly buckets: string[];
  readonly username: string;
  readonly password: string;
  failover(node: number): Promise<void>;
  stopNode(node: number): Promise<void>;
  startNode(node: number): Promise<void>;
  hangNode(node: number): Promise<void>;
  addNode(): Promise<number>;
  removeNode(node: number): Promise<void>;
  rebalance(): Promise<void>;
  setDelays(d: { replicationMs?: number; persistenceMs?: number }): Promise<void>;
  inject(f: InjectOptions): Promise<void>;
  advanceClock(seconds: number): Promise<void>;
  flush(bucket: string): Promise<void>;
  loadSample(bucket: string, path: string): Promise<{ docs: number; designDocs: number }>;
  createBucket(name: string, opts?: { password?: string; replicas?: number; flushEnabled?: boolean; ramQuotaMB?: number }): Promise<void>;
  deleteBucket(name: string): Promise<void>;
  stop(): Promise<void>;
  /** The underlying cluster (tests, tools). */
  readonly cluster: Cluster;
}

async function loadViews(): Promise<ViewsModule | undefined> {
  const spec = './views/index.js';
  try {
    return (await import(spec)) as ViewsModule;
  } catch {
    return undefined;
  }
}

class EmulatorHandle implements Emulator {
  private stopped = false;
  constructor(readonly cluster: Cluster, private readonly rest: RestServer, private readonly release?: () => void) {}

  get connectionString(): string {
    const nodes = this.cluster.activeNodes();
    return `couchbase://${nodes.map((n) => `127.0.0.1:${n.kvPort}`).join(',')}`;
  }
  get restUrl(): string {
    return `http://127.0.0.1:${this.cluster.restPort}`;
  }
  get nodes(): { kv: number; views: number }[] {
    return this.cluster.nodes.map((n) => ({ kv: n.kvPort, views: n.viewsPort }));
  }
  get buckets(): string[] {
    return [...this.cluster.buckets.keys()];
  }
  get username(): string {
    return this.cluster.username;
  }
  get password(): string {
    return this.cluster.password;
  }
  async failover(node: number): Promise<void> {
    this.cluster.failover(node);
  }
  stopNode(node: number): Promise<void> {
    return this.cluster.stopNode(node);
  }
  startNode(node: number): Promise<void> {
    return this.cluster.startNode(node);
  }
  async hangNode(node: number): Promise<void> {
    this.cluster.hangNode(node);
  }
  addNode(): Promise<number> {
    return this.cluster.addNode();
  }
  removeNode(node: number): Promise<void> {
    return this.cluster.removeNode(node);
  }
  async rebalance(): Promise<void> {
    this.cluster.rebalance();
  }
  async setDelays(d: { replicationMs?: number; persistenceMs?: number }): Promise<void> {
    this.cluster.setDelays(d);
  }
  async inject(f: InjectOptions): Promise<void> {
    this.cluster.inject(f as Fault);
  }
  async advanceClock(seconds: number): Promise<void> {
    this.cluster.clock.advance(seconds);
  }
  async flush(bucket: string): Promise<void> {
    this.cluster.flush(bucket);
  }
  async loadSample(bucket: string, path: string): Promise<{ docs: number; designDocs: number }> {
    return loadSampleInto(this.cluster, bucket, path);
  }
  async createBucket(name: string, opts: { password?: string; replicas?: number; flushEnabled?: boolean; ramQuotaMB?: number } = {}): Promise<void> {
    this.cluster.createBucket({ name, ...opts });
  }
  async deleteBucket(name: string): Promise<void> {
    this.cluster.deleteBucket(name);
  }
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.rest.close();
    await this.cluster.close();
    this.release?.();
  }
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const nodes = Math.max(1, Math.floor(options.nodes ?? 1));
  const views = options.views === false ? undefined : await loadViews();
  const release = options.dataDir ? lockDataDir(options.dataDir) : undefined;
  const cluster = new Cluster({
    nodes,
    replicas: Math.max(0, Math.floor(options.replicas ?? 0)),
    username: options.username ?? 'Administrator',
    password: options.password ?? 'password',
    dataDir: options.dataDir,
    replicationDelayMs: options.replicationDelayMs ?? 0,
    persistenceDelayMs: options.persistenceDelayMs ?? 0,
    views,
  });
  const rest = new RestServer(cluster);
  try {
    await cluster.start(nodes, options.kvPorts);
    cluster.restPort = await rest.listen(options.restPort ?? 0);
    const specs: BucketSpec[] = (options.buckets ?? ['default']).map((b) => (typeof b === 'string' ? { name: b } : b));
    for (const saved of cluster.savedBuckets() ?? []) if (!specs.some((s) => s.name === saved.name)) specs.push(saved);
    for (const s of specs) if (!cluster.bucket(s.name)) cluster.createBucket(s);
    for (const [bucket, p] of Object.entries(options.samples ?? {})) {
      const b = cluster.bucket(bucket) ?? cluster.createBucket({ name: bucket });
      // With a data dir, a bucket that already holds data keeps it (the sample was loaded before).
      if (options.dataDir && b.count() > 0) continue;
      loadSampleInto(cluster, bucket, p);
    }
  } catch (e) {
    await rest.close();
    await cluster.close();
    release?.();
    throw e;
  }
  return new EmulatorHandle(cluster, rest, release);
}

export { Cluster } from './cluster/cluster.js';
