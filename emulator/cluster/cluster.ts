/**
 * The emulated cluster: nodes, buckets, the vBucket maps, the config revision, and the
 * topology operations (failover, rebalance, add/remove node) that change them.
 * Every topology change bumps `rev` and emits `config` (streaming REST pushes it; KV clients
 * learn it from NOT_MY_VBUCKET bodies and CCCP polling).
 */
import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Clock } from './clock.js';
import { DelayQueue } from './replication.js';
import { EmuNode } from './node.js';
import { buildVbucketMap } from './vbucket-map.js';
import * as config from './config.js';
import { Bucket, type Delays } from '../store/bucket.js';
import { BucketLog, readJsonFile, writeFileAtomic } from '../store/disk.js';
import type { Fault, KvCluster } from '../kv/session.js';
import { loadSample } from '../sample/loader.js';
import type { CapiHandler, ViewService, DesignDocPersistence } from '../views/contract.js';

export interface BucketSpec {
  name: string;
  password?: string;
  replicas?: number;
  /** Flush through REST allowed (default true). */
  flushEnabled?: boolean;
  ramQuotaMB?: number;
}

export interface ViewsModule {
  createViewService(source: Bucket, options?: { persistence?: DesignDocPersistence }): ViewService;
  createCapiHandler(options: { bucket(name: string): ViewService | undefined; authenticate(req: http.IncomingMessage, bucket: string): boolean }): CapiHandler;
}

export interface ClusterOptions {
  nodes: number;
  replicas: number;
  username: string;
  password: string;
  dataDir?: string;
  replicationDelayMs: number;
  persistenceDelayMs: number;
  views?: ViewsModule;
}

interface BucketEntry {
  bucket: Bucket;
  views?: ViewService;
}

export class ClusterError extends Error {
  constructor(message: string, readonly httpStatus = 400) {
    super(message);
  }
}

const BUCKET_NAME = /^[A-Za-z0-9_.%-]{1,100}$/;

export class Cluster extends EventEmitter implements KvCluster {
  readonly clock = new Clock();
  readonly queue = new DelayQueue();
  readonly delays: Delays;
  readonly faults: Fault[] = [];
  readonly nodes: EmuNode[] = [];
  readonly buckets = new Map<string, BucketEntry>();
  readonly uuid = randomBytes(16).toString('hex');
  readonly username: string;
  readonly password: string;
  readonly defaultReplicas: number;
  restPort = 0;
  rev = 1;
  private readonly cache = new Map<string, Buffer>();
  private readonly capi: http.RequestListener;
  private readonly startedAt = Date.now();

