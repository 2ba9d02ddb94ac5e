/** Shared helpers of the views engine tests: a capi handler on a real HTTP server. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createCapiHandler, createViewService } from '../../../emulator/views/index.js';
import type { ViewService } from '../../../emulator/views/index.js';
import type { ViewServiceExtraOptions as ViewServiceOptions } from '../../../emulator/views/view-service.js';
import { MemoryViewSource } from '../../../emulator/views/memory-source.js';

export interface Capi {
  base: string;
  source: MemoryViewSource;
  service: ViewService;
  /** GET (or other method) relative to /<bucket>; returns status, parsed JSON body and raw text. */
  request(path: string, init?: RequestInit): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  /** Queries a view with query parameters given as an object (values JSON-encoded unless strings). */
  view(ddoc: string, view: string, params?: Record<string, unknown>): Promise<{ status: number; body: any; text: string }>;
  putDesign(name: string, doc: unknown): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

export const BUCKET = 'default';

export function qs(params: Record<string, unknown> = {}): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) sp.append(k, typeof v === 'string' ? v : JSON.stringify(v));
  const s = sp.toString();
  return s ? `?${s}` : '';
}

export async function startCapi(
  options: ViewServiceOptions & { source?: MemoryViewSource; password?: string } = {},
): Promise<Capi> {
  const source = options.source ?? new MemoryViewSource();
  const service = createViewService(source, options);
  const handler = createCapiHandler({
    bucket: (name) => (name === BUCKET ? service : undefined),
    authenticate: (req) => {
      if (options.password === undefined) return true;
      const header = req.headers.authorization ?? '';
      const expected = 'Basic ' + Buffer.from(`Administrator:${options.password}`).toString('base64');
      return header === expected;
    },
  });
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const request: Capi['request'] = async (path, init) => {
    const res = await fetch(`${base}/${BUCKET}${path}`, init);
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  return {
    base,
    source,
    service,
    request,
    view: (ddoc, view, params) => request(`/_design/${ddoc}/_view/${view}${qs(params)}`),
    putDesign: async (name, doc) => {
      const r = await request(`/_design/${name}`, { method: 'PUT', body: JSON.stringify(doc) });
      return { status: r.status, body: r.body };
    },
    close: () =>
      new Promise<void>((resolve) => {
        service.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Keys of view rows. */
export const keysOf = (body: { rows: Array<{ key: unknown }> }) => body.rows.map((r) => r.key);
/** Ids of view rows. */
export const idsOf = (body: { rows: Array<{ id: string }> }) => body.rows.map((r) => r.id);
