/**
 * Request view and response encoding. A `Request` is a reusable view over a frame in a
 * receive buffer (no copies, no per-frame allocation); `Output` coalesces every response
 * produced while handling one read into as few writes as possible.
 *
 * Response header (BinaryProtocol.md): magic 0x81, opcode, key length (2), extras length,
 * datatype, status (2), total body length (4), opaque (4), CAS (8).
 */
import { HEADER_LEN } from './opcodes.js';

export class Request {
  buf: Buffer = Buffer.alloc(HEADER_LEN);
  off = 0;
  magic = 0;
  opcode = 0;
  keylen = 0;
  extlen = 0;
  datatype = 0;
  vbucket = 0;
  bodylen = 0;
  opaque = 0;

  load(buf: Buffer, off: number): this {
    this.buf = buf;
    this.off = off;
    this.magic = buf[off];
    this.opcode = buf[off + 1];
    this.keylen = (buf[off + 2] << 8) | buf[off + 3];
    this.extlen = buf[off + 4];
    this.datatype = buf[off + 5];
    this.vbucket = (buf[off + 6] << 8) | buf[off + 7];
    this.bodylen = buf.readUInt32BE(off + 8);
    this.opaque = buf.readUInt32BE(off + 12);
    return this;
  }

  /** Key, extras and body lengths agree. */
  get sane(): boolean {
    return this.keylen + this.extlen <= this.bodylen;
  }

  get extStart(): number {
    return this.off + HEADER_LEN;
  }

  get keyStart(): number {
    return this.off + HEADER_LEN + this.extlen;
  }

  get valueStart(): number {
    return this.off + HEADER_LEN + this.extlen + this.keylen;
  }

  get end(): number {
    return this.off + HEADER_LEN + this.bodylen;
  }

  get valueLength(): number {
    return this.bodylen - this.extlen - this.keylen;
  }

  /** The key as a latin1 string (binary-safe map key). */
  key(): string {
    const s = this.off + HEADER_LEN + this.extlen;
    return this.buf.latin1Slice(s, s + this.keylen);
  }

  /** A copy of the value bytes (they outlive the receive buffer). */
  valueCopy(): Buffer {
    const s = this.valueStart;
    const n = this.end - s;
    const b = Buffer.allocUnsafeSlow(n);
    this.buf.copy(b, 0, s, s + n);
    return b;
  }

  value(): Buffer {
    return this.buf.subarray(this.valueStart, this.end);
  }

  cas(): bigint {
    return this.buf.readBigUInt64BE(this.off + 16);
  }

  ext32(i: number): number {
    return this.buf.readUInt32BE(this.off + HEADER_LEN + i);
  }

  ext64(i: number): bigint {
    return this.buf.readBigUInt64BE(this.off + HEADER_LEN + i);
  }
}

declare module 'node:buffer' {
  interface Buffer {
    latin1Slice(start: number, end: number): string;
  }
}

const CHUNK = 64 * 1024;

/** Coalescing response writer. */
export class Output {
  buf = Buffer.allocUnsafe(CHUNK);
  pos = 0;
  private start = 0;
  private parts: Buffer[] = [];

  /** Makes room for n bytes at `pos`. */
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    if (this.pos > this.start) this.parts.push(this.buf.subarray(this.start, this.pos));
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK, n));
    this.pos = 0;
    this.start = 0;
  }

  /** Writes a response header; the caller then writes exactly `bodylen` body bytes. */
  header(opcode: number, status: number, opaque: number, cas: bigint, keylen: number, extlen: number, datatype: number, bodylen: number): void {
    this.ensure(HEADER_LEN + bodylen);
    const b = this.buf;
    const p = this.pos;
    b[p] = 0x81;
    b[p + 1] = opcode;
    b[p + 2] = keylen >>> 8;
    b[p + 3] = keylen & 0xff;
    b[p + 4] = extlen;
    b[p + 5] = datatype;
    b[p + 6] = status >>> 8;
    b[p + 7] = status & 0xff;
    b.writeUInt32BE(bodylen, p + 8);
    b.writeUInt32BE(opaque, p + 12);
    if (cas === 0n) b.fill(0, p + 16, p + 24);
    else b.writeBigUInt64BE(cas, p + 16);
    this.pos = p + HEADER_LEN;
  }

  u8(v: number): void {
    this.buf[this.pos++] = v;
  }

  u16(v: number): void {
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  u64(v: bigint): void {
    this.buf.writeBigUInt64BE(v, this.pos);
    this.pos += 8;
  }

  bytes(src: Uint8Array, s = 0, e = src.length): void {
    if (e - s < 32) {
      const b = this.buf;
      let p = this.pos;
      for (let i = s; i < e; i++) b[p++] = src[i];
      this.pos = p;
      return;
    }
    this.buf.set(src.subarray(s, e), this.pos);
    this.pos += e - s;
  }

  latin1(s: string): void {
    this.pos += this.buf.latin1Write(s, this.pos);
  }

  get empty(): boolean {
    return this.pos === this.start && this.parts.length === 0;
  }

  /** Hands over everything written so far. */
  take(): Buffer[] {
    if (this.pos > this.start) {
      this.parts.push(this.buf.subarray(this.start, this.pos));
      this.start = this.pos;
      if (this.buf.length - this.pos < 4096) {
        this.buf = Buffer.allocUnsafe(CHUNK);
        this.pos = 0;
        this.start = 0;
      }
    }
    const out = this.parts;
    this.parts = [];
    return out;
  }
}

declare module 'node:buffer' {
  interface Buffer {
    latin1Write(s: string, offset: number): number;
  }
}
