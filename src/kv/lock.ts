/**
 * lock (get-and-lock) and unlock.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Item } from '../items.js';
import { readCas, readUint } from '../options.js';
import type { OperationResult, ValueResult } from '../results.js';
import { opResult, valueResult, type KeyOp, type KvContext, type LockOptions } from './context.js';
import type { ConnectionCore } from '../core/core.js';
import type { ItemCollection } from '../items.js';
import { multiEntries, perKey } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import { checkOptions } from '../options.js';
import type { MultiResult } from '../results.js';
import { Result } from '../results.js';
import { LOCK_OPTS } from './context.js';

/** Builds a get-and-lock for one key. */
export function lockOp(ctx: KvContext, where: string, key: string, o: Partial<LockOptions>, item?: Item): KeyOp<ValueResult> {
  const k = ctx.encodeKey(where, key);
  const ttl = readUint(where, 'ttl', o.ttl, 0, 30);
  return { key, item, cmd: { op: NativeOp.GetAndLock, key: k, expiry: ttl }, decode: (rs) => valueResult(ctx, key, rs[rs.length - 1]!, false, item) };
}

/** Builds an unlock (CAS required). */
export function unlockOp(ctx: KvContext, where: string, key: string, cas: unknown, item?: Item): KeyOp<OperationResult> {
  const k = ctx.encodeKey(where, key);
  const c = readCas(where, cas, true);
  return { key, item, cmd: { op: NativeOp.Unlock, key: k, cas: c }, decode: (rs) => opResult(key, rs[rs.length - 1]!, item) };
}

/** lock(key, options). */
export function lock(core: ConnectionCore, site: CallSite, key: string, options: LockOptions | undefined): Op<ValueResult> {
  return core.single(site, 'lock', () => lockOp(core, 'lock', key, checkOptions('lock', options, LOCK_OPTS)));
}

/** unlock(key, cas). */
export function unlock(core: ConnectionCore, site: CallSite, key: string, cas: bigint): Op<OperationResult> {
  return core.single(site, 'unlock', () => unlockOp(core, 'unlock', key, cas));
}

/** lockMulti(keys | Record/Map key → ttl or LockOptions, options). */
export function lockMulti(core: ConnectionCore, site: CallSite, keys: unknown, options: LockOptions | undefined): Op<MultiResult<ValueResult>> {
  return core.multi(site, 'lockMulti', () => {
    const o = checkOptions<LockOptions>('lockMulti', options, LOCK_OPTS);
    return multiEntries('lockMulti', keys, false).map((e) =>
      lockOp(core, 'lockMulti', e.key, { ...o, ...(e.item ? {} : perKey('lockMulti', e.v, LOCK_OPTS, 'ttl')) }, e.item));
  });
}

/** unlockMulti(Record/Map key → cas | results of lockMulti | items). */
export function unlockMulti(core: ConnectionCore, site: CallSite, keys: unknown): Op<MultiResult<OperationResult>> {
  return core.multi(site, 'unlockMulti', () =>
    multiEntries('unlockMulti', keys, true).map((e) => {
      const cas = e.item ? (e.itemOpts?.cas ?? e.item.cas) : e.v instanceof Result ? e.v.cas : e.v;
      return unlockOp(core, 'unlockMulti', e.key, cas, e.item);
    }));
}
