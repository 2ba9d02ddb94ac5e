/** GET/GETQ/GETK/GETKQ, GAT/GATQ, TOUCH, GET_LOCKED, UNLOCK_KEY, GET_REPLICA, GET_META. */
import { Opcode, Status, MAX_KEY_LEN } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import type { Item } from '../../store/vbucket.js';
import { activeVb } from './common.js';
import * as engine from '../engine.js';
import { statusOf } from '../status-map.js';
import { NUM_VBUCKETS } from '../../cluster/vbucket-map.js';

/** Writes a GET-style hit: flags extras, optional key, value. */
function hit(s: Session, r: Request, item: Item, cas: bigint, withKey: boolean): void {
  const kl = withKey ? r.keylen : 0;
  const v = item.value;
  const out = s.out;
  out.header(r.opcode, Status.Success, r.opaque, cas, kl, 4, s.json ? item.datatype : 0, 4 + kl + v.length);
  out.u32(item.flags);
  if (kl) out.bytes(r.buf, r.keyStart, r.keyStart + kl);
  out.bytes(v);
  if (!s.writing) s.flush();
}

export function get(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0);
  if (vb === undefined) return;
  const ctx = s.bucket!.tick();
  const item = vb.active!.items.get(r.key());
  if (item === undefined || !item.live(ctx.nowSec)) {
    if (r.opcode === Opcode.GetQ || r.opcode === Opcode.GetKQ) return;
    if (r.opcode === Opcode.GetK) {
      // GETK misses carry the key back.
      s.out.header(r.opcode, Status.KeyEnoent, r.opaque, 0n, r.keylen, 0, 0, r.keylen);
      s.out.bytes(r.buf, r.keyStart, r.keyStart + r.keylen);
      if (!s.writing) s.flush();
      return;
    }
    return s.error(r, Status.KeyEnoent);
  }
  hit(s, r, item, engine.readCas(item, ctx.nowMs), r.opcode === Opcode.GetK || r.opcode === Opcode.GetKQ);
}

export function gat(s: Session, r: Request): void {
  const vb = activeVb(s, r, 4);
  if (vb === undefined) return;
  const b = s.bucket!;
  const key = r.key();
  const res = engine.touch(vb.active!.items.get(key), r.ext32(0), b.tick());
  if (typeof res === 'number') {
    if (res === engine.EngineError.NotFound && r.opcode === Opcode.GatQ) return;
    return s.error(r, statusOf(res, s.xerror));
  }
  b.commit(vb, key, res);
  hit(s, r, res, res.cas, false);
}

export function touch(s: Session, r: Request): void {
  const vb = activeVb(s, r, 4);
  if (vb === undefined) return;
  const b = s.bucket!;
  const key = r.key();
  const res = engine.touch(vb.active!.items.get(key), r.ext32(0), b.tick());
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  b.commit(vb, key, res);
  s.reply(r, Status.Success, res.cas);
}

export function getLocked(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0, 4);
  if (vb === undefined) return;
  const secs = r.extlen === 4 ? r.ext32(0) : 0;
  const res = engine.lock(vb.active!.items.get(r.key()), secs, s.bucket!.tick());
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  hit(s, r, res, res.lockCas, false);
}

export function unlock(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0);
  if (vb === undefined) return;
  const res = engine.unlock(vb.active!.items.get(r.key()), r.cas(), s.bucket!.tick());
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  s.reply(r, Status.Success, res.cas);
}

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
