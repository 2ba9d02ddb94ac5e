/**
 * delete.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Item, ItemOptions } from '../items.js';
import { readBool, readCas } from '../options.js';
import type { OperationResult } from '../results.js';
import { durabilityOf, opResult, type DeleteOptions, type KeyOp, type KvContext } from './context.js';

/** Builds a delete for one key. */
export function deleteOp(ctx: KvContext, where: string, key: string, o: Partial<DeleteOptions & ItemOptions>, item?: Item): KeyOp<OperationResult> {
  const k = ctx.encodeKey(where, key);
  let cas = readCas(where, o.cas);
  if (item && o.cas === undefined && !o.ignoreCas) cas = item.cas;
  const quiet = readBool(where, 'quiet', o.quiet, ctx.quiet);
  const durability = durabilityOf(where, o, true);
  return { key, cmd: { op: NativeOp.Delete, key: k, cas }, quiet, item, durability, decode: (rs) => opResult(key, rs[rs.length - 1]!, item) };
}
