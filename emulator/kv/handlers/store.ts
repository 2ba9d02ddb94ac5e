/** SET/ADD/REPLACE (+Q), DELETE(Q), APPEND/PREPEND (+Q), INCR/DECR (+Q). */
import { Opcode, Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import { activeVb, mutationExtras } from './common.js';
import * as engine from '../engine.js';
import { statusOf } from '../status-map.js';
import type { Item } from '../../store/vbucket.js';
import type { VBucket } from '../../store/vbucket.js';

function isQuiet(op: number): boolean {
  return (
    op === Opcode.SetQ || op === Opcode.AddQ || op === Opcode.ReplaceQ || op === Opcode.DeleteQ ||
    op === Opcode.AppendQ || op === Opcode.PrependQ || op === Opcode.IncrementQ || op === Opcode.DecrementQ
  );
}

function mode(op: number): engine.StoreMode {
  if (op === Opcode.Add || op === Opcode.AddQ) return 'add';
  if (op === Opcode.Replace || op === Opcode.ReplaceQ) return 'replace';
  return 'set';
}

function committed(s: Session, r: Request, vb: VBucket, key: string, item: Item, body?: Buffer): void {
  s.bucket!.commit(vb, key, item);
  if (isQuiet(r.opcode)) return;
  s.reply(r, Status.Success, item.cas, mutationExtras(s, vb, item.seqno), body);
}

/** Datatype bits we never negotiated (snappy, xattr) make the request invalid. */
function badDatatype(r: Request): boolean {
  return (r.datatype & ~1) !== 0;
}

export function store(s: Session, r: Request): void {
  const vb = activeVb(s, r, 8, -1, true);
  if (vb === undefined) return;
  if (badDatatype(r)) return s.error(r, Status.Einval);
  const b = s.bucket!;
  const key = r.key();
  if (r.valueLength > 20 * 1024 * 1024) return s.error(r, Status.E2big);
  const res = engine.store(
    vb.active!.items.get(key),
    { mode: mode(r.opcode), value: r.valueCopy(), flags: r.ext32(0), expiry: r.ext32(4), cas: r.cas(), datatype: r.datatype },
    b.tick(),
  );
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  committed(s, r, vb, key, res);
}

export function remove(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0);
  if (vb === undefined) return;
  const b = s.bucket!;
  const key = r.key();
  const res = engine.remove(vb.active!.items.get(key), r.cas(), b.tick());
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  committed(s, r, vb, key, res);
}

export function concat(s: Session, r: Request): void {
  const vb = activeVb(s, r, 0, -1, true);
  if (vb === undefined) return;
  if (badDatatype(r)) return s.error(r, Status.Einval);
  const b = s.bucket!;
  const key = r.key();
  const append = r.opcode === Opcode.Append || r.opcode === Opcode.AppendQ;
  const res = engine.concat(vb.active!.items.get(key), r.value(), append, r.cas(), b.tick());
  if (typeof res === 'number') return s.error(r, statusOf(res, s.xerror));
  committed(s, r, vb, key, res);
}

export function counter(s: Session, r: Request): void {
  const vb = activeVb(s, r, 20);
  if (vb === undefined) return;
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
