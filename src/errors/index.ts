/**
 * Errors raised by couchbase-rx. Every failure is a {@link CouchbaseError} (or a subclass)
 * carrying the libcouchbase status code in `rc`. The class for a code is derived from the
 * generated libcouchbase table in `./codes.ts`, see {@link CouchbaseError.rcToExctype}.
 * @module
 */
import { inspect } from 'node:util';
import type { Result } from '../results.js';
import { ERROR_CODES, ErrorFlag, LcbStatus, type ErrorCodeInfo } from './codes.js';

export { ERROR_CODES, ErrorFlag, LcbStatus, type ErrorCodeInfo, type ErrorType } from './codes.js';

const byRc = new Map<number, ErrorCodeInfo>(ERROR_CODES.map((c) => [c.rc, c]));

/** The table row for a libcouchbase status code, or undefined for an unknown code. */
export function errorInfo(rc: number): ErrorCodeInfo | undefined {
  return byRc.get(rc);
}

/** Extra fields accepted by every error constructor. */
export interface CouchbaseErrorOptions {
  /** libcouchbase status code; each subclass has a sensible default. */
  rc?: number;
  /** The key the failing operation was about. */
  key?: string;
  /** The underlying exception (for example a JSON.parse failure). */
  innerCause?: unknown;
  /** The object the error is about (for example the raw bytes that failed to decode). */
  objextra?: unknown;
  /** For `…Multi` calls: every key's result. */
  allResults?: ReadonlyMap<string, Result>;
  /** The failing operation's own result, if there is one. */
  result?: unknown;
}

/**
 * Base class of every error. Mirrors the seed's `couchbase.exceptions.CouchbaseError`.
 *
 * ```ts
 * try { await cb.get('missing'); }
 * catch (e) { if (e instanceof NotFoundError) ...; CouchbaseError.rcToExctype(e.rc) === NotFoundError }
 * ```
 */
export class CouchbaseError extends Error {
  /** Default status code for this class. */
  static readonly defaultRc: number = LcbStatus.LCB_ERR_GENERIC;
  /** libcouchbase status code (lcb_STATUS); 0 never appears on an error. */
  rc: number;
  /** Key of the failing operation, when the error is about one key. */
  key: string | undefined;
  /** Underlying cause, e.g. the exception a converter threw. */
  innerCause: unknown;
  /** The object the error is about (e.g. the undecodable bytes). */
  objextra: unknown;
  /** Every key's result of a failed `…Multi` call (a `MultiResult`). */
  allResults: ReadonlyMap<string, Result> | undefined;
  /** The failing operation's own result (a `Result`), when there is one. */
  result: unknown;

  constructor(message?: string, options: CouchbaseErrorOptions = {}) {
    const ctor = new.target as typeof CouchbaseError;
    const rc = options.rc ?? ctor.defaultRc;
    super(message ?? describeRc(rc, options.key));
    this.name = ctor.name;
    this.rc = rc;
    this.key = options.key;
    this.innerCause = options.innerCause;
    this.objextra = options.objextra;
    this.allResults = options.allResults;
    this.result = options.result;
    if (options.innerCause !== undefined) (this as { cause?: unknown }).cause = options.innerCause;
  }

  /**
   * The seed's printed form: `NotFoundError: <Key="k", RC=0x12D[...], Results=1>`, plus
   * `inner_cause=` and `OBJ=` when present.
   */
  override toString(): string {
    const body = this.message.startsWith('<') && this.message.endsWith('>') ? this.message.slice(1, -1) : this.message;
    const parts = [body];
    if (this.key !== undefined && !body.includes('Key=')) parts.push(`Key=${JSON.stringify(this.key)}`);
    if (!body.includes('RC=')) parts.push(`RC=0x${this.rc.toString(16).toUpperCase()}[${this.rcName}]`);
    if (this.innerCause !== undefined) parts.push(`inner_cause=${String((this.innerCause as Error)?.message ?? this.innerCause)}`);
    if (this.objextra !== undefined) parts.push(`OBJ=${inspect(this.objextra, { depth: 1, breakLength: Infinity, maxStringLength: 80, maxArrayLength: 5 })}`);
    if (this.allResults) parts.push(`Results=${this.allResults.size}`);
    return `${this.name}: <${parts.join(', ')}>`;
  }

  /** The libcouchbase name of `rc`, e.g. `LCB_ERR_DOCUMENT_NOT_FOUND`. */
  get rcName(): string {
    return byRc.get(this.rc)?.name ?? `LCB_ERR_UNKNOWN(${this.rc})`;
  }

  /** True when libcouchbase marks the code as transient (retrying may succeed). */
  get isTransient(): boolean {
    return TRANSIENT_RCS.has(this.rc) || this instanceof TemporaryFailError;
  }

