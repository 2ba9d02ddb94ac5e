/**
 * In-process API of the Couchbase cluster emulator: a small Couchbase cluster (KV, views,
 * cluster manager REST) in one Node.js process, for tests and development.
 *
 *   const c = await startEmulator({ nodes: 3, replicas: 1 });
 *   c.connectionString; // couchbase://127.0.0.1:<kv1>,127.0.0.1:<kv2>,...
 *   await c.stop();
 *
 * @module couchbase-rx/emulator
 */
import { Cluster, loadSampleInto, type BucketSpec, type ViewsModule } from './cluster/cluster.js';
import { RestServer } from './rest/server.js';
import { lockDataDir } from './store/disk.js';
import type { Fault } from './kv/session.js';

/** Options of {@link startEmulator}. */
export interface EmulatorOptions {
  /** Nodes in the cluster (default 1). */
  nodes?: number;
  /** Default replicas per bucket (default 0). */
  replicas?: number;
  /** Buckets to create (default `['default']`). */
  buckets?: Array<string | {
    /** The bucket's name. */
    name: string;
    /** Its own (SASL) password; default empty. */
    password?: string;
    /** Its replicas, instead of `replicas`. */
    replicas?: number;
  }>;
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

/** A fault for {@link Emulator.inject}: what the next matching KV commands get instead of their answer. */
export interface InjectOptions {
  /** Only commands with this memcached opcode (e.g. 0x00 GET, 0x01 SET). Default: any. */
  opcode?: number;
  /** Only commands for this key. Default: any. */
  key?: string;
  /** How many matching commands get the fault. */
  count: number;
  /** `'error'`: answer with `status`; `'silence'`: never answer; `'reset'`: half a response header, then a reset connection. */
  action: 'error' | 'silence' | 'reset';
  /** The memcached status of an `'error'` answer. Default ETMPFAIL (0x86). */
  status?: number;
}

/**
 * A running emulated cluster, as {@link startEmulator} returns it. Node numbers are indexes into
 * `nodes` and never change.
 */
export interface Emulator {
  /** `couchbase://127.0.0.1:<kv>,...`: the nodes currently serving data; append `/<bucket>` to connect. */
  readonly connectionString: string;
  /** The cluster manager REST API, `http://127.0.0.1:<port>`. */
  readonly restUrl: string;
  /** Every node's ports, by node number. */
  readonly nodes: {
    /** The memcached-protocol (KV) port. */
    kv: number;
    /** The views (capi) port. */
    views: number;
  }[];
  /** The buckets' names. */
  readonly buckets: string[];
  /** The administrator's name. */
  readonly username: string;
  /** The administrator's password. */
  readonly password: string;
  /** Hard failover of a node: its replicas are promoted and a new cluster map is pushed. */
  failover(node: number): Promise<void>;
  /** Closes a node's ports: connections are refused, open ones dropped. */
  stopNode(node: number): Promise<void>;
  /** Reopens a stopped node on the same ports, or un-hangs a hung one. */
  startNode(node: number): Promise<void>;
  /** Connections to the node stay open, and new ones are accepted, but nothing is answered. */
  hangNode(node: number): Promise<void>;
  /** Adds a node and rebalances; resolves to its number. */
  addNode(): Promise<number>;
  /** Rebalances a node out. */
  removeNode(node: number): Promise<void>;
  /** Ejects failed-over nodes, admits added ones, spreads vBuckets and replicas evenly. */
  rebalance(): Promise<void>;
  /** Simulated delays, in ms, before a mutation reaches the replicas and the disk. */
  setDelays(d: { replicationMs?: number; persistenceMs?: number }): Promise<void>;
  /** Makes the next matching KV commands fail, go unanswered or reset their connection. */
  inject(f: InjectOptions): Promise<void>;
  /** Moves the emulator's clock forward: expiries and lock timeouts follow it. */
  advanceClock(seconds: number): Promise<void>;
  /** Removes every document of a bucket. */
  flush(bucket: string): Promise<void>;
  /** Loads a sample folder or zip (Couchbase's sample layout) into a bucket. */
  loadSample(bucket: string, path: string): Promise<{
    /** Documents loaded. */
    docs: number;
    /** Design documents loaded. */
    designDocs: number;
  }>;
  /** Creates a bucket. */
  createBucket(name: string, opts?: { password?: string; replicas?: number; flushEnabled?: boolean; ramQuotaMB?: number }): Promise<void>;
  /** Deletes a bucket and its documents. */
  deleteBucket(name: string): Promise<void>;
  /** Stops every listener and releases the data directory. Idempotent. */
  stop(): Promise<void>;
  /** The underlying cluster (tests, tools). @internal */
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

/**
 * Starts an emulated Couchbase cluster in this process, every listener on 127.0.0.1.
 *
 * ```ts
 * import { startEmulator } from 'couchbase-rx/emulator';
 * import { connect } from 'couchbase-rx';
 * const emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
 * const cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password });
 * await emu.failover(1);
 * await cb.close();
 * await emu.stop();
 * ```
 * @param options the cluster's shape, buckets and samples
 */
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

/** The emulator's internals, for its tests and tools (`emu.cluster`). @internal */
export { Cluster } from './cluster/cluster.js';
