/**
 * A bucket: 1024 vBuckets, each with an active copy and replica copies placed on nodes by the
 * vBucket map, a CAS source, simulated replication and persistence (delays), and optional
 * `--data-dir` durability through an append-only log. Implements the views seam
 * (`ViewDataSource`) over the active copies.
 */
import { randomBytes } from 'node:crypto';
import { Item, VBucket, VbCopy } from './vbucket.js';
import { NUM_VBUCKETS, vbucketOf } from '../cluster/vbucket-map.js';
import type { DelayQueue } from '../cluster/replication.js';
import type { Clock } from '../cluster/clock.js';
import { BucketLog, type DiskDoc } from './disk.js';
import type { ViewDataSource, ViewDocument } from '../views/contract.js';
import { tombstone, type EngineClock } from '../kv/engine.js';
import { Datatype } from '../kv/opcodes.js';

export interface Delays {
  replicationMs: number;
  persistenceMs: number;
}

export interface BucketOptions {
  name: string;
  password: string;
  replicas: number;
  /** Flush allowed through the REST API (default true). */
  flushEnabled?: boolean;
  /** Reported RAM quota (default 100). */
  ramQuotaMB?: number;
  clock: Clock;
  delays: Delays;
  queue: DelayQueue;
  log?: BucketLog;
}

type MutationListener = (key: string, doc: ViewDocument | undefined) => void;

let casSeed = BigInt(Date.now()) * 1_000_000n;
/** Appended log bytes after which a compaction is considered. */
const COMPACT_AFTER = 64 * 1024 * 1024;
/** Age (emulator clock seconds) after which persisted tombstones are purged. */
const TOMBSTONE_PURGE_S = 300;

export class Bucket implements ViewDataSource {
  readonly name: string;
  password: string;
  /** Replicas in the current map; a changed setting takes effect at the next rebalance. */
  replicas: number;
  /** Replica count asked for by a bucket update, applied by the next rebalance. */
  pendingReplicas: number | undefined;
  flushEnabled: boolean;
  ramQuotaMB: number;
  readonly uuid = randomBytes(16).toString('hex');
  readonly vbs: VBucket[] = [];
  /** Rows of [active, replica...] node ids; -1 = none. */
  map: number[][] = [];
  /** Engine time context, refreshed by `tick()` before each request. */
  readonly ctx: EngineClock;
  private readonly clock: Clock;
  private readonly delays: Delays;
  private readonly queue: DelayQueue;
  private log: BucketLog | undefined;
  private readonly listeners = new Set<MutationListener>();
  private mutations = 0;
  /** Nodes stopped or hung: views see none of the documents they hold active. */
  private readonly down = new Set<number>();
  private hasExpiry = false;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly offClock: () => void;

  constructor(o: BucketOptions) {
    this.name = o.name;
    this.password = o.password;
    this.replicas = o.replicas;
    this.pendingReplicas = undefined;
    this.flushEnabled = o.flushEnabled ?? true;
    this.ramQuotaMB = o.ramQuotaMB ?? 100;
    this.clock = o.clock;
    this.delays = o.delays;
    this.queue = o.queue;
    this.log = o.log;
    for (let i = 0; i < NUM_VBUCKETS; i++) this.vbs.push(new VBucket(i, randomBytes(8).readBigUInt64BE(0) >> 1n));
    const self = this;
    this.ctx = {
      nowMs: 0,
      nowSec: 0,
      nextCas(): bigint {
        const t = BigInt(self.clock.now()) * 1_000_000n;
        casSeed = casSeed >= t ? casSeed + 1n : t;
        return casSeed;
      },
    };
    this.tick();
    this.offClock = this.clock.onAdvance(() => this.sweep());
    this.sweepTimer = setInterval(() => {
      if (this.hasExpiry) this.sweep();
    }, 1000);
    this.sweepTimer.unref();
  }

  /** Refreshes the engine's notion of now. */
  tick(): EngineClock {
    const ms = this.clock.now();
    this.ctx.nowMs = ms;
    this.ctx.nowSec = Math.floor(ms / 1000);
    return this.ctx;
  }

