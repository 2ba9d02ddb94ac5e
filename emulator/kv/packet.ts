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
  /** Framing extras length (alternative request framing, magic 0x08); 0 otherwise. */
  flexlen = 0;
  keylen = 0;
  extlen = 0;
  datatype = 0;
  vbucket = 0;
  bodylen = 0;
  opaque = 0;
  /** Start of the extras (after the header and any framing extras). */
  base = 0;
  /** Frame info: durability level (0 = none), and its timeout in ms (0 = default). */
  durability = 0;
  durabilityTimeout = 0;
  /** Frame info: keep the document's current expiry. */
  preserveTtl = false;
  /** Frame infos could not be parsed. */
  badFraming = false;

  load(buf: Buffer, off: number): this {
    this.buf = buf;
    this.off = off;
    const magic = buf[off];
    this.magic = magic;
    this.opcode = buf[off + 1];
    if (magic === 0x08) {
      // Alternative request (BinaryProtocol.md "Request header with flexible framing extras").
      this.flexlen = buf[off + 2];
      this.keylen = buf[off + 3];
    } else {
      this.flexlen = 0;
      this.keylen = (buf[off + 2] << 8) | buf[off + 3];
    }
    this.extlen = buf[off + 4];
    this.datatype = buf[off + 5];
    this.vbucket = (buf[off + 6] << 8) | buf[off + 7];
    this.bodylen = buf.readUInt32BE(off + 8);
    this.opaque = buf.readUInt32BE(off + 12);
    this.base = off + HEADER_LEN + this.flexlen;
    this.durability = 0;
    this.durabilityTimeout = 0;
    this.preserveTtl = false;
    this.badFraming = false;
    if (this.flexlen !== 0 && this.flexlen <= this.bodylen) this.parseFrameInfos();
    return this;
  }

  /**
   * Frame infos: a byte of (id << 4 | length), each nibble escaped by 15 + a following byte.
   * Known ids: 1 durability requirement (level, optional timeout u16), 5 preserve TTL.
   * Others are skipped.
   */
  private parseFrameInfos(): void {
    const b = this.buf;
    let p = this.off + HEADER_LEN;
    const end = p + this.flexlen;
    while (p < end) {
      let id = b[p] >> 4;
      let len = b[p] & 0x0f;
      p++;
      if (id === 15) {
        if (p >= end) return void (this.badFraming = true);
        id = 15 + b[p++];
      }
      if (len === 15) {
        if (p >= end) return void (this.badFraming = true);
        len = 15 + b[p++];
      }
      if (p + len > end) return void (this.badFraming = true);
      if (id === 1) {
        if (len !== 1 && len !== 3) return void (this.badFraming = true);
        this.durability = b[p];
        if (len === 3) this.durabilityTimeout = (b[p + 1] << 8) | b[p + 2];
      } else if (id === 5) {
        if (len !== 0) return void (this.badFraming = true);
        this.preserveTtl = true;
      }
      p += len;
    }
  }

  /** Framing, key, extras and body lengths agree. */
  get sane(): boolean {
    return this.flexlen + this.keylen + this.extlen <= this.bodylen && !this.badFraming;
  }

  get extStart(): number {
    return this.base;
  }

  get keyStart(): number {
    return this.base + this.extlen;
  }

  get valueStart(): number {
    return this.base + this.extlen + this.keylen;
  }

  get end(): number {
    return this.off + HEADER_LEN + this.bodylen;
  }

  get valueLength(): number {
    return this.bodylen - this.flexlen - this.extlen - this.keylen;
  }

  /** The key as a latin1 string (binary-safe map key). */
  key(): string {
    const s = this.base + this.extlen;
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
    return this.buf.readUInt32BE(this.base + i);
  }

  ext64(i: number): bigint {
    return this.buf.readBigUInt64BE(this.base + i);
  }
}

/** One response as its own buffer (for answers sent later, e.g. after a durable write). */
export function encodeResponse(opcode: number, status: number, opaque: number, cas: bigint, extras?: Uint8Array, value?: Uint8Array, datatype = 0): Buffer {
  const el = extras ? extras.length : 0;
  const vl = value ? value.length : 0;
  const b = Buffer.allocUnsafe(HEADER_LEN + el + vl);
  b[0] = 0x81;
  b[1] = opcode;
  b.writeUInt16BE(0, 2);
  b[4] = el;
  b[5] = datatype;
  b.writeUInt16BE(status, 6);
  b.writeUInt32BE(el + vl, 8);
  b.writeUInt32BE(opaque, 12);
  b.writeBigUInt64BE(cas, 16);
  if (el) b.set(extras!, HEADER_LEN);
  if (vl) b.set(value!, HEADER_LEN + el);
  return b;
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
