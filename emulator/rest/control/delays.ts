/** `/_emulator/delays`: GET the replication/persistence delays, POST `{replicationMs, persistenceMs}`. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from '../../cluster/cluster.js';
import { num, readBody, sendJson } from '../http-util.js';

export async function delays(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'POST') {
    const b = await readBody(req);
    c.setDelays({ replicationMs: num(b.replicationMs), persistenceMs: num(b.persistenceMs) });
  }
  sendJson(res, 200, { ...c.delays });
}
