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
