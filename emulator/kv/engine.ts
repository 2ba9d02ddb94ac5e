/**
 * Pure key-value semantics of Couchbase: given the current item of a key (or none) and the
 * request, compute the new item or a typed error. No sockets, no Buffers beyond values,
 * no side effects: the caller commits the result (store/bucket.ts).
 *
 * Rules (kv_engine docs, SDK RFCs): CAS changes on every mutation; a CAS mismatch is
 * KEY_EEXISTS; expiry <= 30 days is relative, else absolute Unix time; a locked key refuses
 * mutations without its CAS and unlocks on a CAS-matching store; counters are 64-bit
 * unsigned decimal strings (incr wraps, decr stops at 0); append/prepend work on raw bytes.
 */
import { Item } from '../store/vbucket.js';
import { MAX_VALUE_LEN, Datatype } from './opcodes.js';

export const enum EngineError {
  NotFound = 1,
  Exists = 2,
  TooBig = 3,
  Invalid = 4,
  NotStored = 5,
  DeltaBadval = 6,
  Locked = 9,
  NotLocked = 10,
}

export interface EngineClock {
  nowMs: number;
  nowSec: number;
  nextCas(): bigint;
}

const THIRTY_DAYS = 30 * 24 * 3600;
export const LOCKED_CAS = 0xffffffffffffffffn;
export const DEFAULT_LOCK_S = 15;
export const MAX_LOCK_S = 30;
const U64 = 0xffffffffffffffffn;

/** Absolute expiry (Unix seconds) from a protocol expiry value. */
export function absoluteExpiry(exp: number, nowSec: number): number {
  if (exp === 0) return 0;
  if (exp <= THIRTY_DAYS) return nowSec + exp;
  return exp;
}

function isLocked(item: Item, nowMs: number): boolean {
  return item.lockedUntil > nowMs;
}

/** Current visible item, or undefined when missing, deleted or expired. */
export function visible(item: Item | undefined, nowSec: number): Item | undefined {
  return item !== undefined && item.live(nowSec) ? item : undefined;
}

export type StoreMode = 'set' | 'add' | 'replace';

export interface StoreOptions {
  mode: StoreMode;
  value: Buffer;
  flags: number;
  expiry: number;
  cas: bigint;
  datatype: number;
  /** Keep the current document's expiry (PreserveTTL frame info). */
  preserveExpiry?: boolean;
}

export function store(cur: Item | undefined, o: StoreOptions, c: EngineClock): Item | EngineError {
  if (o.value.length > MAX_VALUE_LEN) return EngineError.TooBig;
  const live = visible(cur, c.nowSec);
  if (o.mode === 'add') {
    if (o.cas !== 0n) return EngineError.Invalid;
    if (live) return EngineError.Exists;
  } else if (live === undefined) {
    if (o.mode === 'replace' || o.cas !== 0n) return EngineError.NotFound;
  } else if (isLocked(live, c.nowMs)) {
    if (o.cas !== live.lockCas) return EngineError.Locked;
  } else if (o.cas !== 0n && o.cas !== live.cas) {
    return EngineError.Exists;
  }
  return new Item(
    o.value,
    o.flags,
    o.preserveExpiry && live ? live.exp : absoluteExpiry(o.expiry, c.nowSec),
    c.nextCas(),
    o.datatype & Datatype.Json,
    (cur ? cur.revSeqno : 0) + 1,
    0,
    false,
  );
}

export function remove(cur: Item | undefined, cas: bigint, c: EngineClock): Item | EngineError {
  const live = visible(cur, c.nowSec);
  if (live === undefined) return EngineError.NotFound;
  if (isLocked(live, c.nowMs)) {
    if (cas !== live.lockCas) return EngineError.Locked;
  } else if (cas !== 0n && cas !== live.cas) {
    return EngineError.Exists;
  }
  return tombstone(live, c);
}

/**
 * The deleted state that replaces an item (delete or expiry). As in kv_engine, a tombstone's
 * expiry field holds its deletion time (the metadata purger's clock).
 */
export function tombstone(cur: Item, c: EngineClock): Item {
  return new Item(EMPTY, 0, c.nowSec, c.nextCas(), 0, cur.revSeqno + 1, 0, true);
}

const EMPTY = Buffer.alloc(0);

