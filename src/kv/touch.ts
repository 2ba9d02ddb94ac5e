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
import type { ConnectionCore } from '../core/core.js';
import type { ItemCollection } from '../items.js';
import { multiEntries, perKey } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import { checkOptions } from '../options.js';
import type { MultiResult } from '../results.js';
import { TOUCH_OPTS } from './context.js';

/** Builds a touch for one key. */
export function touchOp(ctx: KvContext, where: string, key: string, o: Partial<TouchOptions>, item?: Item): KeyOp<OperationResult> {
  const k = ctx.encodeKey(where, key);
  const ttl = readTtl(where, o.ttl);
  return { key, item, cmd: { op: NativeOp.Touch, key: k, expiry: ttl }, decode: (rs) => opResult(key, rs[rs.length - 1]!, item) };
}

/** touch(key, options). */
export function touch(core: ConnectionCore, site: CallSite, key: string, options: TouchOptions | undefined): Op<OperationResult> {
  return core.single(site, 'touch', () => touchOp(core, 'touch', key, checkOptions('touch', options, TOUCH_OPTS)));
}

/** touchMulti(keys | Record/Map key → ttl or TouchOptions, options). */
export function touchMulti(core: ConnectionCore, site: CallSite, keys: unknown, options: TouchOptions | undefined): Op<MultiResult<OperationResult>> {
  return core.multi(site, 'touchMulti', () => {
    const o = checkOptions<TouchOptions>('touchMulti', options, TOUCH_OPTS);
    return multiEntries('touchMulti', keys, false).map((e) =>
      touchOp(core, 'touchMulti', e.key, { ...o, ...(e.item ? { ttl: e.itemOpts?.ttl ?? o.ttl } : perKey('touchMulti', e.v, TOUCH_OPTS, 'ttl')) }, e.item));
  });
}
