/**
 * Bootstrap: connect options and connection strings read and validated, host names resolved
 * asynchronously, the native connection created and connected. Produces the connection core.
 * @internal
 * @module
 */
import { loadNative, type NativeAddon } from './binding.js';
import { Batcher, MAX_OUTSTANDING } from './batcher.js';
import { formatConnectionString, paramSeconds, parseConnectionString, parseHost, resolveHosts, type ConnSpec } from './connstr.js';
import { Codec } from './codec.js';
import { ConnectionCore } from './core/core.js';
import { ConnectError, NetworkError, errorInfo, rcToExctype } from './errors/index.js';
import { argError, checkOptions, readBool, readFormat, readSeconds, readUint } from './options.js';
import { FMT_JSON, resolveTranscoder, type TranscoderLike } from './transcoder.js';

/** Options of {@link Couchbase.connect}. */
export interface ConnectOptions {
  /** Bucket name. Default `'default'`. */
  bucket?: string;
  /** Host name, `host:port`, or a list of them tried in turn. Default `'localhost'`. */
  host?: string | string[];
  /** A connection string (`couchbase://`, `couchbases://`, `http://`, `memcached://`); overrides host and bucket. Query parameters pass through to libcouchbase. */
  connectionString?: string;
  /** RBAC user name (default: the bucket name when a password is given). */
  username?: string;
  /** Password (the bucket's SASL password for old-style buckets). */
  password?: string;
  /** Operation timeout in seconds. Default 2.5. */
  timeout?: number;
  /** Bootstrap timeout in seconds. Default max(5, timeout). */
  configTimeout?: number;
  /** Do not raise NotFoundError on get/delete of a missing key. Default false. */
  quiet?: boolean;
  /** Format for stores without `format`. Default FMT_JSON. */
  defaultFormat?: number;
  /** A Transcoder class or instance. */
  transcoder?: TranscoderLike;
  /** Return raw bytes from gets, never decode. Default false. */
  dataPassthrough?: boolean;
  /** Seed option with no meaning on Node's single loop: accepted and ignored. Use one connection per worker thread instead. */
  lockmode?: unknown;
  /** Seed option (`unlock_gil`) with no meaning on Node: accepted and ignored. */
  unlockGil?: unknown;
  /** Bound on commands outstanding on this connection (advanced). Default {@link MAX_OUTSTANDING}. */
  maxOutstanding?: number;
}

const CONNECT_OPTIONS = [
  'bucket', 'host', 'connectionString', 'username', 'password', 'timeout', 'configTimeout', 'quiet', 'defaultFormat',
  'transcoder', 'dataPassthrough', 'lockmode', 'unlockGil', 'maxOutstanding',
];

/** Validates the options, resolves the hosts, opens and connects the native connection. */
export async function bootstrap(options: ConnectOptions | string, addon?: NativeAddon): Promise<ConnectionCore> {
  const where = 'connect';
  const o = checkOptions<ConnectOptions>(where, typeof options === 'string' ? { connectionString: options } : options, CONNECT_OPTIONS);
  const spec = readSpec(where, o);
  const bucket = spec.bucket!;
  const fromConnstr = paramSeconds(spec, 'operation_timeout');
  const timeout = readSeconds(where, 'timeout', o.timeout, fromConnstr ?? 2.5);
  const configTimeout = readSeconds(where, 'configTimeout', o.configTimeout, paramSeconds(spec, 'config_total_timeout') ?? Math.max(5, timeout));
  const quiet = readBool(where, 'quiet', o.quiet, false);
  const dataPassthrough = readBool(where, 'dataPassthrough', o.dataPassthrough, false);
  const defaultFormat = readFormat(where, o.defaultFormat, FMT_JSON);
  const maxOutstanding = readUint(where, 'maxOutstanding', o.maxOutstanding, MAX_OUTSTANDING, 0x7fffffff) || MAX_OUTSTANDING;
  if (o.username !== undefined && typeof o.username !== 'string') throw argError(`${where}: 'username' must be a string`, o.username);
  if (o.password !== undefined && typeof o.password !== 'string') throw argError(`${where}: 'password' must be a string`, o.password);
  const transcoder = resolveTranscoder(o.transcoder);
  // lockmode / unlockGil: accepted and ignored (one loop, no GIL; see docs/api.md).

  const connstr = formatConnectionString(await resolveHosts(spec));
  const native_ = addon ?? loadNative();
  const username = o.username ?? (o.password !== undefined ? bucket : undefined);

  let batcher!: Batcher;
  const native = new native_.Connection(
    {
      connstr, username, password: o.password,
      operationTimeoutUs: Math.round(timeout * 1e6),
      configTimeoutUs: Math.round(configTimeout * 1e6),
      maxOutstanding,
    },
    (responses) => batcher.onResponses(responses),
  );
  batcher = new Batcher(native);
  await new Promise<void>((resolve, reject) => {
    native.connect((rc, detail) => {
      if (rc === 0) return resolve();
      native.close(() => {});
      const info = errorInfo(rc);
      const message = `couldn't connect to ${connstr}: RC=0x${rc.toString(16).toUpperCase()}[${info ? `${info.name}: ${info.description}` : `status ${rc}`}]${detail ? ` (${detail})` : ''}`;
      // A network failure during bootstrap is a failure to connect.
      const Cls = rcToExctype(rc) === NetworkError ? ConnectError : rcToExctype(rc);
      reject(new Cls(message, { rc }));
    });
  });
  return new ConnectionCore({
    native, batcher, bucket, connstr, timeout, quiet, defaultFormat, lcbVersion: native_.lcbVersion,
    codec: new Codec(transcoder, dataPassthrough),
  });
}

/** The connection spec from `connectionString`, or from `host` and `bucket`. */
function readSpec(where: string, o: Partial<ConnectOptions>): ConnSpec {
  let spec: ConnSpec;
  if (o.connectionString !== undefined) {
    if (typeof o.connectionString !== 'string') throw argError(`${where}: 'connectionString' must be a string`, o.connectionString);
    spec = parseConnectionString(o.connectionString);
    if (o.bucket !== undefined && spec.bucket === undefined) spec.bucket = o.bucket;
  } else {
    const hostOpt = o.host ?? 'localhost';
    const list = Array.isArray(hostOpt) ? hostOpt : [hostOpt];
    if (list.length === 0) throw argError(`${where}: 'host' must not be an empty list`, hostOpt);
    const hosts = list.map((h) => {
      if (typeof h !== 'string') throw argError(`${where}: 'host' must be a string or a list of strings`, hostOpt);
      return parseHost(h);
    });
    spec = { scheme: 'couchbase', hosts, bucket: undefined, params: [] };
    // A bare host:port with the classic REST port means an HTTP bootstrap port.
    for (const h of spec.hosts) if (h.port === 8091 && !h.type) h.type = 'http';
  }
  const bucket = spec.bucket ?? o.bucket ?? 'default'; // a bucket in the connection string wins
  if (typeof bucket !== 'string' || bucket.length === 0 || !/^[A-Za-z0-9._%-]+$/.test(bucket)) {
    throw argError(`${where}: 'bucket' must be a non-empty bucket name, got ${JSON.stringify(bucket)}`, bucket);
  }
  spec.bucket = bucket;
  return spec;
}
