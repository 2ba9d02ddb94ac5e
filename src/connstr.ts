/**
 * Connection strings and host options → one libcouchbase connection string, with host
 * names resolved asynchronously (node:dns/promises) so libcouchbase never blocks the loop
 * in getaddrinfo.
 * @internal
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ArgumentError, ConnectError, LcbStatus } from './errors/index.js';

const SCHEMES = ['couchbase', 'couchbases', 'http', 'memcached'] as const;
export type Scheme = (typeof SCHEMES)[number];

/** One host entry: name or address, optional port and port type (`=http`, `=mcd`). */
export interface HostSpec {
  host: string;
  port?: number;
  /** libcouchbase port-type suffix, e.g. 'http' or 'mcd'. */
  type?: string;
}

/** A parsed connection string. */
export interface ConnSpec {
  scheme: Scheme;
  hosts: HostSpec[];
  bucket: string | undefined;
  /** Query parameters, in order, passed through to libcouchbase. */
  params: Array<[string, string]>;
}

const HOST_RE = /^(?:\[[0-9A-Fa-f:.%a-zA-Z0-9]+\]|[A-Za-z0-9._-]+)$/;

function bad(message: string, objextra?: unknown): ArgumentError {
  return new ArgumentError(message, { objextra, rc: LcbStatus.LCB_ERR_INVALID_HOST_FORMAT });
}

/** Parses `host`, `host:port`, `host:port=type`, `[v6]:port`. */
export function parseHost(entry: string): HostSpec {
  if (typeof entry !== 'string') throw bad(`host must be a string, got ${typeof entry}`, entry);
  let s = entry.trim();
  if (s.length === 0) throw bad('empty host name', entry);
  let type: string | undefined;
  const eq = s.indexOf('=');
  if (eq >= 0) {
    type = s.slice(eq + 1);
    s = s.slice(0, eq);
    if (!/^[a-z]+$/.test(type)) throw bad(`bad port type in host ${JSON.stringify(entry)}`, entry);
  }
  let host = s;
  let port: number | undefined;
  if (s.startsWith('[')) {
    const close = s.indexOf(']');
    if (close < 0) throw bad(`unterminated IPv6 address in ${JSON.stringify(entry)}`, entry);
    host = s.slice(0, close + 1);
    const rest = s.slice(close + 1);
    if (rest) {
      if (!rest.startsWith(':')) throw bad(`bad host ${JSON.stringify(entry)}`, entry);
      port = parsePort(rest.slice(1), entry);
    }
  } else if (isIP(s) === 6) {
    host = `[${s}]`;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon >= 0) {
      host = s.slice(0, colon);
      port = parsePort(s.slice(colon + 1), entry);
    }
  }
  if (!HOST_RE.test(host)) throw bad(`illegal characters in host ${JSON.stringify(entry)}`, entry);
  return { host, port, type };
}

function parsePort(p: string, entry: string): number {
  if (!/^\d{1,5}$/.test(p)) throw bad(`bad port in host ${JSON.stringify(entry)}`, entry);
  const n = Number(p);
  if (n < 1 || n > 65535) throw bad(`port out of range in host ${JSON.stringify(entry)}`, entry);
  return n;
}

