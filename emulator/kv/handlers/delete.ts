/** DELETE(Q). */
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { activeVb, durabilityPossible, committed } from './common.js';
import * as engine from '../engine.js';
import { statusOf } from '../status-map.js';

export function remove(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0);
  if (vb === undefined) return;
  if (!durabilityPossible(s, r, vb)) return;
  const b = s.bucket!;
  const key = r.key();
  const res = engine.remove(vb.active!.items.get(key), r.cas(), b.tick());
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  committed(s, r, vb, key, res);
}
