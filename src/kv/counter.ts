/**
 * incr/decr.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Item } from '../items.js';
import { readTtl, readU64 } from '../options.js';
import { ValueResult } from '../results.js';
import type { CounterOptions, KeyOp, KvContext } from './context.js';
import type { ConnectionCore } from '../core/core.js';
import type { ItemCollection } from '../items.js';
import { multiEntries, perKey } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import { checkOptions } from '../options.js';
import type { MultiResult } from '../results.js';
import { COUNTER_OPTS } from './context.js';

/** A counter as a number when exact, else a bigint. */
export function counterValue(u: bigint): number | bigint {
  return u <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(u) : u;
}


/** Builds an incr/decr for one key. */
export function counterOp(ctx: KvContext, decr: boolean, where: string, key: string, o: Partial<CounterOptions>, item?: Item): KeyOp<ValueResult> {
  const k = ctx.encodeKey(where, key);
  const amount = readU64(where, 'amount', o.amount, 1n);
  const create = o.initial !== undefined;
  const initial = readU64(where, 'initial', o.initial, 0n);
  const ttl = readTtl(where, o.ttl);
  return {
    key, item, cmd: { op: decr ? NativeOp.Decr : NativeOp.Incr, key: k, delta: amount, initial, aux: create ? 1 : 0, expiry: ttl },
    decode: (rs) => {
      const r = rs[rs.length - 1]!;
      const res = item ?? new ValueResult(key);
      res.rc = r.rc;
      res.cas = r.cas;
      res.flags = 0;
      if (r.rc === 0) res.value = counterValue(r.u64);
      return res;
    },
  };
}

/** incr/decr(key, options). */
export function counter(core: ConnectionCore, site: CallSite, decr: boolean, key: string, options: CounterOptions | undefined): Op<ValueResult> {
  const where = decr ? 'decr' : 'incr';
  return core.single(site, where, () => counterOp(core, decr, where, key, checkOptions(where, options, COUNTER_OPTS)));
}

/** incrMulti/decrMulti(keys | Record/Map key → amount or CounterOptions, options). */
export function counterMulti(core: ConnectionCore, site: CallSite, decr: boolean, keys: unknown, options: CounterOptions | undefined): Op<MultiResult<ValueResult>> {
  const where = decr ? 'decrMulti' : 'incrMulti';
  return core.multi(site, where, () => {
    const o = checkOptions<CounterOptions>(where, options, COUNTER_OPTS);
    return multiEntries(where, keys, false).map((e) =>
      counterOp(core, decr, where, e.key, { ...o, ...(e.item ? {} : perKey(where, e.v, COUNTER_OPTS, 'amount')) }, e.item));
  });
}
