/**
 * Pure, resumable framer for memcached binary protocol requests.
 *
 * Bytes arrive in arbitrary chunks; `push` hands every complete frame to the sink as a view
 * into the chunk (no copy) when it lies entirely inside one chunk, else as a view into a
 * buffer assembled from the pieces. Bodies larger than `maxBody` are reported through
 * `oversize` and skipped without being buffered. A header with a magic byte that is not a
 * request magic makes the stream unframeable: `malformed` is called and the framer stops.
 *
 * Header layout (BinaryProtocol.md, "Request header"): magic, opcode, key length (2),
 * extras length, datatype, vbucket (2), total body length (4), opaque (4), CAS (8).
 */
import { HEADER_LEN, MAX_BODY_LEN } from './opcodes.js';

export interface FrameSink {
  /** A whole frame: header at `offset`, body follows (24 + body length bytes). */
  frame(buf: Buffer, offset: number): void;
  /** A frame whose body exceeds the limit: header only; the body is skipped. */
  oversize(buf: Buffer, offset: number): void;
  /** The stream cannot be framed (bad magic). No further calls follow. */
  malformed(reason: string): void;
}

const REQUEST_MAGIC = 0x80;
const INITIAL_PARTIAL = 64 * 1024;
const ALT_REQUEST_MAGIC = 0x08;

export class Framer {
  private partial: Buffer | null = null;
  private partialLen = 0;
  private need = 0;
  private skip = 0;
  private dead = false;

  constructor(private readonly maxBody = MAX_BODY_LEN, private readonly hostileBody = Infinity) {}

  /** True when bytes of an unfinished frame are held. */
  get pending(): boolean {
    return this.partial !== null || this.skip > 0;
  }

  /** Feeds a chunk; returns false once the stream was found malformed. */
  push(chunk: Buffer, sink: FrameSink): boolean {
    if (this.dead) return false;
    const len = chunk.length;
    let off = 0;
    if (this.skip > 0) {
      const n = Math.min(this.skip, len);
      this.skip -= n;
      off += n;
      if (off === len) return true;
    }
    if (this.partial !== null) {
      // Complete the header first.
      if (this.partialLen < HEADER_LEN) {
        const n = Math.min(HEADER_LEN - this.partialLen, len - off);
        chunk.copy(this.partial, this.partialLen, off, off + n);
        this.partialLen += n;
        off += n;
        if (this.partialLen < HEADER_LEN) return true;
        const p = this.partial;
        if (!this.checkMagic(p, 0, sink)) return false;
        const body = p.readUInt32BE(8);
        if (body > this.maxBody) {
          this.partial = null;
          this.partialLen = 0;
          if (body > this.hostileBody) return this.fail(sink, 'body length too large');
          sink.oversize(p, 0);
          const n2 = Math.min(body, len - off);
          off += n2;
          this.skip = body - n2;
          if (this.skip > 0) return true;
        } else {
          this.need = HEADER_LEN + body;
        }
      }
      if (this.partial !== null) {
        const n = Math.min(this.need - this.partialLen, len - off);
        this.reserve(this.partialLen + n);
        chunk.copy(this.partial, this.partialLen, off, off + n);
        this.partialLen += n;
        off += n;
        if (this.partialLen < this.need) return true;
        const whole = this.partial;
        this.partial = null;
        this.partialLen = 0;
        sink.frame(whole, 0);
        if (this.dead) return false;
      }
    }
    while (off + HEADER_LEN <= len) {
      if (!this.checkMagic(chunk, off, sink)) return false;
      const body = chunk.readUInt32BE(off + 8);
      if (body > this.maxBody) {
        if (body > this.hostileBody) return this.fail(sink, 'body length too large');
        sink.oversize(chunk, off);
        off += HEADER_LEN;
        const n = Math.min(body, len - off);
        off += n;
        this.skip = body - n;
        if (this.skip > 0) return true;
        continue;
      }
      const total = HEADER_LEN + body;
      if (off + total > len) break;
      sink.frame(chunk, off);
      if (this.dead) return false;
      off += total;
    }
    if (off < len) {
      const rest = len - off;
      let size = HEADER_LEN;
      if (rest >= HEADER_LEN) {
        if (!this.checkMagic(chunk, off, sink)) return false;
        size = HEADER_LEN + chunk.readUInt32BE(off + 8);
        this.need = size;
      }
      // Buffers grow as bytes arrive: a header alone never reserves its whole claimed body.
      const p = Buffer.allocUnsafe(Math.min(size, Math.max(rest, INITIAL_PARTIAL)));
      chunk.copy(p, 0, off, len);
      this.partial = p;
      this.partialLen = rest;
    }
    return true;
  }

  /** Grows the partial buffer to hold at least n bytes (doubling, capped at the frame size). */
  private reserve(n: number): void {
    const p = this.partial!;
    if (p.length >= n) return;
    const grown = Buffer.allocUnsafe(Math.min(this.need, Math.max(n, p.length * 2)));
    p.copy(grown, 0, 0, this.partialLen);
    this.partial = grown;
  }

  /** Stops the framer (the connection is going away). */
  stop(): void {
    this.dead = true;
    this.partial = null;
  }

  private checkMagic(buf: Buffer, off: number, sink: FrameSink): boolean {
    const m = buf[off];
    if (m === REQUEST_MAGIC || m === ALT_REQUEST_MAGIC) return true;
    return this.fail(sink, `bad magic 0x${m.toString(16)}`);
  }

  private fail(sink: FrameSink, reason: string): false {
    this.dead = true;
    this.partial = null;
    sink.malformed(reason);
    return false;
  }
}
