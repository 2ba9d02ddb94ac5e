/** SELECT_BUCKET and GET_CLUSTER_CONFIG (CCCP; GCCCP when no bucket is selected). */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';

export function selectBucket(s: Session, r: Request): void {
  if (s.user === undefined) return s.error(r, Status.Eaccess);
  const name = r.buf.toString('utf8', r.keyStart, r.keyStart + r.keylen);
  const b = s.cluster.bucket(name);
  if (!s.cluster.isAdmin(s.user) && s.user !== name) return s.error(r, Status.Eaccess);
  if (!b) return s.error(r, Status.KeyEnoent);
  s.bucket = b;
  s.reply(r, Status.Success);
}

export function clusterConfig(s: Session, r: Request): void {
  if (s.bucket) {
    return s.reply(r, Status.Success, 0n, undefined, s.cluster.bucketConfigJson(s.bucket, s.node.id), s.json ? 1 : 0);
  }
  if (s.user === undefined) return s.error(r, Status.Eaccess);
  s.reply(r, Status.Success, 0n, undefined, s.cluster.clusterConfigJson(s.node.id), s.json ? 1 : 0);
}
