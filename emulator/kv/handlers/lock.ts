/** GET_LOCKED and UNLOCK_KEY: default 15 s, at most 30 s; a plain read of a locked key reports CAS -1. */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { activeVb, hit } from './common.js';
import * as engine from '../engine.js';
import { statusOf } from '../status-map.js';

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
