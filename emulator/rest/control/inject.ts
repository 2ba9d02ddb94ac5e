/**
 * `/_emulator/inject`: POST `{opcode?, key?, count, action: "error"|"silence"|"reset", status?}`
 * makes the next `count` KV commands matching opcode and/or key fail with `status` (default
 * ETMPFAIL), go unanswered, or get half a response header and a reset connection. GET lists the pending rules; DELETE clears them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from '../../cluster/cluster.js';
import { num, readBody, sendJson } from '../http-util.js';

export async function inject(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'DELETE') c.faults.length = 0;
  else if (req.method === 'POST') {
    const b = await readBody(req);
    c.inject({
      opcode: num(b.opcode),
      key: typeof b.key === 'string' ? b.key : undefined,
      count: num(b.count) ?? 1,
      action: b.action === 'silence' || b.action === 'reset' ? b.action : b.action === undefined ? 'error' : (b.action as 'error'),
      status: num(b.status),
    });
  }
  sendJson(res, 200, c.faults);
}
