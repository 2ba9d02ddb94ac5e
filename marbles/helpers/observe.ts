/** ObserveResults as a cluster of one master and `replicas` replicas would answer, for fake observe rounds. */
import { ObserveResult, ObserveStatus, type ObserveInfo } from '../../src/results.js';

export interface NodeState {
  /** 'found' (in memory), 'persisted', 'missing'. */
  state: 'found' | 'persisted' | 'missing';
  cas?: bigint;
}

/** An ObserveResult for `key`: the first node is the master. */
export function observed(key: string, nodes: NodeState[]): ObserveResult {
  const infos: ObserveInfo[] = nodes.map((n, i) => ({
    status: n.state === 'persisted' ? ObserveStatus.PERSISTED : n.state === 'found' ? ObserveStatus.FOUND : ObserveStatus.NOT_FOUND,
    cas: n.state === 'missing' ? 0n : n.cas ?? 1n,
    master: i === 0,
    server: `127.0.0.1:${11210 + i}`,
  }));
  return new ObserveResult(key, 0, infos);
}
