/** `/_emulator/load`: POST `{bucket, path}` loads a sample folder or zip into the bucket. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { loadSampleInto, type Cluster } from '../../cluster/cluster.js';
import { readBody, sendJson } from '../http-util.js';

export async function load(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const b = await readBody(req);
  if (typeof b.bucket !== 'string' || typeof b.path !== 'string') return sendJson(res, 400, { error: 'bucket and path are required' });
  const r = loadSampleInto(c, b.bucket, b.path);
  sendJson(res, 200, r);
}
