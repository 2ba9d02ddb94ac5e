/**
 * Hostile servers for the wire fuzz: loopback proxies in front of a real emulator that answer
 * with random, truncated, duplicated or reordered data. KV replies are handled frame by frame
 * (port numbers in cluster maps are rewritten, so the client keeps talking through the proxies);
 * HTTP replies (views, REST) byte by byte. A seeded generator makes a run reproducible.
 */
import * as net from 'node:net';

/** mulberry32: small, fast, seeded. */
export class Rng {
  #state: number;
  constructor(readonly seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Counts what a proxy did, by name. */
export type Tally = Record<string, number>;

function count(tally: Tally, name: string): void {
  tally[name] = (tally[name] ?? 0) + 1;
}

interface Proxy {
  port: number;
  /** Drops every open connection (a server restart, as the client sees it). */
  reset(): void;
  close(): Promise<void>;
}

function listen(onConnection: (client: net.Socket) => void): Promise<{ server: net.Server; port: number; sockets: Set<net.Socket> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    onConnection(client);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as net.AddressInfo).port, sockets })));
}

function closer(server: net.Server, sockets: Set<net.Socket>): () => Promise<void> {
  return () => {
    for (const s of sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
}

function upstream(port: number, client: net.Socket): net.Socket {
  const up = net.connect(port, '127.0.0.1');
  up.on('error', () => client.destroy());
  client.on('close', () => up.destroy());
  up.on('close', () => client.destroy());
  client.on('data', (d) => up.write(d));
  return up;
}

// ---------------------------------------------------------------- KV

/** Replies of the connection handshake, left alone unless the bootstrap itself is fuzzed. */
const HANDSHAKE = new Set([0x1f, 0x20, 0x21, 0x22, 0x89, 0xfe]);
const GET_CLUSTER_CONFIG = 0xb5;
const NOT_MY_VBUCKET = 0x07;

const STATUSES = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xc0, 0xd0, 0xffff];

export const KV_MUTATIONS = ['status', 'extlen', 'keylen', 'datatype', 'bodylenBig', 'bodylenSmall', 'truncateClose', 'truncateHang', 'garbage', 'magic', 'opaque', 'opcode', 'duplicate', 'drop', 'value', 'cas', 'split', 'reset', 'config'] as const;
export type KvMutation = (typeof KV_MUTATIONS)[number];

export interface KvFuzz {
  /** Share of replies mutated (0 = a plain proxy). */
  rate: number;
  /** Mutate the handshake replies too (HELLO, SASL, SELECT_BUCKET, error map). */
  handshake: boolean;
  /** The mutations to choose from (default all). */
  kinds?: readonly KvMutation[];
}

/** A random cluster map, shaped like a real one but wrong in its numbers. */
function randomConfig(rng: Rng): string {
  const servers = Array.from({ length: rng.int(4) }, () => `127.0.0.1:${rng.pick([0, 1, 65535, 70000, -1, rng.int(65536)])}`);
  const vbuckets = rng.pick([0, 1, 3, 1024, 4096]);
  const map = Array.from({ length: Math.min(vbuckets, rng.pick([0, vbuckets, 7])) }, () => Array.from({ length: rng.int(4) }, () => rng.pick([-1, 0, 1, 5, 1000, 2 ** 31])));
  const cfg: Record<string, unknown> = {
    rev: rng.pick([-1, 0, 1, 2 ** 53, rng.int(1e9)]),
    name: rng.pick(['default', '', 'other', 'x'.repeat(300)]),
    nodeLocator: rng.pick(['vbucket', 'ketama', 'nonsense']),
    vBucketServerMap: rng.chance(0.8) ? { hashAlgorithm: rng.pick(['CRC', 'MD5', 'x']), numReplicas: rng.pick([0, 1, 3, -1, 100]), serverList: servers, vBucketMap: map } : 'no',
    nodesExt: Array.from({ length: rng.int(3) }, () => ({ services: { kv: rng.int(70000), capi: rng.int(70000), mgmt: rng.int(70000) }, hostname: rng.pick(['127.0.0.1', '', '::1', '$HOST']) })),
    bucketCapabilities: rng.chance(0.5) ? ['couchapi', 'xattr'] : 42,
  };
  const text = JSON.stringify(cfg);
  return rng.chance(0.2) ? text.slice(0, rng.int(text.length)) : text;
}

/**
 * KV proxy: every reply frame is read whole, cluster maps get the proxies' ports, and a share
 * of the frames is mutated. Requests pass unchanged.
 */
export async function kvProxy(target: number, ports: Map<number, number>, rng: Rng, fuzz: KvFuzz, tally: Tally): Promise<Proxy> {
  const { server, port, sockets } = await listen((client) => {
    const up = upstream(target, client);
    let pending: Buffer = Buffer.alloc(0);
    let hung = false;
    const seenConfig = { value: false };
    up.on('data', (chunk: Buffer) => {
      if (hung) return;
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 24 && !hung && !client.destroyed) {
        const total = 24 + pending.readUInt32BE(8);
        if (pending.length < total) break;
        const frame = rewritePorts(Buffer.from(pending.subarray(0, total)), ports);
        pending = pending.subarray(total);
        const opcode = frame[1]!;
        const protectedFrame = (!fuzz.handshake && HANDSHAKE.has(opcode)) || (opcode === GET_CLUSTER_CONFIG && !seenConfig.value && !fuzz.handshake);
        if (opcode === GET_CLUSTER_CONFIG) seenConfig.value = true;
        if (protectedFrame || !rng.chance(fuzz.rate)) {
          client.write(frame);
          continue;
        }
        hung = mutateFrame(frame, client, rng, fuzz.kinds ?? KV_MUTATIONS, tally);
      }
    });
  });
  return { port, reset: () => { for (const c of sockets) c.destroy(); }, close: closer(server, sockets) };
}

