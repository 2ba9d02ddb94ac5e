/** GET_META (exists): deleted, flags, expiry, rev seqno (+ datatype for version 2); tombstones answer too. */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { activeVb } from './common.js';

/** GET_META: deleted, flags, expiry, rev seqno (+ datatype for version 2). Tombstones answer too. */
export function getMeta(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0, 1);
  if (vb === undefined) return;
  const ctx = s.bucket!.tick();
  const item = vb.active!.items.get(r.key());
  if (item === undefined) return s.error(r, Status.KeyEnoent);
  const v2 = r.extlen === 1 && r.buf[r.extStart] === 2;
  const ext = Buffer.alloc(v2 ? 21 : 20);
  const deleted = !item.live(ctx.nowSec);
  ext.writeUInt32BE(deleted ? 1 : 0, 0);
  ext.writeUInt32BE(item.flags >>> 0, 4);
  ext.writeUInt32BE(item.exp >>> 0, 8);
  ext.writeBigUInt64BE(BigInt(item.revSeqno), 12);
  if (v2) ext[20] = item.datatype;
  s.reply(r, Status.Success, item.cas, ext);
}
