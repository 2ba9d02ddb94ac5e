/** GET/GETQ/GETK/GETKQ, GAT/GATQ, TOUCH (BinaryProtocol.md "Get", "Touch", "Get And Touch"). */
import { Opcode, Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { activeVb, hit } from './common.js';
import * as engine from '../engine.js';
import { statusOf } from '../status-map.js';

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