export function concat(cur: Item | undefined, data: Buffer, append: boolean, cas: bigint, c: EngineClock): Item | EngineError {
  const live = visible(cur, c.nowSec);
  if (live === undefined) return EngineError.NotStored;
  if (isLocked(live, c.nowMs)) {
    if (cas !== live.lockCas) return EngineError.Locked;
  } else if (cas !== 0n && cas !== live.cas) {
    return EngineError.Exists;
  }
  if (live.value.length + data.length > MAX_VALUE_LEN) return EngineError.TooBig;
  const value = append ? Buffer.concat([live.value, data]) : Buffer.concat([data, live.value]);
  return new Item(value, live.flags, live.exp, c.nextCas(), 0, live.revSeqno + 1, 0, false);
}

export interface CounterOptions {
  incr: boolean;
  delta: bigint;
  initial: bigint;
  /** 0xffffffff = do not create. */
  expiry: number;
  cas: bigint;
}

export interface CounterResult {
  item: Item;
  value: bigint;
}

function parseCounter(v: Buffer): bigint | undefined {
  let s = 0;
  let e = v.length;
  while (s < e && (v[s] === 0x20 || v[s] === 0x09 || v[s] === 0x0a || v[s] === 0x0d)) s++;
  while (e > s && (v[e - 1] === 0x20 || v[e - 1] === 0x09 || v[e - 1] === 0x0a || v[e - 1] === 0x0d)) e--;
  if (e === s || e - s > 20) return undefined;
  for (let i = s; i < e; i++) if (v[i] < 0x30 || v[i] > 0x39) return undefined;
  const n = BigInt(v.toString('latin1', s, e));
  return n > U64 ? undefined : n;
}

export function counter(cur: Item | undefined, o: CounterOptions, c: EngineClock): CounterResult | EngineError {
  const live = visible(cur, c.nowSec);
  if (live === undefined) {
    if (o.expiry === 0xffffffff) return EngineError.NotFound;
    if (o.cas !== 0n) return EngineError.NotFound;
    const value = o.initial & U64;
    const item = new Item(Buffer.from(value.toString(), 'latin1'), 0, absoluteExpiry(o.expiry, c.nowSec), c.nextCas(), Datatype.Json, (cur ? cur.revSeqno : 0) + 1, 0, false);
    return { item, value };
  }
  if (isLocked(live, c.nowMs)) return EngineError.Locked;
  if (o.cas !== 0n && o.cas !== live.cas) return EngineError.Exists;
  const old = parseCounter(live.value);
  if (old === undefined) return EngineError.DeltaBadval;
  let value: bigint;
  if (o.incr) value = (old + o.delta) & U64;
  else value = old < o.delta ? 0n : old - o.delta;
  const item = new Item(Buffer.from(value.toString(), 'latin1'), live.flags, live.exp, c.nextCas(), Datatype.Json, live.revSeqno + 1, 0, false);
  return { item, value };
}

/** TOUCH / GAT: new expiry, new CAS. */
export function touch(cur: Item | undefined, expiry: number, c: EngineClock): Item | EngineError {
  const live = visible(cur, c.nowSec);
  if (live === undefined) return EngineError.NotFound;
  if (isLocked(live, c.nowMs)) return EngineError.Locked;
  return new Item(live.value, live.flags, absoluteExpiry(expiry, c.nowSec), c.nextCas(), live.datatype, live.revSeqno + 1, 0, false);
}

/** GET_LOCKED: locks the item in place (no new revision), returns the lock CAS. */
export function lock(cur: Item | undefined, lockSeconds: number, c: EngineClock): Item | EngineError {
  const live = visible(cur, c.nowSec);
  if (live === undefined) return EngineError.NotFound;
  if (isLocked(live, c.nowMs)) return EngineError.Locked;
  const secs = lockSeconds === 0 ? DEFAULT_LOCK_S : Math.min(lockSeconds, MAX_LOCK_S);
  live.lockedUntil = c.nowMs + secs * 1000;
  live.lockCas = c.nextCas();
  return live;
}

export function unlock(cur: Item | undefined, cas: bigint, c: EngineClock): Item | EngineError {
  const live = visible(cur, c.nowSec);
  if (live === undefined) return EngineError.NotFound;
  if (!isLocked(live, c.nowMs)) return EngineError.NotLocked;
  if (cas !== live.lockCas) return EngineError.Locked;
  live.lockedUntil = 0;
  live.lockCas = 0n;
  return live;
}

/** The CAS a plain read reports: -1 while locked (as memcached does). */
export function readCas(item: Item, nowMs: number): bigint {
  return item.lockedUntil > nowMs ? LOCKED_CAS : item.cas;
}
