/**
 * A minimal memcached-binary-protocol client for tests and benchmarks: requests matched to
 * responses by opaque, multi-response commands (STAT) collected until the terminator.
 */
import * as net from 'node:net';
import { vbucketOf } from '../cluster/vbucket-map.js';

export interface KvRequest {
  opcode: number;
  key?: string | Buffer;
  extras?: Buffer;
  value?: string | Buffer;
  vbucket?: number;
  cas?: bigint;
  datatype?: number;
  /** Flexible framing extras (sends magic 0x08). */
  framing?: Buffer;
}

export interface KvResponse {
  opcode: number;
  status: number;
  datatype: number;
  opaque: number;
  cas: bigint;
  extras: Buffer;
  key: Buffer;
  value: Buffer;
}

export function encodeRequest(r: KvRequest, opaque: number): Buffer {
  const key = typeof r.key === 'string' ? Buffer.from(r.key) : (r.key ?? Buffer.alloc(0));
  const value = typeof r.value === 'string' ? Buffer.from(r.value) : (r.value ?? Buffer.alloc(0));
  const extras = r.extras ?? Buffer.alloc(0);
  const flex = r.framing ?? Buffer.alloc(0);
  const b = Buffer.alloc(24 + flex.length + extras.length + key.length + value.length);
  if (r.framing) {
    // Alternative request: magic 0x08, framing extras length, 1-byte key length.
    b[0] = 0x08;
    b[1] = r.opcode;
    b[2] = flex.length;
    b[3] = key.length;
  } else {
    b[0] = 0x80;
    b[1] = r.opcode;
    b.writeUInt16BE(key.length, 2);
  }
  b[4] = extras.length;
  b[5] = r.datatype ?? 0;
  b.writeUInt16BE(r.vbucket ?? (key.length ? vbucketOf(key) : 0), 6);
  b.writeUInt32BE(flex.length + extras.length + key.length + value.length, 8);
  b.writeUInt32BE(opaque, 12);
  b.writeBigUInt64BE(r.cas ?? 0n, 16);
  flex.copy(b, 24);
  extras.copy(b, 24 + flex.length);
  key.copy(b, 24 + flex.length + extras.length);
  value.copy(b, 24 + flex.length + extras.length + key.length);
  return b;
}

/** Frame infos: durability requirement (id 1) and/or preserve TTL (id 5). */
export function frameInfos(o: { durability?: number; timeoutMs?: number; preserveTtl?: boolean }): Buffer {
  const parts: number[] = [];
  if (o.durability !== undefined) {
    if (o.timeoutMs !== undefined) parts.push(0x13, o.durability, o.timeoutMs >> 8, o.timeoutMs & 0xff);
    else parts.push(0x11, o.durability);
  }
  if (o.preserveTtl) parts.push(0x50);
  return Buffer.from(parts);
}

export function decodeResponse(b: Buffer): KvResponse {
  const keylen = b.readUInt16BE(2);
  const extlen = b[4];
  const bodylen = b.readUInt32BE(8);
  return {
    opcode: b[1],
    status: b.readUInt16BE(6),
    datatype: b[5],
    opaque: b.readUInt32BE(12),
    cas: b.readBigUInt64BE(16),
    extras: b.subarray(24, 24 + extlen),
    key: b.subarray(24 + extlen, 24 + extlen + keylen),
    value: b.subarray(24 + extlen + keylen, 24 + bodylen),
  };
}

