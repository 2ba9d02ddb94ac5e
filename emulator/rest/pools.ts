/** `/pools`, `/pools/default`, bucket listings, terse bucket configs, design doc listing. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import * as config from '../cluster/config.js';
import { sendJson } from './http-util.js';
import type { Bucket } from '../store/bucket.js';

function configNodes(c: Cluster): config.ConfigNode[] {
  return c.activeNodes().map((n) => ({ id: n.id, kv: n.kvPort, views: n.viewsPort }));
}

export function fullInfo(c: Cluster, b: Bucket): Record<string, unknown> {
  return config.fullBucketInfo(c.rev, c.configBucket(b), configNodes(c), c.nodeStatuses(), c.restPort, b.count());
}

export function pools(c: Cluster, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, config.poolsInfo(c.uuid));
}

export function poolDefault(c: Cluster, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, config.poolDefault(c.rev, c.uuid, c.nodeStatuses(), c.restPort, configNodes(c)));
}

export function nodeServices(c: Cluster, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, config.clusterConfig(c.rev, configNodes(c), c.restPort));
}

export function bucketList(c: Cluster, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, [...c.buckets.values()].map((e) => fullInfo(c, e.bucket)));
}

export function bucketInfo(c: Cluster, _req: IncomingMessage, res: ServerResponse, b: Bucket): void {
  sendJson(res, 200, fullInfo(c, b));
}

export function terseBucket(c: Cluster, _req: IncomingMessage, res: ServerResponse, b: Bucket): void {
  sendJson(res, 200, c.terseConfig(b));
}

/** `/pools/default/buckets/<b>/ddocs`, as the cluster manager lists design documents. */
export function ddocs(c: Cluster, _req: IncomingMessage, res: ServerResponse, b: Bucket): void {
  const views = c.views(b.name);
  const rows = (views ? views.designDocs() : []).map(({ name, doc }) => {
    const id = name.startsWith('_design/') ? name : `_design/${name}`;
    const json: Record<string, unknown> = doc && typeof doc === 'object' ? { ...(doc as Record<string, unknown>) } : {};
    const rev = typeof json._rev === 'string' ? json._rev : '1-00000000';
    delete json._id;
    delete json._rev;
    return {
      doc: { meta: { id, rev }, json },
      controllers: {
        compact: `/pools/default/buckets/${encodeURIComponent(b.name)}/ddocs/${encodeURIComponent(id)}/controller/compactView`,
        setUpdateMinChanges: `/pools/default/buckets/${encodeURIComponent(b.name)}/ddocs/${encodeURIComponent(id)}/controller/setUpdateMinChanges`,
      },
    };
  });
  sendJson(res, 200, { rows });
}
