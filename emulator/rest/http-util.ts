/** Small HTTP helpers for the cluster manager REST port. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_REST_BODY = 1024 * 1024;

/** A client error (HTTP 400). */
export class BadRequest extends Error {
  readonly httpStatus = 400;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': data.length });
  res.end(data);
}

export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { errors: { _: message }, error: message });
}

/** Reads a body: JSON (object) or form-urlencoded, into a flat record. */
export function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_REST_BODY) {
        reject(new BadRequest('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (text === '') return resolve({});
      if (text.startsWith('{')) {
        try {
          const v = JSON.parse(text) as unknown;
          if (v && typeof v === 'object' && !Array.isArray(v)) return resolve(v as Record<string, unknown>);
        } catch {
          return reject(new BadRequest('invalid JSON body'));
        }
        return reject(new BadRequest('JSON body must be an object'));
      }
      const out: Record<string, unknown> = {};
      for (const [k, v] of new URLSearchParams(text)) {
        if (k in out) {
          const prev = out[k];
          out[k] = Array.isArray(prev) ? [...prev, v] : [prev, v];
        } else out[k] = v;
      }
      resolve(out);
    });
  });
}

export function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}
