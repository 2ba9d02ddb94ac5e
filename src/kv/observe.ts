/**
 * observe, and the durability verdict endure() polls with.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import { CouchbaseError, DurabilityError, KeyExistsError, LcbStatus } from '../errors/index.js';
import { ObserveResult, ObserveStatus, type ObserveInfo } from '../results.js';
import type { KeyOp, KvContext } from './context.js';

/** Builds an observe for one key; its result lists every node, master first. */
export function observeOp(ctx: KvContext, where: string, key: string): KeyOp<ObserveResult> {
  const k = ctx.encodeKey(where, key);
  return {
    key, cmd: { op: NativeOp.Observe, key: k },
    decode: (rs) => {
      const infos: ObserveInfo[] = [];
      let rc = 0;
      for (const r of rs) {
        if (r.rc !== 0) {
          rc ||= r.rc;
          continue;
        }
        if (r.final && r.text === undefined && r.aux === 0 && r.cas === 0n && rs.length > 1) continue; // terminator
        infos.push({ status: r.aux & 0xff, cas: r.cas, master: (r.aux & 0x100) !== 0, server: r.text ?? '' });
      }
      infos.sort((a, b) => Number(b.master) - Number(a.master));
      return new ObserveResult(key, infos.length > 0 && !infos.some((i) => i.master) && rc === 0 ? 0 : infos.length > 0 ? 0 : rc || LcbStatus.LCB_ERR_GENERIC, infos);
    },
  };
}

/**
 * Decides whether observe answers meet a durability requirement.
 * @returns true when met, false to keep polling, or an error when it can never be met
 * @internal
 */
export function evaluateDurability(key: string, infos: ObserveInfo[], o: { persistTo: number; replicateTo: number; cas: bigint; checkRemoved: boolean }): boolean | CouchbaseError {
  const nodes = infos.length;
  if (o.persistTo > nodes || o.replicateTo > Math.max(0, nodes - 1)) {
    return new DurabilityError(
      `durability impossible: persistTo=${o.persistTo}, replicateTo=${o.replicateTo} but the key's vBucket has ${nodes} node(s) (${Math.max(0, nodes - 1)} replica(s))`,
      { key, rc: LcbStatus.LCB_ERR_DURABILITY_TOO_MANY },
    );
  }
  let persisted = 0;
  let replicated = 0;
  for (const i of infos) {
    if (o.checkRemoved) {
      const gone = i.status === ObserveStatus.NOT_FOUND || i.status === ObserveStatus.LOGICALLY_DELETED;
      if (!gone) continue;
      if (i.status === ObserveStatus.NOT_FOUND) persisted++;
      if (!i.master) replicated++;
    } else {
      const present = i.status === ObserveStatus.FOUND || i.status === ObserveStatus.PERSISTED;
      if (!present) continue;
      if (o.cas !== 0n && i.cas !== o.cas) {
        if (i.master) return new KeyExistsError(`endure: the key was modified again (CAS changed) before it became durable`, { key, rc: LcbStatus.LCB_ERR_CAS_MISMATCH });
        continue;
      }
      if (i.status === ObserveStatus.PERSISTED) persisted++;
      if (!i.master) replicated++;
    }
  }
  return persisted >= o.persistTo && replicated >= o.replicateTo;
}
