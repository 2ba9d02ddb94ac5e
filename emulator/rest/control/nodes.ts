/** `/_emulator/nodes`: list, add; `/_emulator/nodes/<i>/stop|start|hang|failover`, DELETE = remove. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from '../../cluster/cluster.js';
import { sendJson } from '../http-util.js';

export function listNodes(c: Cluster): unknown {
  return c.nodes.map((n) => ({ index: n.id, kv: n.kvPort, views: n.viewsPort, state: n.state, membership: n.membership }));
}

export function getNodes(c: Cluster, _req: IncomingMessage, res: ServerResponse): void {
  sendJson(res, 200, listNodes(c));
}

export async function addNode(c: Cluster, _req: IncomingMessage, res: ServerResponse): Promise<void> {
  const index = await c.addNode();
  sendJson(res, 200, { index, nodes: listNodes(c) });
}

export async function nodeAction(c: Cluster, _req: IncomingMessage, res: ServerResponse, index: number, action: string): Promise<void> {
  switch (action) {
    case 'stop':
      await c.stopNode(index);
      break;
    case 'start':
      await c.startNode(index);
      break;
    case 'hang':
      c.hangNode(index);
      break;
    case 'failover':
      c.failover(index);
      break;
    case 'remove':
      await c.removeNode(index);
      break;
    default:
      return sendJson(res, 404, { error: `unknown node action ${action}` });
  }
  sendJson(res, 200, { ok: true, nodes: listNodes(c) });
}