/** Replaces the emulator's ports by the proxies' in a reply that carries a cluster map. */
function rewritePorts(frame: Buffer, ports: Map<number, number>): Buffer {
  const status = frame.readUInt16BE(6);
  if (frame[1] !== GET_CLUSTER_CONFIG && status !== NOT_MY_VBUCKET) return frame;
  const start = 24 + frame[4]! + frame.readUInt16BE(2);
  let text = frame.toString('utf8', start);
  for (const [from, to] of ports) text = text.replace(new RegExp(`(?<![0-9A-Za-z])${from}(?![0-9A-Za-z])`, 'g'), String(to));
  const value = Buffer.from(text);
  const out = Buffer.concat([frame.subarray(0, start), value]);
  out.writeUInt32BE(start - 24 + value.length, 8);
  return out;
}

/** Sends a mutated `frame`; returns true when the connection now stays silent. */
function mutateFrame(frame: Buffer, client: net.Socket, rng: Rng, kinds: readonly KvMutation[], tally: Tally): boolean {
  const kind = rng.pick(kinds);
  count(tally, kind);
  const f = Buffer.from(frame);
  switch (kind) {
    case 'status': f.writeUInt16BE(rng.pick(STATUSES), 6); break;
    case 'extlen': f[4] = rng.int(256); break;
    case 'keylen': f.writeUInt16BE(rng.int(65536), 2); break;
    case 'datatype': f[5] = rng.int(256); break;
    case 'bodylenBig':
      // A body that never ends (near 2^32 included: 24 + length wraps around), then the connection drops.
      f.writeUInt32BE(rng.chance(0.3) ? 0xffffffff - rng.int(24) : f.readUInt32BE(8) + 1 + rng.int(0xffffffff - f.readUInt32BE(8)), 8);
      client.write(f);
      setTimeout(() => client.destroy(), 1000 + rng.int(1000));
      return true;
    case 'bodylenSmall': f.writeUInt32BE(rng.int(f.readUInt32BE(8) + 1), 8); break;
    case 'magic': f[0] = rng.int(256); break;
    case 'opaque': f.writeUInt32BE(rng.int(0x100000000), 12); break;
    case 'opcode': f[1] = rng.int(256); break;
    case 'cas': f.writeBigUInt64BE(BigInt(rng.int(0x100000000)) << BigInt(rng.int(33)), 16); break;
    case 'value': for (let i = 24; i < f.length; i++) if (rng.chance(0.3)) f[i] = rng.int(256); break;
    case 'truncateClose':
      client.end(f.subarray(0, rng.int(f.length)));
      return true;
    case 'truncateHang':
      // Silent mid-frame, as a stalled server, until the connection drops a little later.
      client.write(f.subarray(0, rng.int(f.length)));
      setTimeout(() => client.destroy(), 1000 + rng.int(1000));
      return true;
    case 'garbage':
      client.write(rng.bytes(1 + rng.int(64)));
      return false;
    case 'duplicate':
      client.write(f);
      break;
    case 'drop':
      return false;
    case 'split':
      // Valid bytes in small separate writes (no delay on the socket): reassembly, not corruption.
      client.setNoDelay(true);
      for (let i = 0; i < f.length; ) client.write(f.subarray(i, (i += 1 + rng.int(7))));
      return false;
    case 'reset':
      client.resetAndDestroy();
      return true;
    case 'config': {
      const value = Buffer.from(randomConfig(rng));
      const head = Buffer.from(f.subarray(0, 24));
      head.writeUInt16BE(rng.chance(0.5) ? NOT_MY_VBUCKET : 0, 6);
      head[4] = 0;
      head.writeUInt16BE(0, 2);
      head[5] = 1;
      head.writeUInt32BE(value.length, 8);
      client.write(Buffer.concat([head, value]));
      return false;
    }
  }
  client.write(f);
  return false;
}

