/**
 * ObserveResults as a cluster of one master and replicas would answer, for fake observe rounds:
 * built by observe's own decode from the responses libcouchbase would deliver, one per node.
 */
import { LcbStatus } from '../../src/errors/index.js';
import type { Response } from '../../src/batcher.js';
import type { KvContext } from '../../src/kv/context.js';
import { observeOp } from '../../src/kv/observe.js';
import { ObserveStatus, type ObserveResult } from '../../src/results.js';

export interface NodeState {
  /** 'found' (in memory), 'persisted', 'missing'; 'refused': the node answered NOT_MY_VBUCKET. */
  state: 'found' | 'persisted' | 'missing' | 'refused';
  cas?: bigint;
}

const ctx = { encodeKey: (_where: string, key: string) => Buffer.from(key) } as unknown as KvContext;

const status = (n: NodeState): number =>
  n.state === 'persisted' ? ObserveStatus.PERSISTED : n.state === 'found' ? ObserveStatus.FOUND : ObserveStatus.NOT_FOUND;

/** An ObserveResult for `key`: the first node is the master. */
export function observed(key: string, nodes: NodeState[]): ObserveResult {
  const responses: Response[] = nodes.map((n, i) => ({
    rc: n.state === 'refused' ? LcbStatus.LCB_ERR_NOT_MY_VBUCKET : 0,
    cas: n.state === 'missing' || n.state === 'refused' ? 0n : n.cas ?? 1n,
    aux: n.state === 'refused' ? 0 : status(n) | (i === 0 ? 0x100 : 0),
    text: `127.0.0.1:${11210 + i}`,
    flags: 0, u64: 0n, final: false, data: Buffer.alloc(0),
  }));
  // libcouchbase ends an observe with an empty final response.
  responses.push({ rc: 0, cas: 0n, aux: 0, text: undefined, flags: 0, u64: 0n, final: true, data: Buffer.alloc(0) });
  return observeOp(ctx, 'observe', key).decode(responses);
}
