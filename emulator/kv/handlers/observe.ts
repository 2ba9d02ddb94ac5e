/**
 * OBSERVE (0x92) and OBSERVE_SEQNO (0x91), answered from this node's own copies, so
 * observe-based durability sees replication and persistence as they happen.
 * Key states: 0x00 found/not persisted, 0x01 found/persisted, 0x80 not found,
 * 0x81 logically deleted (not yet persisted).
 */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { NUM_VBUCKETS } from '../../cluster/vbucket-map.js';

export function observe(s: Session, r: Request): void {
  const b = s.bucket;
  if (b === undefined) return s.error(r, s.user === undefined ? Status.Eaccess : Status.NoBucket);
  const buf = r.buf;
  let p = r.valueStart;
  const end = r.end;
  const now = b.tick().nowSec;
  const parts: Buffer[] = [];
  while (p < end) {
    if (p + 4 > end) return s.error(r, Status.Einval);
    const vbid = buf.readUInt16BE(p);
    const kl = buf.readUInt16BE(p + 2);
    if (p + 4 + kl > end || kl === 0) return s.error(r, Status.Einval);
    if (vbid >= NUM_VBUCKETS) return s.notMyVbucket(r);
    const copy = b.vbs[vbid].copies.get(s.node.id);
    if (copy === undefined) return s.notMyVbucket(r);
    const key = buf.latin1Slice(p + 4, p + 4 + kl);
    const item = copy.items.get(key);
    let state = 0x80;
    let cas = 0n;
    if (item !== undefined) {
      if (item.deleted || !item.live(now)) {
        state = item.persisted ? 0x80 : 0x81;
        cas = item.cas;
      } else {
        state = item.persisted ? 0x01 : 0x00;
        cas = item.cas;
      }
    }
    const e = Buffer.allocUnsafe(4 + kl + 9);
    buf.copy(e, 0, p, p + 4 + kl);
    e[4 + kl] = state;
    e.writeBigUInt64BE(cas, 5 + kl);
    parts.push(e);
    p += 4 + kl;
  }
  // Header CAS: persistence latency (upper 32 bits) and replication latency (lower), in ms.
  const d = s.cluster.delays;
  const stats = (BigInt(Math.max(0, Math.floor(d.persistenceMs))) << 32n) | BigInt(Math.max(0, Math.floor(d.replicationMs)));
  s.reply(r, Status.Success, stats, undefined, Buffer.concat(parts));
}

export function observeSeqno(s: Session, r: Request): void {
  const b = s.bucket;
  if (b === undefined) return s.error(r, s.user === undefined ? Status.Eaccess : Status.NoBucket);
  if (r.valueLength !== 8) return s.error(r, Status.Einval);
  if (r.vbucket >= NUM_VBUCKETS) return s.notMyVbucket(r);
  const vb = b.vbs[r.vbucket];
  const copy = vb.copies.get(s.node.id);
  if (copy === undefined) return s.notMyVbucket(r);
  const given = r.buf.readBigUInt64BE(r.valueStart);
  const failedOver = given !== vb.uuid;
  const body = Buffer.alloc(failedOver ? 43 : 27);
  body[0] = failedOver ? 1 : 0;
  body.writeUInt16BE(vb.id, 1);
  body.writeBigUInt64BE(vb.uuid, 3);
  body.writeBigUInt64BE(BigInt(copy.persistedSeqno), 11);
  body.writeBigUInt64BE(BigInt(copy.highSeqno), 19);
  if (failedOver) {
    body.writeBigUInt64BE(given, 27);
    body.writeBigUInt64BE(BigInt(copy.highSeqno), 35);
  }
  s.reply(r, Status.Success, 0n, undefined, body);
}
