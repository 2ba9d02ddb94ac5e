/** INCR/DECR (+Q) with initial value and expiry; the new value is the body. */
import { Opcode } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { activeVb, durabilityPossible, committed } from './common.js';
import * as engine from '../engine.js';
import { statusOf } from '../status-map.js';

export function counter(s: Session, r: Request): void {
  const vb = activeVb(s, r, 20);
  if (vb === undefined) return;
  if (!durabilityPossible(s, r, vb)) return;
  const b = s.bucket!;
  const key = r.key();
  const incr = r.opcode === Opcode.Increment || r.opcode === Opcode.IncrementQ;
  const res = engine.counter(
    vb.active!.items.get(key),
    { incr, delta: r.ext64(0), initial: r.ext64(8), expiry: r.ext32(16), cas: r.cas() },
    b.tick(),
  );
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  const body = Buffer.allocUnsafe(8);
  body.writeBigUInt64BE(res.value, 0);
  committed(s, r, vb, key, res.item, body);
}