  /** Installs a vBucket map, moving or copying data to new owners. */
  applyMap(map: number[][], newUuidFor?: Set<number>): void {
    for (let vb = 0; vb < NUM_VBUCKETS; vb++) {
      const v = this.vbs[vb];
      const row = map[vb];
      const source = v.active ?? this.bestCopy(v);
      const keep = new Set(row.filter((n) => n >= 0));
      for (const n of [...v.copies.keys()]) if (!keep.has(n)) v.copies.delete(n);
      for (const n of keep) {
        if (!v.copies.has(n)) v.copies.set(n, source ? cloneCopy(source, n) : new VbCopy(n));
      }
      const a = row[0];
      v.activeNode = a;
      v.active = a >= 0 ? v.copies.get(a) : undefined;
      if (newUuidFor?.has(vb)) v.uuid = randomBytes(8).readBigUInt64BE(0) >> 1n;
    }
    this.map = map;
  }

  private bestCopy(v: VBucket): VbCopy | undefined {
    let best: VbCopy | undefined;
    for (const c of v.copies.values()) if (!best || c.highSeqno > best.highSeqno) best = c;
    return best;
  }

  /** Key -> vBucket, as clients hash it. */
  vbucketOf(key: string): number {
    return vbucketOf(key);
  }

  /**
   * Makes `item` the new state of `key` in the active copy of `vb`: assigns its seqno, queues
   * replication and persistence, tells view listeners, appends to the data-dir log.
   */
  commit(vb: VBucket, key: string, item: Item): void {
    const active = vb.active;
    if (!active) return;
    item.seqno = ++active.highSeqno;
    active.items.set(key, item);
    this.mutations++;
    if (item.exp !== 0) this.hasExpiry = true;
    this.persistLater(vb, active, key, item);
    if (vb.copies.size > 1) {
      for (const copy of vb.copies.values()) {
        if (copy === active) continue;
        const replica = item.clone();
        this.queue.schedule(this.delays.replicationMs, () => {
          if (vb.copies.get(copy.node) !== copy || vb.active === copy) return;
          copy.items.set(key, replica);
          if (replica.seqno > copy.highSeqno) copy.highSeqno = replica.seqno;
          this.persistLater(vb, copy, key, replica);
        });
      }
    }
    if (this.log) {
      if (item.deleted) this.log.delete(key);
      else this.log.set(toDisk(key, item));
      if (this.log.written > this.compactAt && !this.compactScheduled) {
        this.compactScheduled = true;
        setImmediate(() => this.compactLog());
      }
    }
    if (this.listeners.size && !this.down.has(vb.activeNode)) {
      const doc = item.deleted ? undefined : toViewDoc(key, item);
      const id = doc ? doc.id : Buffer.from(key, 'latin1').toString('utf8');
      for (const l of this.listeners) {
        try {
          l(id, doc);
        } catch {
          // a listener never breaks a mutation
        }
      }
    }
  }

  private compactScheduled = false;
  private compactAt = COMPACT_AFTER;

  /** Rewrites the data-dir log from the live documents once enough was appended. */
  private compactLog(): void {
    this.compactScheduled = false;
    const log = this.log;
    if (!log) return;
    const now = this.clock.nowSeconds();
    let live = 0;
    const docs: DiskDoc[] = [];
    for (const v of this.vbs) {
      if (!v.active) continue;
      for (const [key, item] of v.active.items) {
        if (!item.live(now)) continue;
        docs.push(toDisk(key, item));
        live += item.value.length + key.length + 40;
      }
    }
    if (log.written < 2 * live) {
      this.compactAt = log.written + Math.max(COMPACT_AFTER, 2 * live);
      return;
    }
    log.compact(docs);
    this.compactAt = Math.max(COMPACT_AFTER, 2 * live);
  }

  private persistLater(vb: VBucket, copy: VbCopy, key: string, item: Item): void {
    const done = (): void => {
      if (vb.copies.get(copy.node) !== copy) return;
      if (copy.items.get(key) === item) item.persisted = true;
      if (item.seqno > copy.persistedSeqno) copy.persistedSeqno = item.seqno;
    };
    if (!(this.delays.persistenceMs > 0)) done();
    else this.queue.schedule(this.delays.persistenceMs, done);
  }

  /** Stores a document directly (sample loading, data-dir replay, in-process API). */
  put(key: string, value: Buffer, flags = 0, datatype?: number, exp = 0, cas?: bigint, revSeqno?: number, fromDisk = false): void {
    const vb = this.vbs[vbucketOf(key)];
    const cur = vb.active?.items.get(key);
    const dt = datatype ?? (looksJson(value) ? Datatype.Json : 0);
    const item = new Item(value, flags, exp, cas ?? this.ctx.nextCas(), dt, revSeqno ?? (cur ? cur.revSeqno + 1 : 1), 0, false);
    if (cas !== undefined && cas > casSeed) casSeed = cas;
    if (fromDisk) {
      const log = this.log;
      this.log = undefined;
      this.commit(vb, key, item);
      this.log = log;
    } else {
      this.commit(vb, key, item);
    }
  }

