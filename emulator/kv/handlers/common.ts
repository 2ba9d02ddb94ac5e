/**
 * Shared by the handlers: request checks (bucket selected, key sane, extras as the opcode wants,
 * vBucket owned), GET-style hits, and mutation replies (quiet forms, MUTATION_SEQNO extras).
 */
import { MAX_KEY_LEN, Opcode, Status } from '../opcodes.js';
import { encodeResponse, type Request } from '../packet.js';
import type { Session } from '../session.js';
import type { Item, VBucket } from '../../store/vbucket.js';
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

/** Writes a GET-style hit: flags extras, optional key, value. */
export function hit(s: Session, r: Request, item: Item, cas: bigint, withKey: boolean): void {
  const kl = withKey ? r.keylen : 0;
  const v = item.value;
  const out = s.out;
  out.header(r.opcode, Status.Success, r.opaque, cas, kl, 4, s.json ? item.datatype : 0, 4 + kl + v.length);
  out.u32(item.flags);
  if (kl) out.bytes(r.buf, r.keyStart, r.keyStart + kl);
  out.bytes(v);
  if (!s.writing) s.flush();
}

function isQuiet(op: number): boolean {
  return (
    op === Opcode.SetQ || op === Opcode.AddQ || op === Opcode.ReplaceQ || op === Opcode.DeleteQ ||
    op === Opcode.AppendQ || op === Opcode.PrependQ || op === Opcode.IncrementQ || op === Opcode.DecrementQ
  );
}

export function committed(s: Session, r: Request, vb: VBucket, key: string, item: Item, body?: Buffer): void {
  s.bucket!.commit(vb, key, item);
  const quiet = isQuiet(r.opcode);
  if (r.durability !== 0) {
    // A synchronous write answers once its durability level holds on the simulated copies.
    if (upCopies(s, vb) < majority(s.bucket!.replicas)) {
      // A needed replica's node is down but not failed over: the write cannot complete in time.
      s.later(r.durabilityTimeout || DEFAULT_SYNC_WRITE_TIMEOUT_MS, encodeResponse(r.opcode, Status.SyncWriteAmbiguous, r.opaque, 0n));
      return;
    }
    const wait = durableWaitMs(s, r.durability);
    if (wait > 0) {
      const timeout = r.durabilityTimeout;
      if (timeout > 0 && wait > timeout) {
        s.later(timeout, encodeResponse(r.opcode, Status.SyncWriteAmbiguous, r.opaque, 0n));
        return;
      }
      s.later(wait, quiet ? undefined : encodeResponse(r.opcode, Status.Success, r.opaque, item.cas, mutationExtras(s, vb, item.seqno), body));
      return;
    }
  }
  if (quiet) return;
  s.reply(r, Status.Success, item.cas, mutationExtras(s, vb, item.seqno), body);
}

const DEFAULT_SYNC_WRITE_TIMEOUT_MS = 30_000;

function upCopies(s: Session, vb: VBucket): number {
  let n = 0;
  for (const id of vb.copies.keys()) if (id === s.node.id || s.cluster.nodeUp(id)) n++;
  return n;
}

/** Majority of the bucket's copies (active + configured replicas), as kv_engine counts it. */
function majority(replicas: number): number {
  return Math.floor((replicas + 1) / 2) + 1;
}

/**
 * Checks a durability requirement before a mutation: level 1 (majority), 2 (majority and
 * persist on active) or 3 (persist to majority); the map must hold enough copies.
 * Answers and returns false when the write cannot be done.
 */
export function durabilityPossible(s: Session, r: Request, vb: VBucket): boolean {
  if (r.durability === 0) return true;
  if (r.durability > 3) {
    s.error(r, Status.DurabilityInvalidLevel);
    return false;
  }
  const need = majority(s.bucket!.replicas);
  let have = 0;
  for (const c of vb.copies.keys()) if (c >= 0) have++;
  if (have < need) {
    s.error(r, Status.DurabilityImpossible);
    return false;
  }
  return true;
}

function durableWaitMs(s: Session, level: number): number {
  const d = s.cluster.delays;
  const replicated = majority(s.bucket!.replicas) > 1 ? d.replicationMs : 0;
  if (level === 1) return replicated;
  if (level === 2) return Math.max(replicated, d.persistenceMs);
  return majority(s.bucket!.replicas) > 1 ? d.replicationMs + d.persistenceMs : d.persistenceMs;
}

/** Datatype bits we never negotiated (snappy, xattr) make the request invalid. */
export function badDatatype(r: Request): boolean {
  return (r.datatype & ~1) !== 0;
}
