/**
 * An in-memory NativeAddon implementing the src/binding.ts contract (a test double for the
 * TS layer, not a stub): documents with CAS, flags and expiry, counters, locks, a simulated
 * cluster of `nodes` with `replicas` for observe/replica reads (replication and persistence
 * complete after configurable delays), and stats. Responses of one loop iteration are
 * delivered in one call, as the real addon does.
 */
import type {
  NativeAddon, NativeBatch, NativeConnection, NativeConnectionOptions, NativeHttpSpec, NativeRequest, NativeResponses,
  NativeViewEnd, NativeViewSpec,
} from '../../src/binding.js';
import { NativeOp } from '../../src/binding.js';

// lcb_STATUS values (libcouchbase 3.x) the double uses.
export const RC = {
  SUCCESS: 0, TIMEOUT: 201, REQUEST_CANCELED: 202, INVALID_ARGUMENT: 203, AUTH: 206, TEMPFAIL: 207, CAS_MISMATCH: 209,
  BUCKET_NOT_FOUND: 210, NOT_FOUND: 301, LOCKED: 303, TOO_BIG: 304, EXISTS: 305, NO_MATCHING_SERVER: 1010,
  CONNECTION_REFUSED: 1024, NOT_STORED: 1043, INVALID_DELTA: 1046, EMPTY_KEY: 1052, UNSUPPORTED: 214,
} as const;

const THIRTY_DAYS = 30 * 24 * 3600;
const MAX_VALUE = 20 * 1024 * 1024;
const U64_MAX = (1n << 64n) - 1n;

interface Doc {
  value: Buffer;
  flags: number;
  cas: bigint;
  /** Absolute ms, 0 = never. */
  expiresAt: number;
  lockedUntil: number;
  mutatedAt: number;
  deleted: boolean;
  /** Replica copy as last replicated (what a replica read sees). */
  replica?: { value: Buffer; flags: number; cas: bigint; deleted: boolean };
}

export interface FakeOptions {
  nodes?: number;
  replicas?: number;
  /** ms until a mutation is persisted on the master (and, with replicateDelayMs, on replicas). */
  persistDelayMs?: number;
  /** ms until a mutation reaches the replicas. */
  replicateDelayMs?: number;
  buckets?: string[];
  username?: string;
  password?: string;
  /** Hosts that refuse connections. */
  unreachable?: string[];
  /** When true, the KV ops observe/replica/lock are "not supported" (like memcached). */
  memcachedMode?: boolean;
}

interface Reply {
  seq: number; rc: number; cas: bigint; flags: number; u64: bigint; aux: number; final: boolean; data?: Buffer; text?: string;
}

/** The fake cluster: shared by every connection made through its `addon`. */
export class FakeCluster {
  readonly opts: Required<Omit<FakeOptions, 'username' | 'password'>> & { username?: string; password?: string };
  readonly buckets = new Map<string, Map<string, Doc>>();
  /** Every batch submitted, across connections (count + ops). */
  readonly submits: Array<{ count: number; ops: number[] }> = [];
  readonly connections: FakeConnection[] = [];
  /** Offset added to the clock, to test expiry without waiting. */
  clockOffsetMs = 0;
  #casSeq = 0n;
  /** When set, responses are held until release(). */
  hold = false;