  constructor(private readonly opts: ClusterOptions) {
    super();
    this.setMaxListeners(0);
    this.username = opts.username;
    this.password = opts.password;
    this.defaultReplicas = opts.replicas;
    this.delays = { replicationMs: opts.replicationDelayMs, persistenceMs: opts.persistenceDelayMs };
    const views = opts.views;
    if (views) {
      this.capi = views.createCapiHandler({
        bucket: (name) => this.buckets.get(name)?.views,
        authenticate: (req, b) => this.httpAuth(req, b),
      });
    } else {
      this.capi = (_req, res) => {
        res.writeHead(501, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: 'not_implemented', reason: 'views engine not available' }));
      };
    }
  }

  // ---- lifecycle ----

  async start(nodeCount: number, kvPorts: number[] = []): Promise<void> {
    for (let i = 0; i < nodeCount; i++) {
      const n = new EmuNode(i, this, this.capi);
      this.nodes.push(n);
      await n.start(kvPorts[i] ?? 0, 0);
    }
  }

  async close(): Promise<void> {
    for (const n of this.nodes) await n.stop();
    this.queue.close();
    for (const e of this.buckets.values()) {
      e.views?.close();
      e.bucket.close();
    }
  }

  // ---- KvCluster ----

  bucket(name: string): Bucket | undefined {
    return this.buckets.get(name)?.bucket;
  }

  nodeUp(id: number): boolean {
    return this.nodes[id]?.state === 'up';
  }

  onInternalError(e: unknown): void {
    if (process.env.COUCHBASE_RX_EMULATOR_DEBUG) process.stderr.write(`emulator: internal error: ${e instanceof Error ? e.stack : String(e)}\n`);
    this.emit('internal-error', e);
  }

  passwordOf(user: string): string | undefined {
    if (user === this.username) return this.password;
    return this.buckets.get(user)?.bucket.password;
  }

  isAdmin(user: string): boolean {
    return user === this.username;
  }

  /**
   * HTTP basic auth: the administrator, or the bucket's own name with its password (empty or
   * not). Couchbase Server 7 has no anonymous access, so a request without credentials is
   * refused even for a bucket without a password.
   */
  httpAuth(req: http.IncomingMessage, bucket?: string): boolean {
    const h = req.headers.authorization;
    if (!h || !h.startsWith('Basic ')) return false;
    const dec = Buffer.from(h.slice(6), 'base64').toString('utf8');
    const i = dec.indexOf(':');
    const user = i < 0 ? dec : dec.slice(0, i);
    const pass = i < 0 ? '' : dec.slice(i + 1);
    if (user === this.username && pass === this.password) return true;
    return bucket !== undefined && user === bucket && this.passwordOf(user) === pass;
  }

  /** Nodes serving data, in id order (the config's server list). */
  activeNodes(): EmuNode[] {
    return this.nodes.filter((n) => n.membership === 'active');
  }

  private configNodes(): config.ConfigNode[] {
    return this.activeNodes().map((n) => ({ id: n.id, kv: n.kvPort, views: n.viewsPort }));
  }

  configBucket(b: Bucket): config.ConfigBucket {
    return { name: b.name, uuid: b.uuid, replicas: b.replicas, map: b.map, flushEnabled: b.flushEnabled, ramQuotaMB: b.ramQuotaMB };
  }

  terseConfig(b: Bucket, thisNode?: number): Record<string, unknown> {
    return config.terseBucketConfig(this.rev, this.configBucket(b), this.configNodes(), this.restPort, thisNode);
  }

  bucketConfigJson(b: Bucket, thisNode: number): Buffer {
    const k = `${b.name}\0${thisNode}\0${this.rev}`;
    let c = this.cache.get(k);
    if (!c) {
      c = Buffer.from(JSON.stringify(this.terseConfig(b, thisNode)));
      this.cache.set(k, c);
    }
    return c;
  }

  clusterConfigJson(thisNode: number): Buffer {
    return Buffer.from(JSON.stringify(config.clusterConfig(this.rev, this.configNodes(), this.restPort, thisNode)));
  }

  nodeStatuses(): config.NodeStatus[] {
    return this.nodes
      .filter((n) => n.membership !== 'removed')
      .map((n) => ({
        node: { id: n.id, kv: n.kvPort, views: n.viewsPort },
        membership: n.membership === 'active' ? 'active' : n.membership === 'failed' ? 'inactiveFailed' : 'inactiveAdded',
        healthy: n.state === 'up',
      }));
  }

  stats(b: Bucket | undefined): Record<string, string | number> {
    const now = Math.floor(Date.now() / 1000);
    return {
      pid: process.pid,
      uptime: now - Math.floor(this.startedAt / 1000),
      time: this.clock.nowSeconds(),
      version: config.VERSION,
      libevent: 'node',
      pointer_size: 64,
      curr_connections: this.nodes.reduce((a, n) => a + n.kv.sessions.size, 0),
      curr_items: b ? b.count() : 0,
      ep_num_vbuckets: 1024,
    };
  }

  private bump(): void {
    this.rev++;
    this.cache.clear();
    this.emit('config');
  }

  // ---- buckets ----

  createBucket(spec: BucketSpec): Bucket {
    const name = spec.name;
    if (!BUCKET_NAME.test(name)) throw new ClusterError(`invalid bucket name: ${name}`);
    if (this.buckets.has(name)) throw new ClusterError(`bucket ${name} already exists`);
    const replicas = Math.max(0, Math.min(3, spec.replicas ?? this.defaultReplicas));
    let log: BucketLog | undefined;
    let docs;
    if (this.opts.dataDir) {
      const opened = BucketLog.open(path.join(this.opts.dataDir, 'buckets', `${encodeURIComponent(name)}.log`));
      log = opened.log;
      docs = opened.docs;
    }
    const bucket = new Bucket({ name, password: spec.password ?? '', replicas, flushEnabled: spec.flushEnabled, ramQuotaMB: spec.ramQuotaMB, clock: this.clock, delays: this.delays, queue: this.queue, log });
    bucket.applyMap(buildVbucketMap(this.activeNodes().map((n) => n.id), replicas));
    if (docs) bucket.loadFromDisk(docs);
    const entry: BucketEntry = { bucket };
    if (this.opts.views) {
      const persistence = this.opts.dataDir ? this.ddocPersistence(name) : undefined;
      entry.views = this.opts.views.createViewService(bucket, { persistence });
    }
    this.buckets.set(name, entry);
    this.saveBucketList();
    this.bump();
    return bucket;
  }

  /** Edits a bucket (REST "Edit bucket"): flush, quota now; replicas at the next rebalance. */
  updateBucket(name: string, u: { flushEnabled?: boolean; ramQuotaMB?: number; replicas?: number; password?: string }): void {
    const b = this.bucket(name);
    if (!b) throw new ClusterError(`bucket ${name} not found`, 404);
    if (u.flushEnabled !== undefined) b.flushEnabled = u.flushEnabled;
    if (u.ramQuotaMB !== undefined) b.ramQuotaMB = u.ramQuotaMB;
    if (u.password !== undefined) b.password = u.password;
    if (u.replicas !== undefined && u.replicas !== b.replicas) b.pendingReplicas = Math.max(0, Math.min(3, u.replicas));
    this.saveBucketList();
    this.bump();
  }

  deleteBucket(name: string): void {
    const e = this.buckets.get(name);
    if (!e) throw new ClusterError(`bucket ${name} not found`, 404);
    this.buckets.delete(name);
    e.views?.close();
    e.bucket.destroy();
    for (const n of this.nodes) for (const s of n.kv.sessions) if (s.bucket === e.bucket) s.bucket = undefined;
    this.saveBucketList();
    this.bump();
  }

  flush(name: string): void {
    const e = this.buckets.get(name);
    if (!e) throw new ClusterError(`bucket ${name} not found`, 404);
    e.bucket.flush();
    e.views?.reset();
  }

  /** Flush plus every design document removed: the bucket as freshly created. */
  reset(name: string): void {
    this.flush(name);
    const views = this.views(name);
    if (views) for (const { name: dd } of views.designDocs()) views.deleteDesignDoc(dd);
  }

  views(name: string): ViewService | undefined {
    return this.buckets.get(name)?.views;
  }

  /** Bucket specs remembered in the data dir (created through the API after first start). */
  savedBuckets(): BucketSpec[] | undefined {
    if (!this.opts.dataDir) return undefined;
    return readJsonFile<BucketSpec[] | undefined>(path.join(this.opts.dataDir, 'buckets.json'), undefined);
  }

  private saveBucketList(): void {
    if (!this.opts.dataDir) return;
    const list: BucketSpec[] = [...this.buckets.values()].map((e) => ({
      name: e.bucket.name,
      password: e.bucket.password,
      replicas: e.bucket.replicas,
      flushEnabled: e.bucket.flushEnabled,
      ramQuotaMB: e.bucket.ramQuotaMB,
    }));
    writeFileAtomic(path.join(this.opts.dataDir, 'buckets.json'), JSON.stringify(list));
  }

  private ddocPersistence(bucket: string): DesignDocPersistence {
    const file = path.join(this.opts.dataDir!, 'buckets', `${encodeURIComponent(bucket)}.ddocs.json`);
    return {
      load: () => readJsonFile<Record<string, unknown>>(file, {}),
      save: (name, doc) => {
        const all = readJsonFile<Record<string, unknown>>(file, {});
        if (doc === undefined) delete all[name];
        else all[name] = doc;
        writeFileAtomic(file, JSON.stringify(all));
      },
    };
  }

  // ---- topology ----

  node(i: number): EmuNode {
    const n = this.nodes[i];
    if (!n || n.membership === 'removed') throw new ClusterError(`no node ${i}`, 404);
    return n;
  }

  /** Hard failover: the node leaves the map, its replicas are promoted. */
  failover(i: number): void {
    const n = this.node(i);
    if (n.membership !== 'active') throw new ClusterError(`node ${i} is not active`);
    if (this.activeNodes().length <= 1) throw new ClusterError('cannot fail over the last node');
    n.membership = 'failed';
    const alive = new Set(this.activeNodes().map((x) => x.id));
    for (const { bucket, views } of this.buckets.values()) {
      const promoted = new Set<number>();
      const map = bucket.map.map((row, vb) => {
        const rest = row.filter((id) => id >= 0 && alive.has(id));
        if (row[0] !== n.id) {
          // Active unchanged; drop the failed replica.
          return [row[0], ...row.slice(1).map((id) => (id === n.id ? -1 : id))];
        }
        promoted.add(vb);
        const out = rest.slice();
        while (out.length < row.length) out.push(-1);
        return out;
      });
      bucket.applyMap(map, promoted);
      // Promoted replicas may lack the last unreplicated mutations: indexes rebuild from what survived.
      views?.reset();
    }
    this.bump();
  }

  /** Ejects failed-over nodes, admits added ones, spreads vBuckets evenly again. */
  rebalance(): void {
    for (const n of this.nodes) {
      if (n.membership === 'failed') {
        n.membership = 'removed';
        void n.stop();
      } else if (n.membership === 'added') {
        n.membership = 'active';
      }
    }
    const ids = this.activeNodes().map((n) => n.id);
    for (const { bucket } of this.buckets.values()) {
      if (bucket.pendingReplicas !== undefined) {
        bucket.replicas = bucket.pendingReplicas;
        bucket.pendingReplicas = undefined;
      }
      bucket.applyMap(buildVbucketMap(ids, bucket.replicas));
    }
    this.bump();
  }

  /** Adds a node (new ports); it serves data after a rebalance, done here unless told not to. */
  async addNode(rebalance = true): Promise<number> {
    const n = new EmuNode(this.nodes.length, this, this.capi);
    await n.start(0, 0);
    n.membership = 'added';
    this.nodes.push(n);
    if (rebalance) this.rebalance();
    else this.bump();
    return n.id;
  }

  /** Takes the node out of the cluster (rebalance out); its ports close. */
  async removeNode(i: number): Promise<void> {
    const n = this.node(i);
    if (n.membership === 'active' && this.activeNodes().length <= 1) throw new ClusterError('cannot remove the last node');
    n.membership = 'failed';
    this.rebalance();
    await n.stop();
  }

  async stopNode(i: number): Promise<void> {
    await this.node(i).stop();
    this.markDown(i, true);
  }

  async startNode(i: number): Promise<void> {
    await this.node(i).start();
    this.markDown(i, false);
  }

  hangNode(i: number): void {
    const n = this.node(i);
    n.hang();
    if (n.state === 'hung') this.markDown(i, true);
  }

  /** Views merge per-node answers on Couchbase Server: a down node's documents leave the results. */
  private markDown(i: number, down: boolean): void {
    for (const { bucket, views } of this.buckets.values()) if (bucket.setNodeDown(i, down)) views?.reset();
  }

  setDelays(d: { replicationMs?: number; persistenceMs?: number }): void {
    if (d.replicationMs !== undefined) this.delays.replicationMs = Math.max(0, Number(d.replicationMs) || 0);
    if (d.persistenceMs !== undefined) this.delays.persistenceMs = Math.max(0, Number(d.persistenceMs) || 0);
  }

  inject(f: Fault): void {
    if (!(f.count > 0)) throw new ClusterError('count must be positive');
    if (f.action !== 'error' && f.action !== 'silence' && f.action !== 'reset') throw new ClusterError("action must be 'error', 'silence' or 'reset'");
    this.faults.push({ ...f });
  }
}

/** Loads a sample folder or zip into a bucket (documents, and design docs when views run). */
export function loadSampleInto(cluster: Cluster, bucket: string, samplePath: string): { docs: number; designDocs: number } {
  const b = cluster.bucket(bucket);
  if (!b) throw new ClusterError(`bucket ${bucket} not found`, 404);
  const views = cluster.views(bucket);
  return loadSample(samplePath, {
    put: (key, value) => b.put(key, value, 0),
    putDesignDoc: views ? (name, doc) => views.putDesignDoc(name, doc) : undefined,
  });
}