// ---------------------------------------------------------------- HTTP

const HTTP_STATUSES = [200, 201, 204, 301, 302, 400, 401, 403, 404, 409, 500, 502, 503];

/** A JSON-ish body: view rows, errors, or broken text. */
function randomBody(rng: Rng): string {
  const row = () => JSON.stringify({ id: rng.pick(['a', '', '\u0000', 'x'.repeat(rng.int(300))]), key: rng.pick([null, 1, 'k', [1, [2]], { a: 1 }, 1e308]), value: rng.pick([null, 'v', 2 ** 60, [], {}]) });
  const shapes = [
    () => `{"total_rows":${rng.pick([-1, 0, 5, 2 ** 60])},"rows":[${Array.from({ length: rng.int(5) }, row).join(',\r\n')}]}`,
    () => `{"total_rows":3,"rows":[${row()},${row()}`,
    () => `{"rows":${rng.pick(['null', '42', '"x"', '{}'])}}`,
    () => `{"error":"${rng.pick(['not_found', 'query_parse_error', 'unknown'])}","reason":${rng.pick(['"missing"', 'null', '[1]'])}}`,
    () => `{"total_rows":1,"rows":[],"errors":[{"from":"local","reason":${rng.pick(['"x"', '7'])}}]}`,
    () => rng.bytes(rng.int(200)).toString('latin1'),
    () => '',
    () => `{"views":{"v":{"map":${rng.pick(['1', '"function(){}"', 'null'])}}}}`,
  ];
  return rng.pick(shapes)();
}

export interface HttpFuzz {
  /** Share of connections answered by something other than the real server. */
  rate: number;
}

/**
 * HTTP proxy: per connection, either passes the real answer, or cuts it (close, reset or
 * silence), corrupts its bytes, or answers by itself with a random status and body.
 */
export async function httpProxy(target: number, rng: Rng, fuzz: HttpFuzz, tally: Tally): Promise<Proxy> {
  const { server, port, sockets } = await listen((client) => {
    if (!rng.chance(fuzz.rate)) {
      count(tally, 'pass');
      const up = upstream(target, client);
      up.on('data', (d) => client.write(d));
      return;
    }
    const kind = rng.pick(['truncateClose', 'truncateReset', 'silence', 'corrupt', 'garbage', 'status', 'chunkedBroken', 'lengthLies'] as const);
    count(tally, kind);
    if (kind === 'truncateClose' || kind === 'truncateReset' || kind === 'corrupt') {
      const up = upstream(target, client);
      let budget = kind === 'corrupt' ? Infinity : rng.int(600);
      up.on('data', (d: Buffer) => {
        if (client.destroyed) return;
        if (kind === 'corrupt') {
          const c = Buffer.from(d);
          for (let i = 0; i < c.length; i++) if (rng.chance(0.02)) c[i] = rng.int(256);
          client.write(c);
          return;
        }
        if (d.length < budget) {
          budget -= d.length;
          client.write(d);
          return;
        }
        client.write(d.subarray(0, budget));
        if (kind === 'truncateReset') client.resetAndDestroy();
        else client.end();
      });
      return;
    }
    // Answers by itself once the request has arrived (whatever it is).
    client.once('data', () => {
      if (kind === 'silence') return;
      if (kind === 'garbage') {
        client.end(rng.bytes(1 + rng.int(300)));
        return;
      }
      const body = Buffer.from(randomBody(rng), 'latin1');
      const status = rng.pick(HTTP_STATUSES);
      const head = `HTTP/1.1 ${status} X\r\ncontent-type: application/json\r\n`;
      if (kind === 'status') {
        client.end(Buffer.concat([Buffer.from(`${head}content-length: ${body.length}\r\nconnection: close\r\n\r\n`), body]));
      } else if (kind === 'chunkedBroken') {
        client.end(Buffer.concat([Buffer.from(`${head}transfer-encoding: chunked\r\n\r\n${rng.pick(['zz', (body.length + 7).toString(16), '1'])}\r\n`), body]));
      } else {
        client.end(Buffer.concat([Buffer.from(`${head}content-length: ${body.length + 1 + rng.int(1_000_000)}\r\n\r\n`), body]));
      }
    });
  });
  return { port, reset: () => { for (const c of sockets) c.destroy(); }, close: closer(server, sockets) };
}
