/** SELECT_BUCKET: the administrator may select any bucket, a bucket user only its own. */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';

export function selectBucket(s: Session, r: Request): void {
  if (s.user === undefined) return s.error(r, Status.Eaccess);
  const name = r.buf.toString('utf8', r.keyStart, r.keyStart + r.keylen);
  const b = s.cluster.bucket(name);
  if (!s.cluster.isAdmin(s.user) && s.user !== name) return s.error(r, Status.Eaccess);
  // As on Couchbase Server 5+, RBAC finds no entry for a bucket that does not exist: no access
  // (KEY_ENOENT would tell the SDKs the bucket exists but is not ready yet, and they retry).
  if (!b) return s.error(r, Status.Eaccess);
  s.bucket = b;
  s.reply(r, Status.Success);
}