export class KvClient {
  private buf: Buffer = Buffer.alloc(0);
  private nextOpaque = 1;
  private readonly waiting = new Map<number, { multi: boolean; acc: KvResponse[]; resolve: (r: KvResponse[]) => void }>();
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => this.onData(c));
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => undefined);
  }

  static connect(port: number): Promise<KvClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('error', reject);
      s.once('connect', () => {
        s.removeListener('error', reject);
        s.setNoDelay(true);
        resolve(new KvClient(s));
      });
    });
  }

  /** Connects, authenticates with PLAIN, selects the bucket. */
  static async open(port: number, user = 'Administrator', password = 'password', bucket: string | undefined = 'default'): Promise<KvClient> {
    const c = await KvClient.connect(port);
    const a = await c.request({ opcode: 0x21, key: 'PLAIN', value: Buffer.from(`\0${user}\0${password}`) });
    if (a.status !== 0) throw new Error(`auth failed: 0x${a.status.toString(16)}`);
    if (bucket) {
      const s = await c.request({ opcode: 0x89, key: bucket });
      if (s.status !== 0) throw new Error(`select bucket failed: 0x${s.status.toString(16)}`);
    }
    return c;
  }

  private onData(c: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, c]) : c;
    while (this.buf.length >= 24) {
      const total = 24 + this.buf.readUInt32BE(8);
      if (this.buf.length < total) break;
      const r = decodeResponse(Buffer.from(this.buf.subarray(0, total)));
      this.buf = this.buf.subarray(total);
      const w = this.waiting.get(r.opaque);
      if (!w) continue;
      if (w.multi && r.key.length > 0) {
        w.acc.push(r);
        continue;
      }
      this.waiting.delete(r.opaque);
      w.acc.push(r);
      w.resolve(w.acc);
    }
  }

  /** Sends raw bytes. */
  write(b: Buffer): void {
    this.socket.write(b);
  }

  request(r: KvRequest): Promise<KvResponse> {
    const opaque = this.nextOpaque++;
    return new Promise((resolve) => {
      this.waiting.set(opaque, { multi: false, acc: [], resolve: (x) => resolve(x[0]) });
      this.socket.write(encodeRequest(r, opaque));
    });
  }

  /** A command answered by several responses ending in an empty-key one (STAT). */
  multi(r: KvRequest): Promise<KvResponse[]> {
    const opaque = this.nextOpaque++;
    return new Promise((resolve) => {
      this.waiting.set(opaque, { multi: true, acc: [], resolve });
      this.socket.write(encodeRequest(r, opaque));
    });
  }

  /** Sends requests without waiting (quiet ones), then a NOOP; returns every response up to it. */
  async pipeline(reqs: KvRequest[]): Promise<KvResponse[]> {
    const got: KvResponse[] = [];
    const ps = reqs.map((r) => {
      const opaque = this.nextOpaque++;
      this.waiting.set(opaque, { multi: false, acc: [], resolve: (x) => got.push(x[0]) });
      this.socket.write(encodeRequest(r, opaque));
      return opaque;
    });
    await this.request({ opcode: 0x0a });
    for (const o of ps) this.waiting.delete(o);
    return got;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** SET extras: flags + expiry. */
export function setExtras(flags = 0, expiry = 0): Buffer {
  const e = Buffer.alloc(8);
  e.writeUInt32BE(flags >>> 0, 0);
  e.writeUInt32BE(expiry >>> 0, 4);
  return e;
}

/** INCR/DECR extras: delta, initial, expiry. */
export function counterExtras(delta: bigint, initial = 0n, expiry = 0): Buffer {
  const e = Buffer.alloc(20);
  e.writeBigUInt64BE(delta, 0);
  e.writeBigUInt64BE(initial, 8);
  e.writeUInt32BE(expiry >>> 0, 16);
  return e;
}

export function u32(v: number): Buffer {
  const e = Buffer.alloc(4);
  e.writeUInt32BE(v >>> 0, 0);
  return e;
}

/** What `ClusterClient` needs of the emulator. */
export interface ClusterLike {
  cluster: {
    nodes: Array<{ id: number; kvPort: number }>;
    bucket(name: string): { map: number[][] } | undefined;
  };
}

/** One authenticated connection per node; routes keyed requests by the vBucket map. */
export class ClusterClient {
  private readonly conns = new Map<number, KvClient>();
  constructor(private readonly emu: ClusterLike, private readonly bucket = 'default') {}

  async node(id: number): Promise<KvClient> {
    let c = this.conns.get(id);
    if (!c || c.socket.destroyed) {
      const fresh = await KvClient.open(this.emu.cluster.nodes[id].kvPort, 'Administrator', 'password', this.bucket);
      this.conns.set(id, fresh);
      void fresh.closed.then(() => {
        if (this.conns.get(id) === fresh) this.conns.delete(id);
      });
      c = fresh;
    }
    return c;
  }

  /** Node id holding copy `copy` (0 = active) of the key's vBucket. */
  owner(key: string, copy = 0): number {
    return this.emu.cluster.bucket(this.bucket)!.map[vbucketOf(Buffer.from(key))][copy];
  }

  async request(r: KvRequest & { key: string }, copy = 0): Promise<KvResponse> {
    return (await this.node(this.owner(r.key, copy))).request(r);
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}
