/**
 * A bare Node socket speaking memcached's binary protocol: one GET or SET packet written,
 * the reply's header parsed and its value JSON-decoded. Nothing between the caller and the
 * socket, so its one-at-a-time latency is the floor Node itself sets for this round trip.
 * @module
 */
import net from 'node:net';
import { once } from 'node:events';
import type { Client, Doc, Open, Target } from './client.js';

const HEADER = 24;
const OP_GET = 0x00;
const OP_SET = 0x01;

interface Waiter {
  resolve(value: unknown): void;
  reject(error: Error): void;
  op: number;
}

export const open: Open = async (target: Target) => {
  if (target.server !== 'memcached') return { na: 'the bare socket speaks plain memcached (no SASL, no vBucket map): its floor is measured there' };
  const socket = net.connect({ host: target.host, port: target.port, noDelay: true });
  await once(socket, 'connect');
  const waiting: Waiter[] = [];
  let pending: Buffer | undefined;
  socket.on('data', (chunk: Buffer) => {
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    while (buf.length >= HEADER) {
      const total = HEADER + buf.readUInt32BE(8);
      if (buf.length < total) break;
      const w = waiting.shift()!;
      const status = buf.readUInt16BE(6);
      if (status !== 0) w.reject(new Error(`memcached status ${status}`));
      else if (w.op === OP_GET) {
        const valueStart = HEADER + buf[4]! + buf.readUInt16BE(2);
        w.resolve(JSON.parse(buf.toString('utf8', valueStart, total)));
      } else w.resolve(true);
      buf = buf.subarray(total);
    }
    if (buf.length > 0) pending = Buffer.from(buf);
  });
  socket.on('error', (error) => {
    for (const w of waiting.splice(0)) w.reject(error);
  });

  function request(op: number, key: string, value?: string): Promise<unknown> {
    const nkey = Buffer.byteLength(key);
    const extras = op === OP_SET ? 8 : 0;
    const nvalue = value === undefined ? 0 : Buffer.byteLength(value);
    const packet = Buffer.alloc(HEADER + extras + nkey + nvalue);
    packet[0] = 0x80;
    packet[1] = op;
    packet.writeUInt16BE(nkey, 2);
    packet[4] = extras;
    packet.writeUInt32BE(extras + nkey + nvalue, 8);
    packet.write(key, HEADER + extras, 'utf8');
    if (value !== undefined) packet.write(value, HEADER + extras + nkey, 'utf8');
    return new Promise((resolve, reject) => {
      waiting.push({ resolve, reject, op });
      socket.write(packet);
    });
  }

  const oneAtATime = 'the bare socket is the floor for one call at a time only';
  const client: Client = {
    sameTick: false,
    get: (key) => request(OP_GET, key),
    set: (key, doc: Doc) => request(OP_SET, key, JSON.stringify(doc.value)),
    missing: {
      sameTick: oneAtATime, getMulti: oneAtATime, setMulti: oneAtATime, getEach: oneAtATime, storeEach: oneAtATime,
      bufferTimeGetMulti: oneAtATime, durableSetWindow: 'memcached has no replicas or persistence',
    },
    close: async () => {
      socket.end();
      await once(socket, 'close');
    },
  };
  return client;
};