  /** Loads documents replayed from the data dir. */
  loadFromDisk(docs: Map<string, DiskDoc>): void {
    for (const d of docs.values()) this.put(d.key, d.value, d.flags, d.datatype, d.exp, d.cas, d.revSeqno, true);
  }

  /** Removes every document (bucket flush). */
  flush(): void {
    for (const v of this.vbs) for (const c of v.copies.values()) {
      c.items.clear();
      c.persistedSeqno = c.highSeqno;
    }
    this.mutations++;
    this.log?.flushAll();
  }

  /** Turns expired items into deletions (replicated, logged, told to views). */
  sweep(): void {
    const ctx = this.tick();
    let any = false;
    for (const v of this.vbs) {
      const a = v.active;
      if (!a) continue;
      for (const [key, item] of a.items) {
        if (item.exp === 0) continue;
        if (item.deleted) {
          // Metadata purge: tombstones persisted everywhere and old enough disappear.
          if (item.exp + TOMBSTONE_PURGE_S <= ctx.nowSec && this.purgeable(v, key)) {
            for (const c of v.copies.values()) c.items.delete(key);
          } else {
            any = true;
          }
        } else if (item.exp <= ctx.nowSec) {
          this.commit(v, key, tombstone(item, ctx));
          any = true;
        } else {
          any = true;
        }
      }
    }
    this.hasExpiry = any;
  }

  private purgeable(v: VBucket, key: string): boolean {
    for (const c of v.copies.values()) {
      const it = c.items.get(key);
      if (it !== undefined && (!it.deleted || !it.persisted)) return false;
    }
    return true;
  }

  /** Live documents in active copies. */
  count(): number {
    const now = this.tick().nowSec;
    let n = 0;
    for (const v of this.vbs) if (v.active) for (const it of v.active.items.values()) if (it.live(now)) n++;
    return n;
  }

  /**
   * Marks a node down (stopped or hung) or up again. Views index per node on Couchbase Server, so
   * the documents a down node holds active drop out of `documents()` until it is back (the
   * cluster then has the view indexes rebuilt).
   */
  setNodeDown(node: number, isDown: boolean): boolean {
    if (this.down.has(node) === isDown) return false;
    if (isDown) this.down.add(node);
    else this.down.delete(node);
    this.mutations++;
    return true;
  }

  // ---- ViewDataSource ----

  *documents(): Iterable<ViewDocument> {
    const now = this.clock.nowSeconds();
    for (const v of this.vbs) {
      if (!v.active || this.down.has(v.activeNode)) continue;
      for (const [key, item] of v.active.items) if (item.live(now)) yield toViewDoc(key, item);
    }
  }

  onMutation(listener: MutationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  seqno(): number {
    return this.mutations;
  }

  close(): void {
    this.offClock();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.listeners.clear();
    this.log?.close();
  }

  /** Deletes the bucket's data-dir log. */
  destroy(): void {
    this.close();
    this.log?.destroy();
  }
}

function cloneCopy(src: VbCopy, node: number): VbCopy {
  const c = new VbCopy(node);
  for (const [k, it] of src.items) {
    const n = it.clone();
    n.persisted = true;
    c.items.set(k, n);
  }
  c.highSeqno = src.highSeqno;
  c.persistedSeqno = src.highSeqno;
  return c;
}

function toViewDoc(key: string, item: Item): ViewDocument {
  return {
    id: Buffer.from(key, 'latin1').toString('utf8'),
    value: item.value,
    flags: item.flags,
    expiration: item.exp,
    cas: item.cas,
    revSeqno: item.revSeqno,
  };
}

function toDisk(key: string, item: Item): DiskDoc {
  return { key, value: item.value, flags: item.flags, exp: item.exp, cas: item.cas, datatype: item.datatype, revSeqno: item.revSeqno };
}

export function looksJson(v: Buffer): boolean {
  if (v.length === 0) return false;
  let i = 0;
  while (i < v.length && (v[i] === 0x20 || v[i] === 0x0a || v[i] === 0x0d || v[i] === 0x09)) i++;
  const c = v[i];
  if (c !== 0x7b && c !== 0x5b && c !== 0x22 && c !== 0x2d && !(c >= 0x30 && c <= 0x39) && c !== 0x74 && c !== 0x66 && c !== 0x6e) return false;
  try {
    JSON.parse(v.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}
