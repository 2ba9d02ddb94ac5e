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
import type { ConnectionCore } from '../core/core.js';
import type { ItemCollection } from '../items.js';
import { multiEntries, perKey } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import { checkOptions } from '../options.js';
import type { MultiResult } from '../results.js';
import { APPEND_OPTS, STORE_OPTS } from './context.js';

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
  const [bytes, flags] = ctx.encodeValue(value, format, key);
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
  const [bytes, flags] = ctx.encodeValue(fragment, format, key);
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

/** set/add/replace(key, value, options). */
export function store(core: ConnectionCore, site: CallSite, mode: StoreMode, key: string, value: unknown, options: StoreOptions | undefined): Op<OperationResult> {
  return core.single(site, mode, () => storeOp(core, mode, mode, key, value, checkOptions(mode, options, STORE_OPTS)));
}

/** setMulti/addMulti/replaceMulti(Record/Map key → value | [key, value] pairs | items, options). */
export function storeMulti(core: ConnectionCore, site: CallSite, mode: StoreMode, kv: unknown, options: StoreOptions | undefined): Op<MultiResult<OperationResult>> {
  const where = `${mode}Multi`;
  return core.multi(site, where, () => {
    const o = checkOptions<StoreOptions>(where, options, STORE_OPTS);
    return multiEntries(where, kv, true).map((e) => storeOp(core, mode, where, e.key, e.v, e.itemOpts ? { ...o, ...e.itemOpts } : o, e.item));
  });
}

/** append/prepend(key, fragment, options). */
export function append(core: ConnectionCore, site: CallSite, prepend: boolean, key: string, fragment: unknown, options: AppendOptions | undefined): Op<OperationResult> {
  const where = prepend ? 'prepend' : 'append';
  return core.single(site, where, () => appendOp(core, prepend, where, key, fragment, checkOptions(where, options, APPEND_OPTS)));
}

/** appendMulti/prependMulti/appendItems/prependItems(Record/Map key → fragment | items with `fragment`, options). */
export function appendMulti(core: ConnectionCore, site: CallSite, prepend: boolean, where: string, kv: unknown, options: AppendOptions | undefined): Op<MultiResult<OperationResult>> {
  return core.multi(site, where, () => {
    const o = checkOptions<AppendOptions>(where, options, APPEND_OPTS);
    return multiEntries(where, kv, true).map((e) => {
      const fragment = e.item ? e.itemOpts?.fragment : e.v;
      if (e.item && fragment === undefined) throw argError(`${where}: item ${JSON.stringify(e.key)} needs a 'fragment' option`, e.item);
      return appendOp(core, prepend, where, e.key, fragment, { ...o, ...e.itemOpts, fragment: undefined }, e.item);
    });
  });
}
