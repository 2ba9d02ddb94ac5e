/**
 * The KV listener of one node. `handle(duplex)` serves any duplex stream (tests skip TCP);
 * `listen` binds 127.0.0.1.
 */
import * as net from 'node:net';
import type { Duplex } from 'node:stream';
import { Session, type KvCluster, type KvNode } from './session.js';

export class KvServer {
  private server: net.Server | undefined;
  readonly sessions = new Set<Session>();

  constructor(private readonly node: KvNode, private readonly cluster: KvCluster) {}

  handle(stream: Duplex): Session {
    const s = new Session(stream, this.node, this.cluster, (x) => this.sessions.delete(x));
    this.sessions.add(s);
    return s;
  }

  listen(port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true }, (sock) => {
        sock.setNoDelay(true);
        this.handle(sock);
      });
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
        server.removeListener('error', reject);
        server.on('error', () => undefined);
        this.server = server;
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  }

  /** Stops listening and drops every connection. */
  close(): Promise<void> {
    for (const s of this.sessions) s.close();
    this.sessions.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}