/** Parses `scheme://h1,h2:port/bucket?k=v&...`. */
export function parseConnectionString(s: string): ConnSpec {
  if (typeof s !== 'string' || s.length === 0) throw bad('connection string must be a non-empty string', s);
  const m = /^([a-z]+):\/\/([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(s);
  if (!m) throw bad(`malformed connection string ${JSON.stringify(s)} (expected couchbase://host[,host…][/bucket][?option=value…])`, s);
  const scheme = m[1] as Scheme;
  if (!SCHEMES.includes(scheme)) throw bad(`unsupported scheme '${m[1]}://' (use ${SCHEMES.map((x) => x + '://').join(', ')})`, s);
  const hostPart = m[2] ?? '';
  const hosts = hostPart === '' ? [] : hostPart.split(/[,;]/).filter((h) => h.trim() !== '').map(parseHost);
  let bucket: string | undefined;
  if (m[3]) {
    try {
      bucket = decodeURIComponent(m[3]);
    } catch {
      throw bad(`bad bucket name in ${JSON.stringify(s)}`, s);
    }
  }
  const params: Array<[string, string]> = [];
  if (m[4]) {
    for (const part of m[4].split('&')) {
      if (!part) continue;
      const eq = part.indexOf('=');
      if (eq <= 0) throw bad(`bad connection string option ${JSON.stringify(part)}`, s);
      const k = part.slice(0, eq);
      const v = decodeURIComponent(part.slice(eq + 1));
      if (!/^[A-Za-z0-9_.]+$/.test(k)) throw bad(`bad connection string option name ${JSON.stringify(k)}`, s);
      params.push([k, v]);
    }
  }
  return { scheme, hosts, bucket, params };
}

/** Serialises a spec to a libcouchbase connection string. */
export function formatConnectionString(spec: ConnSpec): string {
  const hosts = spec.hosts.map((h) => `${h.host}${h.port ? `:${h.port}` : ''}${h.type ? `=${h.type}` : ''}`).join(',');
  const bucket = spec.bucket !== undefined && spec.scheme !== 'memcached' ? `/${encodeURIComponent(spec.bucket)}` : '';
  const q = spec.params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  return `${spec.scheme}://${hosts}${bucket}${q ? `?${q}` : ''}`;
}

/** Resolver used for host names; replaceable in tests. @internal */
export const dnsHooks = {
  /** Every address of a name (IPv4 first, so that `localhost` works with IPv4-only servers). */
  lookup: async (host: string): Promise<string | string[]> => {
    const all = await lookup(host, { all: true, verbatim: true });
    return [...all.filter((a) => a.family === 4), ...all.filter((a) => a.family !== 4)].map((a) => a.address);
  },
};

/**
 * Resolves every host name to an address (in parallel). Names that do not resolve are
 * dropped; if none resolves, a ConnectError (LCB_ERR_UNKNOWN_HOST) is raised.
 */
export async function resolveHosts(spec: ConnSpec): Promise<ConnSpec> {
  if (spec.hosts.length === 0) return { ...spec, hosts: [{ host: '127.0.0.1' }] };
  const failures: string[] = [];
  const resolved = await Promise.all(
    spec.hosts.map(async (h): Promise<HostSpec[]> => {
      const bare = h.host.startsWith('[') ? h.host.slice(1, -1) : h.host;
      if (isIP(bare)) return [h];
      try {
        const found = await dnsHooks.lookup(bare);
        const addrs = (Array.isArray(found) ? found : [found]).filter((a) => isIP(a));
        if (addrs.length === 0) throw new Error('no address');
        return addrs.map((addr) => ({ ...h, host: isIP(addr) === 6 ? `[${addr}]` : addr }));
      } catch (error) {
        failures.push(`${bare}: ${(error as Error).message}`);
        return [];
      }
    }),
  );
  // Every address of every host, in order, without duplicates (libcouchbase tries them in turn).
  const seen = new Set<string>();
  const hosts = resolved.flat().filter((h) => {
    const id = `${h.host}:${h.port ?? ''}=${h.type ?? ''}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
  if (hosts.length === 0) {
    throw new ConnectError(`could not resolve any host (${failures.join('; ')})`, { rc: LcbStatus.LCB_ERR_UNKNOWN_HOST });
  }
  return { ...spec, hosts };
}

/** Reads a seconds-valued connection string parameter. */
export function paramSeconds(spec: ConnSpec, name: string): number | undefined {
  const p = spec.params.find(([k]) => k === name);
  if (!p) return undefined;
  const n = Number(p[1]);
  if (!Number.isFinite(n) || n <= 0) throw bad(`connection string option ${name} must be a positive number of seconds, got ${JSON.stringify(p[1])}`, p[1]);
  return n;
}
