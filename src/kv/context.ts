/**
 * Shared pieces of the key-value calls: the per-key operation shape, the context the
 * builders need from the connection, option types and result builders.
 * @internal
 * @module
 */
import type { Command, Response } from '../batcher.js';
import { readDurability } from '../options.js';
import type { Item } from '../items.js';
import { OperationResult, ValueResult, type Result } from '../results.js';

/** What the operation builders need from the connection. */
export interface KvContext {
  /** The connection's `quiet` setting. */
  readonly quiet: boolean;
  /** The connection's default format. */
  readonly defaultFormat: number;
  /** Validates and encodes a key (ArgumentError on bad keys). */
  encodeKey(where: string, key: string): Buffer | string;
  /** Encodes a value with the connection's transcoder. */
  encodeValue(value: unknown, format: number, key?: string): [Buffer | string, number];
  /** Decodes a value (raw bytes with noFormat/dataPassthrough). */
  decode(key: string, data: Buffer, flags: number, noFormat: boolean): unknown;
}

/** Options of get. */
export interface GetOptions {
  /** Return a failed result instead of raising NotFoundError. Default: the connection's `quiet`. */
  quiet?: boolean;
  /** Get-and-touch: also set the key's expiry to this many seconds. */
  ttl?: number;
  /** Read from a replica instead of the master. */
  replica?: boolean;
  /** Return the raw bytes. */
  noFormat?: boolean;
}
/** Options of set/add/replace. */
export interface StoreOptions {
  /** Only store if the document's CAS is this (set/replace). */
  cas?: bigint;
  /** Expiry in seconds (<= 30 days relative, else absolute Unix time). */
  ttl?: number;
  /** FMT_* constant (plus custom bits for a custom transcoder). Default: the connection's defaultFormat. */
  format?: number;
  /** Wait until persisted on this many nodes (0..4). */
  persistTo?: number;
  /** Wait until replicated to this many replicas (0..3). */
  replicateTo?: number;
}
/** Options of delete. */
export interface DeleteOptions {
  /** Only delete if the document's CAS is this (KeyExistsError otherwise). */
  cas?: bigint;
  /** A missing key gives a failed result instead of NotFoundError. Default: the connection's `quiet`. */
  quiet?: boolean;
  /** Wait until the removal is persisted on this many nodes (0..4). */
  persistTo?: number;
  /** Wait until the removal reached this many replicas (0..3). */
  replicateTo?: number;
}
/** Options of incr/decr. */
export interface CounterOptions {
  /** Amount to add/subtract. Default 1. */
  amount?: number | bigint;
  /** Create the counter with this value when missing (otherwise NotFoundError). */
  initial?: number | bigint;
  /** Expiry in seconds, applied when created. */
  ttl?: number;
}
/** Options of append/prepend. */
export interface AppendOptions {
  /** Only change the value if the document's CAS is this. */
  cas?: bigint;
  /** Expiry in seconds (<= 30 days relative, else absolute Unix time). */
  ttl?: number;
  /** FMT_UTF8 (default) or FMT_BYTES. */
  format?: number;
  /** Wait until persisted on this many nodes (0..4). */
  persistTo?: number;
  /** Wait until replicated to this many replicas (0..3). */
  replicateTo?: number;
}
/** Options of touch. */
export interface TouchOptions {
  /** New expiry in seconds; 0 clears it. */
  ttl?: number;
}
/** Options of lock. */
export interface LockOptions {
  /** Lock time in seconds; 0 = server default (15 s). */
  ttl?: number;
}
/** Options of getReplica. */
export interface ReplicaOptions {
  /** Replica number; omitted = the first replica to answer. */
  index?: number;
  /** A missing key gives a failed result instead of NotFoundError. Default: the connection's `quiet`. */
  quiet?: boolean;
  /** Return the raw bytes. */
  noFormat?: boolean;
}
/** Options of endure. */
export interface EndureOptions {
  /** Nodes (master included) that must have persisted the mutation, 0..4. */
  persistTo?: number;
  /** Replicas that must hold the mutation, 0..3. */
  replicateTo?: number;
  /** The CAS of the mutation to wait for (0n: any). */
  cas?: bigint;
  /** Wait for the key's removal instead of its presence. */
  checkRemoved?: boolean;
  /** Seconds to wait in all. Default 5. */
  timeout?: number;
  /** Seconds before the second observe round (the seed's fixed interval; later rounds back off). Same as `backoff.initial`. Default 0.01. */
  interval?: number;
  /** Delays between observe rounds in seconds: `initial` (0.01), × `factor` (1.5) per round, at most `max` (0.25). */
  backoff?: {
    /** Seconds before the second round. Default 0.01. */
    initial?: number;
    /** Growth of the delay after each round. Default 1.5. */
    factor?: number;
    /** The longest delay, in seconds. Default 0.25. */
    max?: number;
  };
}

export const GET_OPTS = ['quiet', 'ttl', 'replica', 'noFormat'];
export const STORE_OPTS = ['cas', 'ttl', 'format', 'persistTo', 'replicateTo'];
export const DELETE_OPTS = ['cas', 'quiet', 'persistTo', 'replicateTo'];
export const COUNTER_OPTS = ['amount', 'initial', 'ttl'];
export const APPEND_OPTS = ['cas', 'ttl', 'format', 'persistTo', 'replicateTo'];
export const TOUCH_OPTS = ['ttl'];
export const LOCK_OPTS = ['ttl'];
export const REPLICA_OPTS = ['index', 'quiet', 'noFormat'];
export const ENDURE_OPTS = ['persistTo', 'replicateTo', 'cas', 'checkRemoved', 'timeout', 'interval', 'backoff'];

/** One key's command and how to turn its responses into a result. */
export interface KeyOp<R extends Result> {
  key: string;
  cmd: Command;
  /** Builds the result from every response (the last is final). May throw a CouchbaseError. */
  decode(responses: Response[]): R;
  /** Missing key is not an error. */
  quiet?: boolean;
  item?: Item;
  durability?: { persistTo: number; replicateTo: number; checkRemoved: boolean };
}


/** Fills a ValueResult (or the item) from a get-family response. */
export function valueResult(ctx: KvContext, key: string, r: Response, noFormat: boolean, item?: Item): ValueResult {
  const res = item ?? new ValueResult(key);
  res.rc = r.rc;
  res.cas = r.cas;
  res.flags = r.flags;
  if (r.rc === 0) res.value = ctx.decode(key, r.data, r.flags, noFormat);
  else if (!item) res.value = undefined;
  return res;
}

/** Builds an OperationResult (or fills the item) from a mutation response. */
export function opResult(key: string, r: Response, item?: Item): OperationResult {
  if (item) {
    item.rc = r.rc;
    if (r.rc === 0) item.cas = r.cas;
    return item as unknown as OperationResult;
  }
  return new OperationResult(key, r.rc, r.cas);
}

/** Validates persistTo/replicateTo; the KeyOp's durability, or undefined when there is none to wait for. */
export function durabilityOf(where: string, o: { persistTo?: unknown; replicateTo?: unknown }, checkRemoved: boolean): KeyOp<Result>['durability'] {
  const d = readDurability(where, o);
  return d.persistTo === 0 && d.replicateTo === 0 ? undefined : { persistTo: d.persistTo, replicateTo: d.replicateTo, checkRemoved };
}
