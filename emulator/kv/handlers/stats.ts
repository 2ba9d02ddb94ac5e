/** STAT: one response per statistic, then an empty terminator (BinaryProtocol.md "Stat"). */
import { Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';

export function stat(s: Session, r: Request): void {
  // As on kv_engine, an unauthenticated connection holds no privilege, statistics included.
  if (s.user === undefined) return s.error(r, Status.Eaccess);
  const group = r.buf.toString('utf8', r.keyStart, r.keyStart + r.keylen);
  let stats: Record<string, string | number>;
  if (group === '') {
    stats = s.cluster.stats(s.bucket);
  } else if (group === 'vbucket' && s.bucket) {
    stats = {};
    for (const vb of s.bucket.vbs) {
      if (vb.activeNode === s.node.id) stats[`vb_${vb.id}`] = 'active';
      else if (vb.copies.has(s.node.id)) stats[`vb_${vb.id}`] = 'replica';
    }
  } else {
    return s.error(r, Status.KeyEnoent);
  }
  const out = s.out;
  for (const [k, v] of Object.entries(stats)) {
    const kb = Buffer.from(k);
    const vbuf = Buffer.from(String(v));
    out.header(r.opcode, Status.Success, r.opaque, 0n, kb.length, 0, 0, kb.length + vbuf.length);
    out.bytes(kb);
    out.bytes(vbuf);
  }
  out.header(r.opcode, Status.Success, r.opaque, 0n, 0, 0, 0, 0);
  if (!s.writing) s.flush();
}
