/**
 * set/add/replace and append/prepend: validate, encode, build the command.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Item, ItemOptions } from '../items.js';
import { argError, readCas, readFormat, readTtl } from '../options.js';
import type { OperationResult } from '../results.js';
import { FMT_BYTES, FMT_MASK, FMT_UTF8 } from '../transcoder.js';
import { durabilityOf, opResult, type AppendOptions, type KeyOp, type KvContext, type StoreOptions } from './context.js';

export type StoreMode = 'set' | 'add' | 'replace';
const STORE_OP = { set: NativeOp.Set, add: NativeOp.Add, replace: NativeOp.Replace } as const;


/** Builds a set/add/replace for one key (a set with CAS goes as a replace). */
export function storeOp(ctx: KvContext, mode: StoreMode, where: string, key: string, value: unknown, o: Partial<StoreOptions & ItemOptions>, item?: Item): KeyOp<OperationResult> {
  const k = ctx.encodeKey(where, key);
  const format = readFormat(where, o.format, ctx.defaultFormat);
  const ttl = readTtl(where, o.ttl);
  let cas = readCas(where, o.cas);
  if (item && o.cas === undefined && !o.ignoreCas && mode !== 'add') cas = item.cas;
  if (mode === 'add' && cas !== 0n) throw argError(`${where}: 'cas' makes no sense for add`, o.cas);
  const durability = durabilityOf(where, o, false);
  const [bytes, flags] = ctx.encodeValue(value, format);
  // libcouchbase 3 refuses a CAS on an upsert; "set if the CAS matches" is a replace with that CAS.
  const op = mode === 'set' && cas !== 0n ? NativeOp.Replace : STORE_OP[mode];
  return {
    key, cmd: { op, key: k, value: bytes, flags, expiry: ttl, cas }, item, durability,
    decode: (rs) => {
      const r = opResult(key, rs[rs.length - 1]!, item);
      if (item && r.success) item.flags = flags;
      return r;
    },
  };
}

/** Builds an append/prepend (FMT_UTF8 or FMT_BYTES only). */
export function appendOp(ctx: KvContext, prepend: boolean, where: string, key: string, fragment: unknown, o: Partial<AppendOptions & ItemOptions>, item?: Item): KeyOp<OperationResult> {
  const k = ctx.encodeKey(where, key);
  const format = readFormat(where, o.format, FMT_UTF8);
  const base = format & FMT_MASK;
  if (base !== FMT_UTF8 && base !== FMT_BYTES) {
    throw argError(`${where}: append/prepend work only with FMT_UTF8 or FMT_BYTES (appending to JSON or V8 data corrupts it)`, format);
  }
  const ttl = readTtl(where, o.ttl);
  let cas = readCas(where, o.cas);
  if (item && o.cas === undefined && !o.ignoreCas) cas = item.cas;
  const durability = durabilityOf(where, o, false);
  const [bytes, flags] = ctx.encodeValue(fragment, format);
  return {
    key, cmd: { op: prepend ? NativeOp.Prepend : NativeOp.Append, key: k, value: bytes, flags, expiry: ttl, cas }, item, durability,
    decode: (rs) => {
      const r = opResult(key, rs[rs.length - 1]!, item);
      if (item && r.success) {
        const cur = item.value;
        if (typeof cur === 'string' && typeof fragment === 'string') item.value = prepend ? fragment + cur : cur + fragment;
        else if (cur instanceof Uint8Array && fragment instanceof Uint8Array) item.value = prepend ? Buffer.concat([fragment, cur]) : Buffer.concat([cur, fragment]);
      }
      return r;
    },
  };
}