  constructor(options: FakeOptions = {}) {
    this.opts = {
      nodes: options.nodes ?? 1,
      replicas: options.replicas ?? 0,
      persistDelayMs: options.persistDelayMs ?? 5,
      replicateDelayMs: options.replicateDelayMs ?? 2,
      buckets: options.buckets ?? ['default'],
      unreachable: options.unreachable ?? [],
      memcachedMode: options.memcachedMode ?? false,
      username: options.username,
      password: options.password,
    };
    for (const b of this.opts.buckets) this.buckets.set(b, new Map());
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Advances the fake clock. */
  advance(seconds: number): void {
    this.clockOffsetMs += seconds * 1000;
  }

  nextCas(): bigint {
    this.#casSeq += 1n;
    return (BigInt(this.now()) << 16n) + this.#casSeq;
  }

  nodeNames(): string[] {
    return Array.from({ length: this.opts.nodes }, (_, i) => `127.0.0.1:${11210 + i * 10}`);
  }

  /** Delivers held responses. */
  release(): void {
    this.hold = false;
    for (const c of this.connections) c.flushReplies();
  }

  readonly addon: NativeAddon = {
    Connection: (() => {
      const cluster = this;
      return class {
        constructor(options: NativeConnectionOptions, onResponses: (r: NativeResponses) => void) {
          const c = new FakeConnection(cluster, options, onResponses);
          cluster.connections.push(c);
          return c as unknown as object;
        }
      } as unknown as NativeAddon['Connection'];
    })(),
    lcbVersion: '3.3.4-fake',
    strerror: (rc: number) => ({ name: `LCB_${rc}`, description: `status ${rc}` }),
  };
}

export class FakeConnection implements NativeConnection {
  #cluster: FakeCluster;
  #options: NativeConnectionOptions;
  #onResponses: (r: NativeResponses) => void;
  #replies: Reply[] = [];
  #scheduled = false;
  #connected = false;
  #closed = false;
  #bucket = 'default';
  operationTimeoutUs: number;
  /** Like the addon: commands executed whose final reply has not been delivered, bounded by maxInflight. */
  inflight = 0;
  #liveSeqs = new Map<number, number>();
  readonly maxInflight: number;
  /** Like the addon: commands beyond the bound wait here (rc 0 at submit) until replies free room. */
  #queue: Array<{ seq: number; deadline: number; run: (rcs: Int32Array) => void }> = [];

  constructor(cluster: FakeCluster, options: NativeConnectionOptions, onResponses: (r: NativeResponses) => void) {
    if (typeof options?.connstr !== 'string') throw new TypeError('connstr must be a string');
    if (typeof onResponses !== 'function') throw new TypeError('onResponses must be a function');
    this.#cluster = cluster;
    this.#options = options;
    this.#onResponses = onResponses;
    this.operationTimeoutUs = options.operationTimeoutUs;
    this.maxInflight = options.maxOutstanding ?? 512;
  }

  /** Commands waiting for room. */
  get queued(): number {
    return this.#queue.length;
  }

