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
import type { ConnectionCore } from '../core/core.js';
import type { ItemCollection } from '../items.js';
import { multiEntries, perKey } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import { checkOptions } from '../options.js';
import type { MultiResult } from '../results.js';
import { DELETE_OPTS } from './context.js';

/** Builds a delete for one key. */
export function deleteOp(ctx: KvContext, where: string, key: string, o: Partial<DeleteOptions & ItemOptions>, item?: Item): KeyOp<OperationResult> {
  const k = ctx.encodeKey(where, key);
  let cas = readCas(where, o.cas);
  if (item && o.cas === undefined && !o.ignoreCas) cas = item.cas;
  const quiet = readBool(where, 'quiet', o.quiet, ctx.quiet);
  const durability = durabilityOf(where, o, true);
  return { key, cmd: { op: NativeOp.Delete, key: k, cas }, quiet, item, durability, decode: (rs) => opResult(key, rs[rs.length - 1]!, item) };
}

/** delete(key, options). */
export function remove(core: ConnectionCore, site: CallSite, key: string, options: DeleteOptions | undefined): Op<OperationResult> {
  return core.single(site, 'delete', () => deleteOp(core, 'delete', key, checkOptions('delete', options, DELETE_OPTS)));
}

/** deleteMulti(keys | Record/Map key → cas or DeleteOptions | items, options). */
export function removeMulti(core: ConnectionCore, site: CallSite, keys: unknown, options: DeleteOptions | undefined): Op<MultiResult<OperationResult>> {
  return core.multi(site, 'deleteMulti', () => {
    const o = checkOptions<DeleteOptions>('deleteMulti', options, DELETE_OPTS);
    return multiEntries('deleteMulti', keys, false).map((e) =>
      deleteOp(core, 'deleteMulti', e.key, { ...o, ...(e.item ? e.itemOpts : perKey('deleteMulti', e.v, DELETE_OPTS, 'cas')) }, e.item));
  });
}
