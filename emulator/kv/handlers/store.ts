/** SET/ADD/REPLACE (+Q) and APPEND/PREPEND (+Q). */
import { Opcode, Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { activeVb, durabilityPossible, committed, badDatatype } from './common.js';
import * as engine from '../engine.js';
import { statusOf } from '../status-map.js';

function mode(op: number): engine.StoreMode {
  if (op === Opcode.Add || op === Opcode.AddQ) return 'add';
  if (op === Opcode.Replace || op === Opcode.ReplaceQ) return 'replace';
  return 'set';
}

export function store(s: Session, r: Request): void {
  const vb = activeVb(s, r, 8, -1, true);
  if (vb === undefined) return;
  if (!durabilityPossible(s, r, vb)) return;
  if (badDatatype(r)) return s.error(r, Status.Einval);
  const b = s.bucket!;
  const key = r.key();
  if (r.valueLength > 20 * 1024 * 1024) return s.error(r, Status.E2big);
  const res = engine.store(
    vb.active!.items.get(key),
    { mode: mode(r.opcode), value: r.valueCopy(), flags: r.ext32(0), expiry: r.ext32(4), cas: r.cas(), datatype: r.datatype, preserveExpiry: r.preserveTtl },
    b.tick(),
  );
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  committed(s, r, vb, key, res);
}

export function concat(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0, -1, true);
  if (vb === undefined) return;
  if (!durabilityPossible(s, r, vb)) return;
  if (badDatatype(r)) return s.error(r, Status.Einval);
  const b = s.bucket!;
  const key = r.key();
  const append = r.opcode === Opcode.Append || r.opcode === Opcode.AppendQ;
  const res = engine.concat(vb.active!.items.get(key), r.value(), append, r.cas(), b.tick());
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  committed(s, r, vb, key, res);
}
