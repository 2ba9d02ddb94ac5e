/**
 * Cluster manager endpoints Couchbase Server has: `/controller/failOver`,
 * `/controller/startGracefulFailover`, `/controller/rebalance`, `/controller/ejectNode`,
 * bucket create (`POST /pools/default/buckets`), delete, and flush (`.../controller/doFlush`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import { otpNode } from '../cluster/config.js';
import { num, readBody, sendError, sendJson } from './http-util.js';

function nodeByOtp(c: Cluster, otp: unknown): number | undefined {
  if (typeof otp !== 'string') return undefined;
  const n = c.nodes.find((x) => x.membership !== 'removed' && otpNode({ id: x.id, kv: x.kvPort, views: x.viewsPort }) === otp);
  return n?.id;
}

export async function failOver(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const id = nodeByOtp(c, body.otpNode);
  if (id === undefined) return sendError(res, 400, 'Unknown server given.');
  c.failover(id);
  res.writeHead(200).end();
}

export async function rebalance(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const ejected = String(body.ejectedNodes ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const ids: number[] = [];
  for (const otp of ejected) {
    const id = nodeByOtp(c, otp);
    if (id === undefined) return sendError(res, 400, `Unknown server ${otp}`);
    ids.push(id);
  }
  for (const id of ids) c.nodes[id].membership = 'failed';
  c.rebalance();
  res.writeHead(200).end();
}

export async function ejectNode(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const id = nodeByOtp(c, body.otpNode);
  if (id === undefined) return sendError(res, 400, 'Unknown server given.');
  await c.removeNode(id);
  res.writeHead(200).end();
}

export async function createBucket(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  const name = typeof body.name === 'string' ? body.name : '';
  if (!name) return sendJson(res, 400, { errors: { name: 'Bucket name cannot be empty' } });
  if (c.bucket(name)) return sendJson(res, 400, { errors: { name: 'Bucket with given name already exists' } });
  const bucketType = body.bucketType ?? 'couchbase';
  if (bucketType !== 'couchbase' && bucketType !== 'membase') {
    return sendJson(res, 400, { errors: { bucketType: 'only couchbase buckets are emulated' } });
  }
  const password = typeof body.saslPassword === 'string' ? body.saslPassword : '';
  c.createBucket({
    name,
    password,
    replicas: num(body.replicaNumber),
    flushEnabled: num(body.flushEnabled) === 1,
    ramQuotaMB: num(body.ramQuotaMB ?? body.ramQuota),
  });
  res.writeHead(202, { location: `/pools/default/buckets/${encodeURIComponent(name)}` }).end();
}

export function deleteBucket(c: Cluster, _req: IncomingMessage, res: ServerResponse, name: string): void {
  c.deleteBucket(name);
  res.writeHead(200).end();
}

export function flushBucket(c: Cluster, _req: IncomingMessage, res: ServerResponse, name: string): void {
  if (c.bucket(name)?.flushEnabled === false) return sendJson(res, 400, { _: 'Flush is disabled for the bucket' });
  c.flush(name);
  res.writeHead(200).end();
}

/** `/controller/addNode`: every call adds a new emulated node (the hostname is not used); it joins on the next rebalance. */
export async function addNode(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  await readBody(req);
  const id = await c.addNode(false);
  sendJson(res, 200, { otpNode: otpNode({ id, kv: c.nodes[id].kvPort, views: c.nodes[id].viewsPort }) });
}

/** `POST /pools/default/buckets/<b>`: edit bucket settings (same parameters as create). */
export async function updateBucket(c: Cluster, req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
  const body = await readBody(req);
  const flush = num(body.flushEnabled);
  c.updateBucket(name, {
    flushEnabled: flush === undefined ? undefined : flush === 1,
    ramQuotaMB: num(body.ramQuotaMB ?? body.ramQuota),
    replicas: num(body.replicaNumber),
    password: typeof body.saslPassword === 'string' ? body.saslPassword : undefined,
  });
  res.writeHead(200).end();
}