  /**
   * The error class a status code maps to (the seed's `rc_to_exctype`).
   * @param rc a libcouchbase status code
   * @returns the most specific subclass of CouchbaseError for `rc`
   */
  static rcToExctype(rc: number): typeof CouchbaseError {
    return rcToExctype(rc);
  }

  /** Builds the right subclass for `rc`. */
  static fromRc(rc: number, options: Omit<CouchbaseErrorOptions, 'rc'> & { message?: string } = {}): CouchbaseError {
    const Cls = rcToExctype(rc);
    return new Cls(options.message, { ...options, rc });
  }
}

/** The key does not exist (`LCB_ERR_DOCUMENT_NOT_FOUND`). */
export class NotFoundError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND;
}
/** The key already exists (add) or the CAS does not match (`LCB_ERR_DOCUMENT_EXISTS`, `LCB_ERR_CAS_MISMATCH`). */
export class KeyExistsError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_DOCUMENT_EXISTS;
}
/** The server is temporarily unable to serve, or the key is locked (`LCB_ERR_TEMPORARY_FAILURE`, `LCB_ERR_DOCUMENT_LOCKED`). */
export class TemporaryFailError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_TEMPORARY_FAILURE;
}
/** The operation did not complete in time (`LCB_ERR_TIMEOUT`). */
export class TimeoutError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_TIMEOUT;
}
/** A value could not be encoded for its format, or stored bytes could not be decoded. */
export class ValueFormatError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_ENCODING_FAILURE;
}
/** A bad argument (caught in TypeScript before anything reaches the network). */
export class ArgumentError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_INVALID_ARGUMENT;
}
/** incr/decr on a value that is not a number (`LCB_ERR_INVALID_DELTA`). */
export class DeltaBadvalError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_INVALID_DELTA;
}
/** The value is larger than the server accepts (`LCB_ERR_VALUE_TOO_LARGE`). */
export class TooBigError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_VALUE_TOO_LARGE;
}
/** Wrong credentials (`LCB_ERR_AUTHENTICATION_FAILURE`). */
export class AuthError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_AUTHENTICATION_FAILURE;
}
/** The bucket does not exist (`LCB_ERR_BUCKET_NOT_FOUND`). */
export class BucketNotFoundError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_BUCKET_NOT_FOUND;
}
/** The cluster could not be reached or bootstrapped. */
export class ConnectError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_CONNECT_ERROR;
}
/** A network failure on an established connection. */
export class NetworkError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_NETWORK;
}
/** An HTTP (views / design documents) request failed. */
export class HttpError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_HTTP;
  /** The HTTP status of the response (0 when none arrived). */
  httpStatus = 0;
  /** The server's own error and reason, e.g. `not_found: missing_named_view`. */
  reason: string | undefined;
}
/** Durability requirements (persistTo/replicateTo) cannot be or were not met. */
export class DurabilityError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_DURABILITY_TOO_MANY;
}
/** The server or the connection type does not support the operation (e.g. observe on memcached). */
export class NotSupportedError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_UNSUPPORTED_OPERATION;
}
/** append/prepend on a missing key (`LCB_ERR_NOT_STORED`). */
export class NotStoredError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_NOT_STORED;
}
/** The connection was closed: no more operations may be issued on it. */
export class ObjectDestroyedError extends CouchbaseError {
  static override readonly defaultRc: number = LcbStatus.LCB_ERR_REQUEST_CANCELED;
}