  #maxInflight = 0;
  stats(): { inflight: number; queued: number; maxInflight: number; bound: number } {
    return { inflight: this.inflight, queued: this.#queue.length, maxInflight: this.#maxInflight, bound: this.maxInflight };
  }

  get options(): NativeConnectionOptions {
    return this.#options;
  }

  connect(done: (rc: number, detail: string) => void): void {
    const m = /^[a-z]+:\/\/([^/?]*)(?:\/([^?]*))?/.exec(this.#options.connstr);
    setImmediate(() => {
      if (!m) return done(RC.INVALID_ARGUMENT, 'bad connection string');
      const hosts = m[1]!.split(',').map((h) => h.replace(/:\d+(=\w+)?$/, ''));
      if (hosts.every((h) => this.#cluster.opts.unreachable.includes(h))) return done(RC.CONNECTION_REFUSED, 'connection refused');
      const bucket = decodeURIComponent(m[2] || 'default');
      const c = this.#cluster.opts;
      if (c.password !== undefined && (this.#options.password !== c.password || (c.username !== undefined && this.#options.username !== c.username))) {
        return done(RC.AUTH, 'authentication failed');
      }
      if (!this.#cluster.buckets.has(bucket)) return done(RC.BUCKET_NOT_FOUND, `no bucket ${bucket}`);
      this.#bucket = bucket;
      this.#connected = true;
      done(0, '');
    });
  }

  setOperationTimeout(us: number): void {
    if (!Number.isFinite(us) || us <= 0) throw new TypeError('timeout must be positive');
    this.operationTimeoutUs = us;
  }

  serverNodes(): string[] {
    return this.#cluster.nodeNames();
  }

  /** The fake cluster has no views service: the request ends at once, as libcouchbase ends one it cannot route. */
  viewQuery(_spec: NativeViewSpec, onRows: (rowsJson: string, end?: NativeViewEnd) => void): NativeRequest {
    let cancelled = false;
    setImmediate(() => {
      if (!cancelled) onRows('[]', { rc: RC.UNSUPPORTED, httpStatus: 0, meta: '' });
    });
    return { cancel: () => { cancelled = true; } };
  }

  http(_spec: NativeHttpSpec, done: (rc: number, httpStatus: number, body: string) => void): NativeRequest {
    let cancelled = false;
    setImmediate(() => {
      if (!cancelled) done(RC.UNSUPPORTED, 0, '');
    });
    return { cancel: () => { cancelled = true; } };
  }

  close(done: () => void): void {
    this.#closed = true;
    this.#connected = false;
    for (const q of this.#queue.splice(0)) this.#reply(q.seq, RC.REQUEST_CANCELED);
    setImmediate(() => {
      this.flushReplies(true);
      done();
    });
  }

  submit(batch: NativeBatch): Int32Array {
    if (!this.#connected) throw new Error('not connected');
    const n = batch.count;
    for (const name of ['seq', 'op', 'keyEnd', 'valueEnd', 'flags', 'expiry', 'cas', 'delta', 'initial', 'aux'] as const) {
      if ((batch[name] as ArrayLike<unknown>).length < n) throw new TypeError(`batch.${name} is shorter than count`);
    }
    this.#cluster.submits.push({ count: n, ops: Array.from(batch.op.subarray(0, n)) });
    const rcs = new Int32Array(n);
    let kstart = 0;
    let vstart = 0;
    for (let i = 0; i < n; i++) {
      const key = Buffer.from(batch.keys.subarray(kstart, batch.keyEnd[i]));
      const value = Buffer.from(batch.values.subarray(vstart, batch.valueEnd[i]));
      kstart = batch.keyEnd[i]!;
      vstart = batch.valueEnd[i]!;
      const op = batch.op[i]!;
      if (key.length === 0 && op !== NativeOp.Stats) {
        rcs[i] = RC.EMPTY_KEY;
        continue;
      }
      const seq = batch.seq[i]!, flags = batch.flags[i]!, expiry = batch.expiry[i]!, cas = batch.cas[i]!;
      const delta = batch.delta[i]!, initial = batch.initial[i]!, aux = batch.aux[i]!;
      const run = (out: Int32Array, j: number) => this.#execute(seq, op, key, value, flags, expiry, cas, delta, initial, aux, out, j);
      if (this.#queue.length > 0 || this.inflight >= this.maxInflight) {
        this.#queue.push({ seq, deadline: performance.now() + this.operationTimeoutUs / 1000, run: (out) => run(out, 0) });
        continue;
      }
      run(rcs, i);
      if (rcs[i] === 0) this.#track(seq);
    }
    this.#schedule();
    return rcs;
  }

  #track(seq: number): void {
    this.#liveSeqs.set(seq, (this.#liveSeqs.get(seq) ?? 0) + 1);
    if (++this.inflight > this.#maxInflight) this.#maxInflight = this.inflight;
  }

  /** Like the addon's prepare phase: runs queued commands while there is room; expired ones time out. */
  #drain(): void {
    const now = performance.now();
    const rc = new Int32Array(1);
    while (this.#queue.length > 0 && (this.inflight < this.maxInflight || this.#queue[0]!.deadline <= now)) {
      const q = this.#queue.shift()!;
      if (q.deadline <= now) {
        this.#reply(q.seq, RC.TIMEOUT);
        continue;
      }
      rc[0] = 0;
      q.run(rc);
      if (rc[0] !== 0) this.#reply(q.seq, rc[0]!);
      else this.#track(q.seq);
    }
    if (this.#replies.length > 0) this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flushReplies();
    });
  }

  flushReplies(force = false): void {
    if ((this.#cluster.hold && !force) || this.#replies.length === 0) return;
    const replies = this.#replies;
    this.#replies = [];
    const n = replies.length;
    for (const r of replies) {
      const live = r.final ? this.#liveSeqs.get(r.seq) : undefined;
      if (live === undefined) continue;
      if (live > 1) this.#liveSeqs.set(r.seq, live - 1);
      else this.#liveSeqs.delete(r.seq);
      this.inflight--;
    }
    if (!this.#closed) queueMicrotask(() => this.#drain());
    const data = Buffer.concat(replies.map((r) => r.data ?? Buffer.alloc(0)));
    const dataEnd = new Uint32Array(n);
    let off = 0;
    replies.forEach((r, i) => { off += r.data?.length ?? 0; dataEnd[i] = off; });
    this.#onResponses({
      count: n,
      seq: Uint32Array.from(replies.map((r) => r.seq)),
      rc: Int32Array.from(replies.map((r) => r.rc)),
      cas: BigUint64Array.from(replies.map((r) => r.cas)),
      flags: Uint32Array.from(replies.map((r) => r.flags)),
      u64: BigUint64Array.from(replies.map((r) => r.u64)),
      aux: Int32Array.from(replies.map((r) => r.aux)),
      final: Uint8Array.from(replies.map((r) => (r.final ? 1 : 0))),
      data,
      dataEnd,
      text: replies.map((r) => r.text),
    });
  }

  #reply(seq: number, rc: number, extra: Partial<Reply> = {}): void {
    this.#replies.push({ seq, rc, cas: 0n, flags: 0, u64: 0n, aux: 0, final: true, ...extra });
  }

  #expiresAt(expiry: number): number {
    if (expiry === 0) return 0;
    return expiry <= THIRTY_DAYS ? this.#cluster.now() + expiry * 1000 : expiry * 1000;
  }

  /** The live document, after expiry and lock checks. */
  #live(store: Map<string, Doc>, k: string): Doc | undefined {
    const d = store.get(k);
    if (!d || d.deleted) return undefined;
    if (d.expiresAt !== 0 && d.expiresAt <= this.#cluster.now()) {
      this.#mutate(d, { deleted: true });
      return undefined;
    }
    return d;
  }

  #locked(d: Doc): boolean {
    return d.lockedUntil > this.#cluster.now();
  }

  #mutate(d: Doc, change: Partial<Doc>): void {
    // Replicas keep the previous version until replication completes.
    this.#syncReplica(d);
    Object.assign(d, change);
    d.cas = change.cas ?? this.#cluster.nextCas();
    d.mutatedAt = this.#cluster.now();
  }

  #replicated(d: Doc): boolean {
    return this.#cluster.now() - d.mutatedAt >= this.#cluster.opts.replicateDelayMs;
  }

  #persisted(d: Doc): boolean {
    return this.#cluster.now() - d.mutatedAt >= this.#cluster.opts.persistDelayMs;
  }

