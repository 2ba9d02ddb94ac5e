/** GET_REPLICA: served from this node's replica copy of the vBucket. */
import { Status, MAX_KEY_LEN } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { hit } from './common.js';
import { NUM_VBUCKETS } from '../../cluster/vbucket-map.js';

export function getReplica(s: Session, r: Request): void {
  const b = s.bucket;
  if (b === undefined) return s.error(r, s.user === undefined ? Status.Eaccess : Status.NoBucket);
  if (r.extlen !== 0 || r.keylen === 0 || r.keylen > MAX_KEY_LEN || r.valueLength !== 0) return s.error(r, Status.Einval);
  if (r.vbucket >= NUM_VBUCKETS) return s.notMyVbucket(r);
  const vb = b.vbs[r.vbucket];
  const copy = vb.copies.get(s.node.id);
  if (copy === undefined || vb.activeNode === s.node.id) return s.notMyVbucket(r);
  const ctx = b.tick();
  const item = copy.items.get(r.key());
  if (item === undefined || !item.live(ctx.nowSec)) return s.error(r, Status.KeyEnoent);
  hit(s, r, item, item.cas, false);
}
