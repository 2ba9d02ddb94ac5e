/**
 * A failed handshake reply whose body is JSON of another shape than `{"error": {...}}`: the
 * connect fails with AuthError and the process lives on. Found by the wire fuzz (seed 453522): a
 * SASL reply whose body parsed as JSON but not as an object made jsoncpp throw through C code,
 * and the process aborted (patch 0017).
 */
import test from 'ava';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { encodeResponse } from '../../emulator/kv/packet.js';
import { AuthError, connect } from '../../src/index.js';

const HELLO = 0x1f;
const SASL_LIST_MECHS = 0x20;
const SASL_AUTH = 0x21;
const AUTH_ERROR = 0x20;
const UNKNOWN_COMMAND = 0x81;

/** A reply to `request` (same opcode and opaque) with this status and body. */
const reply = (request: Buffer, status: number, body: string) => encodeResponse(request[1]!, status, request.readUInt32BE(12), 0n, undefined, Buffer.from(body));

/** A server that only handshakes: HELLO with no features, SCRAM-SHA1 offered, authentication refused with `body`. */
async function refusing(body: string): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let pending = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 24 && pending.length >= 24 + pending.readUInt32BE(8)) {
        const request = pending.subarray(0, 24 + pending.readUInt32BE(8));
        pending = pending.subarray(request.length);
        const opcode = request[1];
        if (opcode === HELLO) socket.write(reply(request, 0, ''));
        else if (opcode === SASL_LIST_MECHS) socket.write(reply(request, 0, 'SCRAM-SHA1'));
        else if (opcode === SASL_AUTH) socket.write(reply(request, AUTH_ERROR, body));
        else socket.write(reply(request, UNKNOWN_COMMAND, ''));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const bodies = ['1', '"refused"', 'true', '[1, 2]', '{"error": 5}', '{"error": [1]}', '{"error": {"ref": 7, "context": ["x"]}}', '{"error": {"ref": "r1", "context": "c1"}}'];

for (const body of bodies) {
  test(`authentication refused with the body ${body}: AuthError, no crash`, async (t) => {
    const server = await refusing(body);
    t.teardown(() => server.close());
    const error = await t.throwsAsync(connect({
      connectionString: `couchbase://127.0.0.1:${server.port}/default?bootstrap_on=cccp`,
      username: 'user', password: 'secret', timeout: 2, configTimeout: 3,
    }));
    t.true(error instanceof AuthError, `${error?.constructor.name}: ${error?.message}`);
  });
}
