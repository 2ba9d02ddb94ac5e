/**
 * touch.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Item } from '../items.js';
import { readTtl } from '../options.js';
import type { OperationResult } from '../results.js';
import { opResult, type KeyOp, type KvContext, type TouchOptions } from './context.js';

/** Builds a touch for one key. */
export function touchOp(ctx: KvContext, where: string, key: string, o: Partial<TouchOptions>, item?: Item): KeyOp<OperationResult> {
  const k = ctx.encodeKey(where, key);
  const ttl = readTtl(where, o.ttl);
  return { key, item, cmd: { op: NativeOp.Touch, key: k, expiry: ttl }, decode: (rs) => opResult(key, rs[rs.length - 1]!, item) };
}