/** Specific mappings by libcouchbase name; everything else falls back on the table's flags. */
const BY_NAME: Record<string, typeof CouchbaseError> = {
  LCB_ERR_DOCUMENT_NOT_FOUND: NotFoundError,
  LCB_ERR_DOCUMENT_EXISTS: KeyExistsError,
  LCB_ERR_CAS_MISMATCH: KeyExistsError,
  LCB_ERR_TEMPORARY_FAILURE: TemporaryFailError,
  LCB_ERR_DOCUMENT_LOCKED: TemporaryFailError,
  LCB_ERR_BUSY: TemporaryFailError,
  LCB_ERR_NO_MEMORY: TemporaryFailError,
  LCB_ERR_TIMEOUT: TimeoutError,
  LCB_ERR_AMBIGUOUS_TIMEOUT: TimeoutError,
  LCB_ERR_UNAMBIGUOUS_TIMEOUT: TimeoutError,
  LCB_ERR_ENCODING_FAILURE: ValueFormatError,
  LCB_ERR_DECODING_FAILURE: ValueFormatError,
  LCB_ERR_VALUE_NOT_JSON: ValueFormatError,
  LCB_ERR_INVALID_DELTA: DeltaBadvalError,
  LCB_ERR_VALUE_TOO_LARGE: TooBigError,
  LCB_ERR_AUTHENTICATION_FAILURE: AuthError,
  LCB_ERR_SASLMECH_UNAVAILABLE: AuthError,
  LCB_ERR_AUTH_CONTINUE: AuthError,
  LCB_ERR_BUCKET_NOT_FOUND: BucketNotFoundError,
  LCB_ERR_CONNECT_ERROR: ConnectError,
  LCB_ERR_CONNECTION_REFUSED: ConnectError,
  LCB_ERR_UNKNOWN_HOST: ConnectError,
  LCB_ERR_NODE_UNREACHABLE: ConnectError,
  LCB_ERR_NO_CONFIGURATION: ConnectError,
  LCB_ERR_CANNOT_GET_PORT: ConnectError,
  LCB_ERR_NAMESERVER: ConnectError,
  LCB_ERR_SSL_ERROR: ConnectError,
  LCB_ERR_SSL_CANTVERIFY: ConnectError,
  LCB_ERR_SSL_INVALID_CIPHERSUITES: ConnectError,
  LCB_ERR_SSL_NO_CIPHERS: ConnectError,
  LCB_ERR_HTTP: HttpError,
  LCB_ERR_VIEW_NOT_FOUND: HttpError,
  LCB_ERR_DESIGN_DOCUMENT_NOT_FOUND: HttpError,
  LCB_ERR_DURABILITY_LEVEL_NOT_AVAILABLE: DurabilityError,
  LCB_ERR_DURABILITY_IMPOSSIBLE: DurabilityError,
  LCB_ERR_DURABILITY_AMBIGUOUS: DurabilityError,
  LCB_ERR_DURABLE_WRITE_IN_PROGRESS: DurabilityError,
  LCB_ERR_DURABLE_WRITE_RE_COMMIT_IN_PROGRESS: DurabilityError,
  LCB_ERR_DURABILITY_TOO_MANY: DurabilityError,
  LCB_ERR_DURABILITY_NO_MUTATION_TOKENS: DurabilityError,
  LCB_ERR_MUTATION_LOST: DurabilityError,
  LCB_ERR_UNSUPPORTED_OPERATION: NotSupportedError,
  LCB_ERR_SDK_FEATURE_UNAVAILABLE: NotSupportedError,
  LCB_ERR_SERVICE_NOT_AVAILABLE: NotSupportedError,
  LCB_ERR_UNKNOWN_SUBDOC_COMMAND: NotSupportedError,
  LCB_ERR_NOT_STORED: NotStoredError,
  LCB_ERR_REQUEST_CANCELED: ObjectDestroyedError,
};

function classify(info: ErrorCodeInfo): typeof CouchbaseError {
  const named = BY_NAME[info.name];
  if (named) return named;
  if (info.type === 'view') return HttpError;
  if (info.flags & ErrorFlag.NETWORK) return NetworkError;
  if (info.flags & ErrorFlag.INPUT) return ArgumentError;
  if (info.flags & ErrorFlag.TRANSIENT) return TemporaryFailError;
  return CouchbaseError;
}

/** rc → error class, derived once from the generated table. */
const RC_CLASS = new Map<number, typeof CouchbaseError>(ERROR_CODES.map((c) => [c.rc, classify(c)]));

/** Status codes libcouchbase flags as transient (retrying may succeed). */
export const TRANSIENT_RCS: ReadonlySet<number> = new Set(
  ERROR_CODES.filter((c) => c.flags & ErrorFlag.TRANSIENT || c.name === 'LCB_ERR_DOCUMENT_LOCKED').map((c) => c.rc),
);

/** True when `rc` is flagged transient in libcouchbase's table (or means "locked"). */
export function isTransientRc(rc: number): boolean {
  return TRANSIENT_RCS.has(rc);
}

/** The error class for a libcouchbase status code (CouchbaseError for unknown codes). */
export function rcToExctype(rc: number): typeof CouchbaseError {
  return RC_CLASS.get(rc) ?? CouchbaseError;
}

/** `RC=0x12D[LCB_ERR_DOCUMENT_NOT_FOUND: Document is not found]` plus the key. */
export function describeRc(rc: number, key?: string, detail?: string): string {
  const info = byRc.get(rc);
  const what = info ? `${info.name}: ${info.description}` : `unknown status ${rc}`;
  const parts = [];
  if (key !== undefined) parts.push(`Key=${JSON.stringify(key)}`);
  parts.push(`RC=0x${rc.toString(16).toUpperCase()}[${what}]`);
  if (detail) parts.push(detail);
  return `<${parts.join(', ')}>`;
}
