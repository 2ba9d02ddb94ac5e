/**
 * Result objects of every operation (the seed's `Result`, `ValueResult`, `OperationResult`,
 * `ObserveResult`, `MultiResult`, `HttpResult`). `toString()` prints the seed's form, e.g.
 * `ValueResult<RC=0x0, Key=demo_key, Value='demo_value', CAS=0x2fbbf239b45e0400, Flags=0x4>`.
 * @module
 */
import { inspect } from 'node:util';

function hex(n: number | bigint): string {
  return `0x${n.toString(16)}`;
}

function repr(value: unknown): string {
  return inspect(value, { breakLength: Infinity, depth: 4, maxStringLength: 200, maxArrayLength: 20 });
}

/** Base of every result: status code, key and CAS. */
export class Result {
  /** libcouchbase status code; 0 on success. */
  rc: number;
  /** The key this result is for. */
  key: string;
  /** The document's CAS after the operation (0n when unknown). */
  cas: bigint;

  constructor(key = '', rc = 0, cas = 0n) {
    this.key = key;
    this.rc = rc;
    this.cas = cas;
  }

  /** True when `rc` is 0. */
  get success(): boolean {
    return this.rc === 0;
  }

  /** The fields shown by toString, in order. */
  protected describe(): string[] {
    return [`RC=${hex(this.rc)}`, `Key=${this.key}`, `CAS=${hex(this.cas)}`];
  }

  /** The seed's debug form: `OperationResult<RC=0x0, Key=k, CAS=0x...>`. */
  toString(): string {
    return `${this.constructor.name}<${this.describe().join(', ')}>`;
  }

  /** node:util.inspect shows the same form as toString. */
  [inspect.custom](): string {
    return this.toString();
  }
}

/** Result of a mutation (set/add/replace/append/prepend/delete/touch/unlock/endure). */
export class OperationResult extends Result {}

/** Result carrying a value: get, lock, getReplica, incr/decr (value = the counter). */
export class ValueResult<T = unknown> extends Result {
  /** The decoded value (raw `Buffer` with `noFormat`/`dataPassthrough`); undefined when the get failed. */
  value: T;
  /** The item flags as stored on the server. */
  flags: number;

  constructor(key = '', rc = 0, cas = 0n, value?: T, flags = 0) {
    super(key, rc, cas);
    this.value = value as T;
    this.flags = flags;
  }

  protected override describe(): string[] {
    return [`RC=${hex(this.rc)}`, `Key=${this.key}`, `Value=${repr(this.value)}`, `CAS=${hex(this.cas)}`, `Flags=${hex(this.flags >>> 0)}`];
  }
}

/** Observe status byte values (the memcached OBSERVE command). */
export const ObserveStatus = {
  /** In memory, not yet persisted. */
  FOUND: 0x00,
  /** In memory and persisted to disk. */
  PERSISTED: 0x01,
  /** Not found on this node. */
  NOT_FOUND: 0x80,
  /** Deleted, deletion not yet persisted. */
  LOGICALLY_DELETED: 0x81,
} as const;

/** One node's answer to observe. */
export interface ObserveInfo {
  /** See {@link ObserveStatus}. */
  status: number;
  /** The CAS this node has for the key. */
  cas: bigint;
  /** True for the vBucket master. */
  master: boolean;
  /** The node as "host:port". */
  server: string;
}

/** Result of observe: one {@link ObserveInfo} per node holding the key's vBucket (master first). */
export class ObserveResult extends Result {
  /** Per-node observe information. */
  value: ObserveInfo[];

  constructor(key = '', rc = 0, value: ObserveInfo[] = []) {
    super(key, rc, value.find((v) => v.master)?.cas ?? 0n);
    this.value = value;
  }

  protected override describe(): string[] {
    const nodes = this.value.map((v) => `${v.master ? 'M' : 'R'}:${hex(v.status)}/${hex(v.cas)}`).join(' ');
    return [`RC=${hex(this.rc)}`, `Key=${this.key}`, `Value=[${nodes}]`];
  }
}

/** Result of an HTTP request (design documents). */
export class HttpResult<T = unknown> extends Result {
  /** The decoded JSON body (or the raw text when it was not JSON). */
  value: T;
  /** The HTTP status code. */
  httpStatus: number;

  constructor(value: T, httpStatus: number, rc = 0) {
    super('', rc, 0n);
    this.value = value;
    this.httpStatus = httpStatus;
  }

  /** True when rc is 0 and the HTTP status is 2xx. */
  override get success(): boolean {
    return this.rc === 0 && this.httpStatus >= 200 && this.httpStatus < 300;
  }

  protected override describe(): string[] {
    return [`RC=${hex(this.rc)}`, `HTTP=${this.httpStatus}`, `Value=${repr(this.value)}`];
  }
}

/**
 * The result of a `…Multi` call: key → result (the seed's MultiResult, a dict subclass).
 */
export class MultiResult<R extends Result = Result> extends Map<string, R> {
  /** True when every key's operation succeeded. */
  get allOk(): boolean {
    for (const r of this.values()) if (!r.success) return false;
    return true;
  }

  override toString(): string {
    return `MultiResult<${this.size} keys, allOk=${this.allOk}>`;
  }
}

/** Per-stat, per-server statistics: `stats['curr_items']['127.0.0.1:11210'] === '42'`. */
export type StatsResult = Record<string, Record<string, string>>;
