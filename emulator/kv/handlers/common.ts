/** Shared request checks: bucket selected, key sane, extras as the opcode wants, vBucket owned. */
import { MAX_KEY_LEN, Status } from '../opcodes.js';
import type { Request } from '../packet.js';
import type { Session } from '../session.js';
import type { VBucket } from '../../store/vbucket.js';
import { NUM_VBUCKETS } from '../../cluster/vbucket-map.js';

/**
 * The active vBucket for a keyed request, or undefined after answering with the error.
 * `ext` lists the extras lengths the opcode accepts.
 */
export function activeVb(s: Session, r: Request, ext: number, ext2 = -1, valueAllowed = false): VBucket | undefined {
  const b = s.bucket;
  if (b === undefined) {
    s.error(r, s.user === undefined ? Status.Eaccess : Status.NoBucket);
    return undefined;
  }
  if ((r.extlen !== ext && r.extlen !== ext2) || r.keylen === 0 || r.keylen > MAX_KEY_LEN || (!valueAllowed && r.valueLength !== 0)) {
    s.error(r, Status.Einval);
    return undefined;
  }
  if (r.vbucket >= NUM_VBUCKETS) {
    s.notMyVbucket(r);
    return undefined;
  }
  const vb = b.vbs[r.vbucket];
  if (vb.activeNode !== s.node.id || vb.active === undefined) {
    s.notMyVbucket(r);
    return undefined;
  }
  return vb;
}

/** Mutation extras (MUTATION_SEQNO): vbucket uuid and seqno. */
export function mutationExtras(s: Session, vb: VBucket, seqno: number): Buffer | undefined {
  if (!s.mutationSeqno) return undefined;
  const e = Buffer.allocUnsafe(16);
  e.writeBigUInt64BE(vb.uuid, 0);
  e.writeBigUInt64BE(BigInt(seqno), 8);
  return e;
}
