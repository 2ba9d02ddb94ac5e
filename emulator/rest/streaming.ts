/**
 * Streaming bucket configs: `/pools/default/bs/<b>` and `/pools/default/bucketsStreaming/<b>`.
 * Chunked; each config is followed by four newlines; a new one is pushed on every topology
 * change. The stream ends when the bucket goes away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import type { Bucket } from '../store/bucket.js';
import { fullInfo } from './pools.js';

export function streamBucket(c: Cluster, req: IncomingMessage, res: ServerResponse, b: Bucket, terse: boolean): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'transfer-encoding': 'chunked', 'cache-control': 'no-cache' });
  res.socket?.setNoDelay(true);
  let last = -1;
  const push = (): void => {
    if (c.bucket(b.name) !== b) {
      cleanup();
      res.end();
      return;
    }
    if (c.rev === last) return;
    last = c.rev;
    const body = terse ? c.terseConfig(b) : fullInfo(c, b);
    res.write(JSON.stringify(body) + '\n\n\n\n');
  };
  const cleanup = (): void => {
    c.off('config', push);
  };
  c.on('config', push);
  req.on('close', cleanup);
  res.on('close', cleanup);
  push();
}

export function streamPool(c: Cluster, req: IncomingMessage, res: ServerResponse, body: () => unknown): void {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'transfer-encoding': 'chunked' });
  const push = (): void => {
    res.write(JSON.stringify(body()) + '\n\n\n\n');
  };
  c.on('config', push);
  const cleanup = (): void => {
    c.off('config', push);
  };
  req.on('close', cleanup);
  res.on('close', cleanup);
  push();
}
