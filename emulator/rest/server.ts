/**
 * The cluster manager REST port: router, HTTP basic auth (administrator everywhere; a bucket's
 * own name/password for that bucket's read endpoints), JSON errors. Garbage requests get a
 * 400 or a closed connection; the server keeps serving others.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { ClusterError, type Cluster } from '../cluster/cluster.js';
import type { Bucket } from '../store/bucket.js';
import { BadRequest, sendError, sendJson } from './http-util.js';
import * as pools from './pools.js';
import { streamBucket, streamPool } from './streaming.js';
import * as controller from './controller.js';
import * as nodes from './control/nodes.js';
import { delays } from './control/delays.js';
import { inject } from './control/inject.js';
import { clock } from './control/clock.js';
import { load } from './control/load.js';
import * as config from '../cluster/config.js';

type Res = http.ServerResponse;
type Req = http.IncomingMessage;
type Route = [method: string, pattern: RegExp, admin: boolean, fn: (req: Req, res: Res, m: string[]) => unknown];

export class RestServer {
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly routes: Route[];

  constructor(private readonly c: Cluster) {
    const withBucket = (fn: (req: Req, res: Res, b: Bucket) => unknown) => (req: Req, res: Res, m: string[]) => {
      const b = c.bucket(decodeURIComponent(m[1]));
      if (!b) return sendError(res, 404, 'Requested resource not found.');
      return fn(req, res, b);
    };
    this.routes = [
      ['GET', /^\/pools\/?$/, false, (q, s) => pools.pools(c, q, s)],
      ['GET', /^\/pools\/default\/?$/, false, (q, s) => pools.poolDefault(c, q, s)],
      ['GET', /^\/poolsStreaming\/default\/?$/, false, (q, s) => streamPool(c, q, s, () => config.poolDefault(c.rev, c.uuid, c.nodeStatuses(), c.restPort, c.activeNodes().map((n) => ({ id: n.id, kv: n.kvPort, views: n.viewsPort }))))],
      ['GET', /^\/pools\/default\/nodeServices\/?$/, false, (q, s) => pools.nodeServices(c, q, s)],
      ['GET', /^\/pools\/default\/buckets\/?$/, false, (q, s) => pools.bucketList(c, q, s)],
      ['POST', /^\/pools\/default\/buckets\/?$/, true, (q, s) => controller.createBucket(c, q, s)],
      ['GET', /^\/pools\/default\/buckets\/([^/]+)\/ddocs\/?$/, false, withBucket((q, s, b) => pools.ddocs(c, q, s, b))],
      ['POST', /^\/pools\/default\/buckets\/([^/]+)\/controller\/doFlush\/?$/, true, withBucket((q, s, b) => controller.flushBucket(c, q, s, b.name))],
      ['GET', /^\/pools\/default\/buckets\/([^/]+)\/?$/, false, withBucket((q, s, b) => pools.bucketInfo(c, q, s, b))],
      ['DELETE', /^\/pools\/default\/buckets\/([^/]+)\/?$/, true, withBucket((q, s, b) => controller.deleteBucket(c, q, s, b.name))],
      ['POST', /^\/pools\/default\/buckets\/([^/]+)\/?$/, true, withBucket((q, s, b) => controller.updateBucket(c, q, s, b.name))],
      ['GET', /^\/pools\/default\/b\/([^/]+)\/?$/, false, withBucket((q, s, b) => pools.terseBucket(c, q, s, b))],
      ['GET', /^\/pools\/default\/bs\/([^/]+)\/?$/, false, withBucket((q, s, b) => streamBucket(c, q, s, b, true))],
      ['GET', /^\/pools\/default\/bucketsStreaming\/([^/]+)\/?$/, false, withBucket((q, s, b) => streamBucket(c, q, s, b, false))],
      ['POST', /^\/controller\/failOver\/?$/, true, (q, s) => controller.failOver(c, q, s)],
      ['POST', /^\/controller\/startGracefulFailover\/?$/, true, (q, s) => controller.failOver(c, q, s)],
      ['POST', /^\/controller\/rebalance\/?$/, true, (q, s) => controller.rebalance(c, q, s)],
      ['POST', /^\/controller\/ejectNode\/?$/, true, (q, s) => controller.ejectNode(c, q, s)],
      ['POST', /^\/controller\/addNode\/?$/, true, (q, s) => controller.addNode(c, q, s)],
      ['GET', /^\/pools\/default\/rebalanceProgress\/?$/, false, (_q, s) => sendJson(s, 200, { status: 'none' })],
      ['GET', /^\/_emulator\/nodes\/?$/, true, (q, s) => nodes.getNodes(c, q, s)],
      ['POST', /^\/_emulator\/nodes\/?$/, true, (q, s) => nodes.addNode(c, q, s)],
      ['POST', /^\/_emulator\/nodes\/(\d+)\/(stop|start|hang|failover|remove)\/?$/, true, (q, s, m) => nodes.nodeAction(c, q, s, Number(m[1]), m[2])],
      ['DELETE', /^\/_emulator\/nodes\/(\d+)\/?$/, true, (q, s, m) => nodes.nodeAction(c, q, s, Number(m[1]), 'remove')],
      ['*', /^\/_emulator\/delays\/?$/, true, (q, s) => delays(c, q, s)],
      ['*', /^\/_emulator\/inject\/?$/, true, (q, s) => inject(c, q, s)],
      ['*', /^\/_emulator\/clock\/?$/, true, (q, s) => clock(c, q, s)],
      ['POST', /^\/_emulator\/load\/?$/, true, (q, s) => load(c, q, s)],
      ['POST', /^\/_emulator\/buckets\/([^/]+)\/reset\/?$/, true, withBucket((_q, s, b) => {
        c.reset(b.name);
        sendJson(s, 200, { ok: true });
      })],
      ['POST', /^\/_emulator\/buckets\/([^/]+)\/flush\/?$/, true, withBucket((_q, s, b) => {
        c.flush(b.name);
        sendJson(s, 200, { ok: true });
      })],
    ];
  }

  handle = (req: Req, res: Res): void => {
    let pathname: string;
    try {
      pathname = new URL(req.url ?? '/', 'http://x').pathname;
    } catch {
      return sendError(res, 400, 'bad request');
    }
    const method = req.method ?? 'GET';
    for (const [m, re, admin, fn] of this.routes) {
      if (m !== '*' && m !== method && !(m === 'GET' && method === 'HEAD')) continue;
      const match = re.exec(pathname);
      if (!match) continue;
      const bucketName = !admin && match[1] ? safeDecode(match[1]) : undefined;
      if (!this.c.httpAuth(req, bucketName)) {
        res.writeHead(401, { 'www-authenticate': 'Basic realm="Couchbase Server Admin / REST"' });
        res.end();
        return;
      }
      Promise.resolve()
        .then(() => fn(req, res, match))
        .catch((e: unknown) => {
          if (res.headersSent) {
            res.destroy();
            return;
          }
          const status = e instanceof ClusterError || e instanceof BadRequest ? e.httpStatus : 500;
          sendError(res, status, e instanceof Error ? e.message : String(e));
        });
      return;
    }
    sendError(res, 404, 'Not found.');
  };

  listen(port: number): Promise<number> {
    const server = http.createServer(this.handle);
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    server.on('clientError', (_e, sock) => {
      if (sock.writable) sock.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
      else sock.destroy();
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => {
        server.removeListener('error', reject);
        this.server = server;
        resolve((server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (!server) return Promise.resolve();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
