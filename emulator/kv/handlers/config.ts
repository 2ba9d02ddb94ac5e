/** GET_CLUSTER_CONFIG (CCCP): the bucket config, or the cluster config (GCCCP) before a bucket is selected. */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';

export function clusterConfig(s: Session, r: Request): void {
  if (s.bucket) {
    return s.reply(r, Status.Success, 0n, undefined, s.cluster.bucketConfigJson(s.bucket, s.node.id), s.json ? 1 : 0);
  }
  if (s.user === undefined) return s.error(r, Status.Eaccess);
  s.reply(r, Status.Success, 0n, undefined, s.cluster.clusterConfigJson(s.node.id), s.json ? 1 : 0);
}
