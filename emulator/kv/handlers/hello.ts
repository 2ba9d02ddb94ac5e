/** HELLO (only implemented features are granted) and GET_ERROR_MAP. */
import { Status, STATUS_NAMES, SUPPORTED_FEATURES, HelloFeature } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';

export function hello(s: Session, r: Request): void {
  const n = r.valueLength;
  if (n % 2 !== 0) return s.error(r, Status.Einval);
  const granted: number[] = [];
  const vs = r.valueStart;
  for (let i = 0; i < n; i += 2) {
    const f = r.buf.readUInt16BE(vs + i);
    if (SUPPORTED_FEATURES.has(f) && !granted.includes(f)) granted.push(f);
  }
  s.xerror = granted.includes(HelloFeature.Xerror);
  s.json = granted.includes(HelloFeature.Json);
  s.mutationSeqno = granted.includes(HelloFeature.MutationSeqno);
  const body = Buffer.alloc(granted.length * 2);
  granted.forEach((f, i) => body.writeUInt16BE(f, i * 2));
  s.reply(r, Status.Success, 0n, undefined, body);
}

const errorMaps = new Map<number, Buffer>();

/** The error map (kv_engine error_map_v1/v2 layout: name, desc, attrs per hex status). */
export function errorMapBody(version = 2): Buffer {
  const v = Math.min(Math.max(version, 1), 2);
  let body = errorMaps.get(v);
  if (!body) {
    const errors: Record<string, unknown> = {};
    for (const [code, [name, desc, attrs]] of Object.entries(STATUS_NAMES)) errors[Number(code).toString(16)] = { name, desc, attrs };
    body = Buffer.from(JSON.stringify({ version: v, revision: 1, errors }));
    errorMaps.set(v, body);
  }
  return body;
}

export function errorMap(s: Session, r: Request): void {
  if (r.valueLength !== 2) return s.error(r, Status.Einval);
  const v = r.buf.readUInt16BE(r.valueStart);
  if (v < 1) return s.error(r, Status.Einval);
  s.reply(r, Status.Success, 0n, undefined, errorMapBody(v), s.json ? 1 : 0);
}
