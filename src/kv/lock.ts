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
