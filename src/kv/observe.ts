/**
 * observe, and the durability verdict endure() polls with.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import { CouchbaseError, DurabilityError, KeyExistsError, LcbStatus } from '../errors/index.js';
import { ObserveResult, ObserveStatus, type ObserveInfo } from '../results.js';
import type { KeyOp, KvContext } from './context.js';
import type { ConnectionCore } from '../core/core.js';
import type { ItemCollection } from '../items.js';
import { multiEntries } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import type { MultiResult } from '../results.js';

/**
 * Per observe result, the nodes the client's map asked that answered NOT_MY_VBUCKET: they hold no
 * copy now, and the map is being refreshed (a failover or a rebalance the client has not heard
 * of yet). Kept out of the result's public shape.
 */
const refusals = new WeakMap<ObserveResult, number>();

/** How many nodes refused an observe as not theirs (see above). */
export function refusedNodes(result: ObserveResult): number {
  return refusals.get(result) ?? 0;
}

/** Builds an observe for one key; its result lists every node that answered, master first. */
export function observeOp(ctx: KvContext, where: string, key: string): KeyOp<ObserveResult> {
  const k = ctx.encodeKey(where, key);
  return {
    key, cmd: { op: NativeOp.Observe, key: k },
    decode: (rs) => {
      const infos: ObserveInfo[] = [];
      let rc = 0;
      let refused = 0;
      for (const r of rs) {
        if (r.rc !== 0) {
          if (r.rc === LcbStatus.LCB_ERR_NOT_MY_VBUCKET) refused++;
          rc ||= r.rc;
          continue;
        }
        if (r.final && r.text === undefined && r.aux === 0 && r.cas === 0n && rs.length > 1) continue; // terminator
        const server = r.text ?? '';
        // After a failover libcouchbase can address one node twice for a vBucket (its map patched
        // by a not-my-vbucket guess): one node is one copy, counted once.
        if (server !== '' && infos.some((i) => i.server === server)) continue;
        infos.push({ status: r.aux & 0xff, cas: r.cas, master: (r.aux & 0x100) !== 0, server });
      }
      infos.sort((a, b) => Number(b.master) - Number(a.master));
      const result = new ObserveResult(key, infos.length > 0 ? 0 : rc || LcbStatus.LCB_ERR_GENERIC, infos);
      if (refused > 0) refusals.set(result, refused);
      return result;
    },
  };
}

/** How far a key has got towards its durability requirement in one observe round. */
export interface DurabilityProgress {
  /** True when the requirement is met. */
  met: boolean;
  /** Nodes that have persisted the mutation (or its removal). */
  persisted: number;
  /** Replicas that hold the mutation (or its removal). */
  replicated: number;
}

/** The requirement endure() polls for. @internal */
export interface DurabilityRequirement {
  persistTo: number;
  replicateTo: number;
  checkRemoved: boolean;
}

/**
 * Decides whether observe answers meet a durability requirement for the mutation with `cas`
 * (0n: any). Nodes that `refused` the observe as not theirs count as copies the map still names,
 * never as progress: whether the requirement is impossible is for the next round, on the
 * refreshed map, to say (a vBucket moving in a rebalance still has its copies).
 * @returns the progress, or an error when the requirement can never be met
 * @internal
 */
export function evaluateDurability(key: string, infos: ObserveInfo[], o: DurabilityRequirement & { cas: bigint }, refused = 0): DurabilityProgress | CouchbaseError {
  const nodes = infos.length + refused;
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
        if (i.master) {
          return new KeyExistsError(`endure: the key was modified again (CAS changed from 0x${o.cas.toString(16)} to 0x${i.cas.toString(16)} on the master) before it became durable`, { key, rc: LcbStatus.LCB_ERR_CAS_MISMATCH });
        }
        continue;
      }
      if (i.status === ObserveStatus.PERSISTED) persisted++;
      if (!i.master) replicated++;
    }
  }
  return { met: persisted >= o.persistTo && replicated >= o.replicateTo, persisted, replicated };
}

/** observe(key). */
export function observe(core: ConnectionCore, site: CallSite, key: string): Op<ObserveResult> {
  return core.single(site, 'observe', () => observeOp(core, 'observe', key));
}

/** observeMulti(keys | items). */
export function observeMulti(core: ConnectionCore, site: CallSite, keys: Iterable<string> | ItemCollection): Op<MultiResult<ObserveResult>> {
  return core.multi(site, 'observeMulti', () => multiEntries('observeMulti', keys, false).map((e) => observeOp(core, 'observeMulti', e.key)));
}
