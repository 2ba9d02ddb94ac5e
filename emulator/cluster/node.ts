/** One node of the emulated cluster: its KV listener and its views ("capi") listener. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KvServer } from '../kv/server.js';
import type { KvCluster } from '../kv/session.js';

export type NodeState = 'up' | 'stopped' | 'hung';
/** active: serves vBuckets; failed: failed over; added: joined, awaiting rebalance; removed: gone. */
export type Membership = 'active' | 'failed' | 'added' | 'removed';

export class EmuNode {
  state: NodeState = 'stopped';
  membership: Membership = 'active';
  kvPort = 0;
  viewsPort = 0;
  readonly kv: KvServer;
  private views: http.Server | undefined;
  private readonly viewSockets = new Set<import('node:net').Socket>();

  constructor(readonly id: number, cluster: KvCluster, private readonly capi: http.RequestListener) {
    this.kv = new KvServer(this, cluster);
  }

  async start(kvPort = this.kvPort, viewsPort = this.viewsPort): Promise<void> {
    if (this.state === 'hung') {
      this.state = 'up';
      for (const s of this.kv.sessions) s.resume();
      return;
    }
    if (this.state === 'up') return;
    this.kvPort = await this.kv.listen(kvPort);
    const views = http.createServer((req, res) => {
      if (this.state === 'hung') return;
      try {
        this.capi(req, res);
      } catch (e) {
        // The views engine must never take the node down.
        if (res.headersSent) res.destroy();
        else {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal_error', reason: e instanceof Error ? e.message : String(e) }));
        }
      }
    });
    views.on('connection', (sock) => {
      this.viewSockets.add(sock);
      sock.on('close', () => this.viewSockets.delete(sock));
    });
    views.on('clientError', (_err, sock) => sock.destroy());
    await new Promise<void>((resolve, reject) => {
      views.once('error', reject);
      views.listen({ port: viewsPort, host: '127.0.0.1', exclusive: true }, () => {
        views.removeListener('error', reject);
        resolve();
      });
    });
    this.viewsPort = (views.address() as AddressInfo).port;
    this.views = views;
    this.state = 'up';
  }

  /** Connections refused from now on; open ones dropped. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    await this.kv.close();
    const views = this.views;
    this.views = undefined;
    for (const s of this.viewSockets) s.destroy();
    if (views) await new Promise<void>((resolve) => views.close(() => resolve()));
  }

  /** Connections stay open but nothing is answered until `start`. */
  hang(): void {
    if (this.state === 'up') this.state = 'hung';
  }
}