  #syncReplica(d: Doc): void {
    if (d.mutatedAt !== 0 && this.#replicated(d)) d.replica = { value: d.value, flags: d.flags, cas: d.cas, deleted: d.deleted };
  }

  #execute(seq: number, op: number, keyBuf: Buffer, value: Buffer, flags: number, expiry: number, cas: bigint, delta: bigint,
    initial: bigint, aux: number, rcs: Int32Array, i: number): void {
    const store = this.#cluster.buckets.get(this.#bucket)!;
    const k = keyBuf.toString('latin1');
    const mc = this.#cluster.opts.memcachedMode;
    switch (op) {
      case NativeOp.Get:
      case NativeOp.GetAndLock: {
        const d = this.#live(store, k);
        if (!d) return this.#reply(seq, RC.NOT_FOUND);
        if (op === NativeOp.GetAndLock) {
          if (mc) return this.#reply(seq, RC.UNSUPPORTED);
          if (this.#locked(d)) return this.#reply(seq, RC.LOCKED);
          d.lockedUntil = this.#cluster.now() + (expiry === 0 ? 15 : Math.min(expiry, 30)) * 1000;
          d.cas = this.#cluster.nextCas();
        } else if (expiry !== 0) {
          if (this.#locked(d)) return this.#reply(seq, RC.LOCKED);
          d.expiresAt = this.#expiresAt(expiry);
        }
        return this.#reply(seq, 0, { cas: d.cas, flags: d.flags, data: d.value });
      }
      case NativeOp.GetReplica: {
        if (![-2, -1, 0, 1, 2].includes(aux)) {
          rcs[i] = RC.INVALID_ARGUMENT; // like the addon: rejected at submit
          return;
        }
        if (mc) return this.#reply(seq, RC.UNSUPPORTED);
        const replicas = Math.min(this.#cluster.opts.replicas, this.#cluster.opts.nodes - 1);
        if (replicas === 0 || aux >= replicas) return this.#reply(seq, RC.NO_MATCHING_SERVER);
        const d = store.get(k);
        if (d) this.#syncReplica(d);
        const r = d?.replica;
        if (!r || r.deleted) return this.#reply(seq, RC.NOT_FOUND);
        return this.#reply(seq, 0, { cas: r.cas, flags: r.flags, data: r.value });
      }
      case NativeOp.Set:
      case NativeOp.Add:
      case NativeOp.Replace: {
        if (value.length > MAX_VALUE) return this.#reply(seq, RC.TOO_BIG);
        const d = this.#live(store, k);
        if (op === NativeOp.Add && d) return this.#reply(seq, RC.EXISTS);
        if (op === NativeOp.Replace && !d) return this.#reply(seq, RC.NOT_FOUND);
        if (cas !== 0n && !d) return this.#reply(seq, RC.NOT_FOUND);
        if (d && this.#locked(d) && cas !== d.cas) return this.#reply(seq, RC.LOCKED);
        if (d && cas !== 0n && cas !== d.cas) return this.#reply(seq, RC.CAS_MISMATCH);
        const change = { value, flags, expiresAt: this.#expiresAt(expiry), lockedUntil: 0, deleted: false };
        const existing = store.get(k);
        if (existing) this.#mutate(existing, change);
        else {
          const doc: Doc = { ...change, cas: this.#cluster.nextCas(), mutatedAt: this.#cluster.now() };
          store.set(k, doc);
        }
        return this.#reply(seq, 0, { cas: store.get(k)!.cas });
      }
      case NativeOp.Append:
      case NativeOp.Prepend: {
        const d = this.#live(store, k);
        if (!d) return this.#reply(seq, RC.NOT_STORED);
        if (this.#locked(d) && cas !== d.cas) return this.#reply(seq, RC.LOCKED);
        if (cas !== 0n && cas !== d.cas) return this.#reply(seq, RC.CAS_MISMATCH);
        const v = op === NativeOp.Append ? Buffer.concat([d.value, value]) : Buffer.concat([value, d.value]);
        if (v.length > MAX_VALUE) return this.#reply(seq, RC.TOO_BIG);
        this.#mutate(d, { value: v, lockedUntil: 0 });
        return this.#reply(seq, 0, { cas: d.cas });
      }
      case NativeOp.Delete: {
        const d = this.#live(store, k);
        if (!d) return this.#reply(seq, RC.NOT_FOUND);
        if (this.#locked(d) && cas !== d.cas) return this.#reply(seq, RC.LOCKED);
        if (cas !== 0n && cas !== d.cas) return this.#reply(seq, RC.CAS_MISMATCH);
        this.#mutate(d, { deleted: true, value: Buffer.alloc(0), lockedUntil: 0 });
        return this.#reply(seq, 0, { cas: d.cas });
      }
      case NativeOp.Incr:
      case NativeOp.Decr: {
        const d = this.#live(store, k);
        if (!d) {
          if (aux !== 1) return this.#reply(seq, RC.NOT_FOUND);
          const doc: Doc = { value: Buffer.from(initial.toString()), flags: 0, cas: this.#cluster.nextCas(), expiresAt: this.#expiresAt(expiry), lockedUntil: 0, mutatedAt: this.#cluster.now(), deleted: false };
          const prev = store.get(k);
          if (prev) {
            this.#mutate(prev, { ...doc, cas: undefined as unknown as bigint });
            prev.cas = this.#cluster.nextCas();
          } else store.set(k, doc);
          const cur = store.get(k)!;
          return this.#reply(seq, 0, { cas: cur.cas, u64: initial });
        }
        if (this.#locked(d)) return this.#reply(seq, RC.LOCKED);
        const text = d.value.toString('latin1');
        if (!/^\d{1,20}$/.test(text) || BigInt(text) > U64_MAX) return this.#reply(seq, RC.INVALID_DELTA);
        let n = BigInt(text);
        if (op === NativeOp.Incr) n = (n + delta) & U64_MAX;
        else n = n > delta ? n - delta : 0n;
        this.#mutate(d, { value: Buffer.from(n.toString()) });
        return this.#reply(seq, 0, { cas: d.cas, u64: n });
      }
      case NativeOp.Touch: {
        const d = this.#live(store, k);
        if (!d) return this.#reply(seq, RC.NOT_FOUND);
        if (this.#locked(d)) return this.#reply(seq, RC.LOCKED);
        d.expiresAt = this.#expiresAt(expiry);
        d.cas = this.#cluster.nextCas();
        return this.#reply(seq, 0, { cas: d.cas });
      }
      case NativeOp.Unlock: {
        if (mc) return this.#reply(seq, RC.UNSUPPORTED);
        if (cas === 0n) {
          rcs[i] = RC.INVALID_ARGUMENT;
          return;
        }
        const d = this.#live(store, k);
        if (!d) return this.#reply(seq, RC.NOT_FOUND);
        if (!this.#locked(d)) return this.#reply(seq, RC.TEMPFAIL);
        if (d.cas !== cas) return this.#reply(seq, RC.LOCKED);
        d.lockedUntil = 0;
        return this.#reply(seq, 0, { cas: d.cas });
      }
      case NativeOp.Observe: {
        if (mc) {
          rcs[i] = RC.UNSUPPORTED; // like the addon: memcached has no vBuckets, rejected at submit
          return;
        }
        const nodes = this.#cluster.nodeNames();
        const replicas = Math.min(this.#cluster.opts.replicas, nodes.length - 1);
        const d = store.get(k);
        if (d) this.#live(store, k);
        if (d) this.#syncReplica(d);
        const masterStatus = !d ? 0x80 : d.deleted ? (this.#persisted(d) ? 0x80 : 0x81) : this.#persisted(d) ? 0x01 : 0x00;
        this.#reply(seq, 0, { cas: d && !d.deleted ? d.cas : 0n, aux: masterStatus | 0x100, final: replicas === 0, text: nodes[0] });
        for (let r = 0; r < replicas; r++) {
          const rep = d?.replica;
          const st = !rep ? 0x80 : rep.deleted ? 0x80 : this.#persisted(d!) || rep.cas !== d!.cas ? 0x01 : 0x00;
          this.#reply(seq, 0, { cas: rep && !rep.deleted ? rep.cas : 0n, aux: st, final: r === replicas - 1, text: nodes[r + 1] });
        }
        return;
      }
      case NativeOp.Stats: {
        const group = keyBuf.toString('utf8');
        const nodes = this.#cluster.nodeNames();
        const stats: Array<[string, string]> = group === ''
          ? [['pid', String(process.pid)], ['curr_items', String([...store.values()].filter((d) => !d.deleted).length)], ['uptime', '42']]
          : group === 'memory' ? [['mem_used', '1024']] : [];
        if (stats.length === 0) return this.#reply(seq, RC.INVALID_ARGUMENT);
        nodes.forEach((node, ni) => stats.forEach(([name, v], si) => this.#reply(seq, 0, {
          text: `${node}\t${name}`, data: Buffer.from(v), final: ni === nodes.length - 1 && si === stats.length - 1,
        })));
        return;
      }
      default:
        rcs[i] = RC.INVALID_ARGUMENT;
    }
  }
}

/** A fresh fake cluster and a connect() bound to it. */
export function fakeCluster(options: FakeOptions = {}): FakeCluster {
  return new FakeCluster(options);
}
