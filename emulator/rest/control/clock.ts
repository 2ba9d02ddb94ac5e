/** `/_emulator/clock`: GET `{now}` (ms), POST `{advance: seconds}` moves emulator time forward. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Cluster } from '../../cluster/cluster.js';
import { num, readBody, sendJson } from '../http-util.js';

export async function clock(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'POST') {
    const b = await readBody(req);
    const s = num(b.advance ?? b.seconds);
    if (s === undefined || s < 0) return sendJson(res, 400, { error: 'advance must be a non-negative number of seconds' });
    c.clock.advance(s);
  }
  sendJson(res, 200, { now: c.clock.now() });
}
