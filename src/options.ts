/**
 * Option readers: apply defaults, check types, hint at the seed's Python spellings, and
 * raise ArgumentError. Nothing unchecked reaches the native layer.
 * @internal
 * @module
 */
import { ArgumentError, LcbStatus } from './errors/index.js';

/** Python spellings from the seed → our names. */
const SEED_SPELLINGS: Record<string, string> = {
  persist_to: 'persistTo',
  replicate_to: 'replicateTo',
  no_format: 'noFormat',
  check_removed: 'checkRemoved',
  default_format: 'defaultFormat',
  data_passthrough: 'dataPassthrough',
  unlock_gil: 'unlockGil',
  connection_string: 'connectionString',
  connstr: 'connectionString',
  use_devmode: 'useDevmode',
  include_docs: 'includeDocs',
  all_results: 'allResults',
  exp: 'ttl',
  expiry: 'ttl',
  expiration: 'ttl',
  delta: 'amount',
  initial_value: 'initial',
  fmt: 'format',
  user: 'username',
  hosts: 'host',
  bucket_name: 'bucket',
};

/** Maximum key length in bytes (memcached protocol). */
export const MAX_KEY_BYTES = 250;
/** Largest TTL/expiry the protocol carries (u32). */
export const MAX_TTL = 0xffffffff;
const U64_MAX = (1n << 64n) - 1n;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string') return `string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return `${typeof v} ${String(v)}`;
  return typeof v;
}

/** @internal */
export function argError(message: string, objextra?: unknown, rc: number = LcbStatus.LCB_ERR_INVALID_ARGUMENT): ArgumentError {
  return new ArgumentError(message, { objextra, rc });
}

/**
 * Checks an options object: must be undefined or a plain object whose keys are all in
 * `allowed`. Unknown keys raise ArgumentError, with a hint for seed spellings and case slips.
 */
export function checkOptions<T extends object>(where: string, opts: unknown, allowed: readonly string[]): Partial<T> {
  if (opts === undefined || opts === null) return {};
  if (typeof opts !== 'object' || Array.isArray(opts)) {
    throw argError(`${where}: options must be an object, got ${describe(opts)}`, opts);
  }
  for (const k of Object.keys(opts)) {
    if (allowed.includes(k)) continue;
    let hint = '';
    const seed = SEED_SPELLINGS[k];
    if (seed && allowed.includes(seed)) hint = ` (did you mean '${seed}'?)`;
    else {
      const ci = allowed.find((a) => a.toLowerCase() === k.toLowerCase().replace(/_/g, ''));
      if (ci) hint = ` (did you mean '${ci}'?)`;
    }
    throw argError(`${where}: unknown option '${k}'${hint}; allowed: ${allowed.join(', ')}`, opts);
  }
  return opts as Partial<T>;
}

/** A boolean option, or its default. */
export function readBool(where: string, name: string, v: unknown, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw argError(`${where}: '${name}' must be a boolean, got ${describe(v)}`, v);
  return v;
}

/** A non-negative integer option no larger than `max`, or its default. */
export function readUint(where: string, name: string, v: unknown, dflt: number, max = MAX_TTL): number {
  if (v === undefined) return dflt;
  if (typeof v === 'bigint') {
    if (v < 0n || v > BigInt(max)) throw argError(`${where}: '${name}' must be an integer 0..${max}, got ${describe(v)}`, v);
    return Number(v);
  }
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) {
    throw argError(`${where}: '${name}' must be an integer 0..${max}, got ${describe(v)}`, v);
  }
  return v;
}

/** A TTL in seconds (<= 30 days relative, larger = absolute Unix time). */
export function readTtl(where: string, v: unknown, dflt = 0, name = 'ttl'): number {
  return readUint(where, name, v, dflt, MAX_TTL);
}

/** A non-negative 64-bit integer (number or bigint). */
export function readU64(where: string, name: string, v: unknown, dflt: bigint): bigint {
  if (v === undefined) return dflt;
  if (typeof v === 'bigint') {
    if (v < 0n || v > U64_MAX) throw argError(`${where}: '${name}' must be an integer 0..2^64-1, got ${describe(v)}`, v);
    return v;
  }
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw argError(`${where}: '${name}' must be a non-negative integer (number or bigint), got ${describe(v)}`, v);
  }
  return BigInt(v);
}

/** A CAS value: bigint (or a safe non-negative integer number); 0 means "none". */
export function readCas(where: string, v: unknown, required = false): bigint {
  if (v === undefined || v === null) {
    if (required) throw argError(`${where}: 'cas' is required`, v);
    return 0n;
  }
  const cas = readU64(where, 'cas', v, 0n);
  if (required && cas === 0n) throw argError(`${where}: 'cas' is required (got 0)`, v);
  return cas;
}

/** A number of seconds (finite, > 0 unless `allowZero`). */
export function readSeconds(where: string, name: string, v: unknown, dflt: number, allowZero = false): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || (!allowZero && v === 0)) {
    throw argError(`${where}: '${name}' must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds, got ${describe(v)}`, v);
  }
  return v;
}

/** persistTo (0..4) / replicateTo (0..3). */
export function readDurability(where: string, opts: { persistTo?: unknown; replicateTo?: unknown }): { persistTo: number; replicateTo: number } {
  return {
    persistTo: readUint(where, 'persistTo', opts.persistTo, 0, 4),
    replicateTo: readUint(where, 'replicateTo', opts.replicateTo, 0, 3),
  };
}

/** Checks a key's type and (encoded) length. */
export function checkKey(where: string, key: unknown, encoded?: Buffer): asserts key is string {
  if (typeof key !== 'string') throw argError(`${where}: key must be a string, got ${describe(key)}`, key);
  if (key.length === 0) throw argError(`${where}: key must not be empty`, key, LcbStatus.LCB_ERR_EMPTY_KEY);
  const len = encoded ? encoded.length : Buffer.byteLength(key, 'utf8');
  if (len === 0) throw argError(`${where}: key must not be empty`, key, LcbStatus.LCB_ERR_EMPTY_KEY);
  if (len > MAX_KEY_BYTES) throw argError(`${where}: key is ${len} bytes; the maximum is ${MAX_KEY_BYTES}`, key);
}

/** A format number (built-in or custom bits). */
export function readFormat(where: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v)) throw argError(`${where}: 'format' must be an FMT_* constant, got ${describe(v)}`, v);
  return v;
}
