/**
 * Per-connection state: negotiated features, authentication, selected bucket, SASL exchange,
 * and the coalescing output. Frames are handled in the order they arrive; all responses
 * produced while handling one read leave in one write.
 */
import type { Duplex } from 'node:stream';
import { Framer, type FrameSink } from './framer.js';
import { Output, Request } from './packet.js';
import { HOSTILE_BODY_LEN, MAX_BODY_LEN, Status } from './opcodes.js';
import type { Bucket } from '../store/bucket.js';
import type { ScramServer } from './sasl/scram.js';
import { dispatch } from './dispatch.js';

/**
 * A fault rule: the next `count` commands matching opcode/key get an error, no answer, or half a
 * response header and then a reset connection.
 */
export interface Fault {
  opcode?: number;
  key?: string;
  count: number;
  action: 'error' | 'silence' | 'reset';
  status?: number;
}

/** What sessions need from the cluster. */
export interface KvCluster {
  readonly faults: Fault[];
  readonly delays: { replicationMs: number; persistenceMs: number };
  bucket(name: string): Bucket | undefined;
  /** Password of a KV user (the administrator, or a bucket's own name). */
  passwordOf(user: string): string | undefined;
  isAdmin(user: string): boolean;
  bucketConfigJson(bucket: Bucket, thisNode: number): Buffer;
  clusterConfigJson(thisNode: number): Buffer;
  stats(bucket: Bucket | undefined): Record<string, string | number>;
  /** The node serves requests (neither stopped nor hung). */
  nodeUp(id: number): boolean;
  /** Told about unexpected handler failures (the connection is closed). */
  onInternalError?(e: unknown): void;
}

/** Input held for a hung node beyond this closes the connection. */
const MAX_HELD = 64 * 1024 * 1024;

export interface KvNode {
  readonly id: number;
  readonly state: 'up' | 'stopped' | 'hung';
}

export class Session implements FrameSink {
  readonly out = new Output();
  readonly req = new Request();
  private readonly framer = new Framer(MAX_BODY_LEN, HOSTILE_BODY_LEN);
  xerror = false;
  json = false;
  mutationSeqno = false;
  user: string | undefined;
  bucket: Bucket | undefined;
  scram: ScramServer | undefined;
  closed = false;
  /** True while a read is being handled (responses are flushed at its end). */
  writing = false;

  constructor(readonly socket: Duplex, readonly node: KvNode, readonly cluster: KvCluster, private readonly onClose?: (s: Session) => void) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
    socket.on('drain', () => {
      if (!this.closed) socket.resume();
    });
  }

  private held: Buffer[] = [];
  private heldBytes = 0;

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.node.state === 'hung') {
      // A hung node reads nothing; what arrives meanwhile is handled when it resumes.
      this.held.push(chunk);
      this.heldBytes += chunk.length;
      if (this.heldBytes > MAX_HELD) this.close();
      return;
    }
    this.writing = true;
    this.framer.push(chunk, this);
    this.writing = false;
    this.flush();
  }

  /** Handles input held while the node was hung. */
  resume(): void {
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const c of held) this.onData(c);
  }

  // ---- FrameSink ----

  frame(buf: Buffer, offset: number): void {
    if (this.closed) return;
    const r = this.req.load(buf, offset);
    // Both request magics are served: 0x80, and 0x08 (flexible framing extras), which
    // Couchbase Server accepts whether or not HELLO negotiated it (the SDKs rely on that).
    if (r.magic !== 0x80 && r.magic !== 0x08) {
      this.close();
      return;
    }
    if (!r.sane) {
      this.error(r, Status.Einval);
      return;
    }
    try {
      dispatch(this, r);
    } catch (e) {
      // A handler bug must not take the emulator down; the stream may be half-written, so drop it.
      this.cluster.onInternalError?.(e);
      this.close();
    }
  }

  oversize(buf: Buffer, offset: number): void {
    const r = this.req.load(buf, offset);
    this.error(r, Status.E2big);
  }

  malformed(): void {
    this.close();
  }

  // ---- responses ----

  /** A response without key; optional extras and value. */
  reply(r: Request, status: number, cas = 0n, extras?: Uint8Array, value?: Uint8Array, datatype = 0): void {
    const el = extras ? extras.length : 0;
    const vl = value ? value.length : 0;
    this.out.header(r.opcode, status, r.opaque, cas, 0, el, datatype, el + vl);
    if (el) this.out.bytes(extras!);
    if (vl) this.out.bytes(value!);
    if (!this.writing) this.flush();
  }

  error(r: Request, status: number): void {
    if (status === Status.Locked && !this.xerror) status = Status.Etmpfail;
    this.out.header(r.opcode, status, r.opaque, 0n, 0, 0, 0, 0);
    if (!this.writing) this.flush();
  }

  /** What a connection reset in the middle of a response looks like: the first half of its header, then RST. */
  resetMidResponse(r: Request): void {
    this.flush();
    this.out.header(r.opcode, Status.Success, r.opaque, 0n, 0, 0, 0, 0);
    const header = Buffer.concat(this.out.take());
    const socket = this.socket as Duplex & { resetAndDestroy?: () => void };
    socket.write(header.subarray(0, 12), () => (socket.resetAndDestroy ? socket.resetAndDestroy() : socket.destroy()));
  }

  /** NOT_MY_VBUCKET with the current config in the body. */
  notMyVbucket(r: Request): void {
    const b = this.bucket;
    const cfg = b ? this.cluster.bucketConfigJson(b, this.node.id) : Buffer.alloc(0);
    this.out.header(r.opcode, Status.NotMyVbucket, r.opaque, 0n, 0, 0, this.json && cfg.length ? 1 : 0, cfg.length);
    this.out.bytes(cfg);
    if (!this.writing) this.flush();
  }

  private readonly timers = new Set<NodeJS.Timeout>();

  /** Sends a response built now after `ms` (a durable write completing), unless closed by then. */
  later(ms: number, response: Buffer | undefined): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (this.closed || response === undefined) return;
      if (!this.socket.write(response)) this.socket.pause();
    }, ms);
    this.timers.add(t);
  }

  flush(): void {
    if (this.out.empty || this.closed) return;
    const parts = this.out.take();
    let ok = true;
    if (parts.length === 1) ok = this.socket.write(parts[0]);
    else {
      for (const p of parts) ok = this.socket.write(p);
    }
    if (!ok) this.socket.pause();
  }

  /** Closes after the responses written so far have been sent (QUIT). */
  end(): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.framer.stop();
    this.socket.end();
    this.onClose?.(this);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.framer.stop();
    this.socket.destroy();
    this.onClose?.(this);
  }
}

