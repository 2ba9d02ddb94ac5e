/**
 * `--data-dir` persistence: one append-only log per bucket of checksummed records
 * (`<len u32><crc32 u32><payload>`), replayed at start. A torn or corrupt tail (kill -9
 * mid-write) is cut off at the last good record. At open the log is compacted to a fresh
 * file written beside it and renamed over it (atomic), so the store never grows unbounded
 * across restarts. Small JSON side files (bucket list, design docs) use write + fsync + rename.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from '../cluster/vbucket-map.js';

export const enum RecordType {
  Set = 1,
  Delete = 2,
  Flush = 3,
}

export interface DiskDoc {
  key: string; // latin1
  value: Buffer;
  flags: number;
  exp: number;
  cas: bigint;
  datatype: number;
  revSeqno: number;
}

function encode(type: RecordType, d: DiskDoc | undefined): Buffer {
  const key = d ? Buffer.from(d.key, 'latin1') : Buffer.alloc(0);
  const vlen = d && type === RecordType.Set ? d.value.length : 0;
  const payloadLen = 1 + 2 + key.length + 4 + 4 + 8 + 1 + 4 + 4 + vlen;
  const b = Buffer.allocUnsafe(8 + payloadLen);
  let o = 8;
  b[o++] = type;
  b.writeUInt16BE(key.length, o);
  o += 2;
  key.copy(b, o);
  o += key.length;
  b.writeUInt32BE(d ? d.flags >>> 0 : 0, o);
  o += 4;
  b.writeUInt32BE(d ? d.exp >>> 0 : 0, o);
  o += 4;
  b.writeBigUInt64BE(d ? d.cas : 0n, o);
  o += 8;
  b[o++] = d ? d.datatype : 0;
  b.writeUInt32BE(d ? d.revSeqno >>> 0 : 0, o);
  o += 4;
  b.writeUInt32BE(vlen, o);
  o += 4;
  if (d && vlen) d.value.copy(b, o);
  b.writeUInt32BE(payloadLen, 0);
  b.writeUInt32BE(crc32(b, 8, 8 + payloadLen), 4);
  return b;
}

/** Replays a log: the documents it holds, and the byte length of its valid prefix. */
export function replay(buf: Buffer): { docs: Map<string, DiskDoc>; validLength: number } {
  const docs = new Map<string, DiskDoc>();
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const sum = buf.readUInt32BE(off + 4);
    if (len < 28 || off + 8 + len > buf.length) break;
    if (crc32(buf, off + 8, off + 8 + len) !== sum) break;
    let o = off + 8;
    const type = buf[o++];
    const klen = buf.readUInt16BE(o);
    o += 2;
    if (o + klen + 25 > off + 8 + len) break;
    const key = buf.toString('latin1', o, o + klen);
    o += klen;
    const flags = buf.readUInt32BE(o);
    const exp = buf.readUInt32BE(o + 4);
    const cas = buf.readBigUInt64BE(o + 8);
    const datatype = buf[o + 16];
    const revSeqno = buf.readUInt32BE(o + 17);
    const vlen = buf.readUInt32BE(o + 21);
    o += 25;
    if (o + vlen !== off + 8 + len) break;
    if (type === RecordType.Set) {
      docs.set(key, { key, value: Buffer.from(buf.subarray(o, o + vlen)), flags, exp, cas, datatype, revSeqno });
    } else if (type === RecordType.Delete) {
      docs.delete(key);
    } else if (type === RecordType.Flush) {
      docs.clear();
    } else {
      break;
    }
    off += 8 + len;
  }
  return { docs, validLength: off };
}

/** Atomically replaces `file` with `data` (write temp, fsync, rename, fsync dir). */
export function writeFileAtomic(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const b = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < b.length) off += fs.writeSync(fd, b, off);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  try {
    const dfd = fs.openSync(path.dirname(file), 'r');
    fs.fsyncSync(dfd);
    fs.closeSync(dfd);
  } catch {
    // directories cannot be fsynced everywhere
  }
}

export function readJsonFile<T>(file: string, fallback: T): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return fallback;
  }
}

/** The append-only document log of one bucket. */
export class BucketLog {
  private fd: number;
  private pending: Buffer[] = [];
  private scheduled = false;
  private closed = false;
  /** Bytes appended since the last compaction. */
  written = 0;

  private constructor(private readonly file: string, fd: number) {
    this.fd = fd;
  }

  /** Opens (creating) the log, replays it, compacts it; returns the log and its documents. */
  static open(file: string): { log: BucketLog; docs: Map<string, DiskDoc> } {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let docs = new Map<string, DiskDoc>();
    if (fs.existsSync(file)) docs = replay(fs.readFileSync(file)).docs;
    // Compact: a snapshot of the valid state, swapped in atomically.
    const parts: Buffer[] = [];
    for (const d of docs.values()) parts.push(encode(RecordType.Set, d));
    writeFileAtomic(file, Buffer.concat(parts));
    const fd = fs.openSync(file, 'a');
    return { log: new BucketLog(file, fd), docs };
  }

  set(d: DiskDoc): void {
    this.push(encode(RecordType.Set, d));
  }

  delete(key: string): void {
    this.push(encode(RecordType.Delete, { key, value: Buffer.alloc(0), flags: 0, exp: 0, cas: 0n, datatype: 0, revSeqno: 0 }));
  }

  flushAll(): void {
    this.push(encode(RecordType.Flush, undefined));
  }

  /**
   * Rewrites the log as a snapshot of `docs` (write beside, fsync, rename over), then appends
   * to the new file. A crash at any point leaves either the old log or the new one.
   */
  compact(docs: Iterable<DiskDoc>): void {
    if (this.closed) return;
    this.sync();
    const parts: Buffer[] = [];
    for (const d of docs) parts.push(encode(RecordType.Set, d));
    writeFileAtomic(this.file, Buffer.concat(parts));
    fs.closeSync(this.fd);
    this.fd = fs.openSync(this.file, 'a');
    this.written = 0;
  }

  /** Writes what is pending now (synchronously). */
  sync(): void {
    if (this.closed || this.pending.length === 0) return;
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    this.pending = [];
    let off = 0;
    while (off < data.length) off += fs.writeSync(this.fd, data, off);
  }

  close(): void {
    if (this.closed) return;
    this.sync();
    this.closed = true;
    fs.closeSync(this.fd);
  }

  /** Removes the log file (bucket deleted). */
  destroy(): void {
    this.close();
    try {
      fs.unlinkSync(this.file);
    } catch {
      // already gone
    }
  }

  private push(b: Buffer): void {
    if (this.closed) return;
    this.pending.push(b);
    this.written += b.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.sync();
      });
    }
  }
}

/**
 * Claims a data dir for this process (`<dir>/emulator.pid`). A dir held by another live
 * process is refused; a stale claim (its process gone, e.g. after kill -9) is taken over.
 * Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'emulator.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => {
        try {
          if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.unlinkSync(file);
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && (pid === process.pid || alive(pid))) {
        throw new Error(`data dir ${dir} is in use by process ${pid}`);
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new Error(`cannot claim data dir ${dir}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
