/**
 * couchbase-rx: a Couchbase client on libcouchbase where every response is an RxJS stream.
 *
 * ```ts
 * import { Couchbase, FMT_UTF8 } from 'couchbase-rx';
 * const cb = await Couchbase.connect({ bucket: 'default', host: 'localhost' });
 * await cb.set('greeting', 'Hello', { format: FMT_UTF8 });
 * console.log(String(await cb.get('greeting')));
 * ```
 * @module couchbase-rx
 */
export {
  Couchbase, connect,
  type ConnectOptions, type GetOptions, type StoreOptions, type DeleteOptions, type CounterOptions, type AppendOptions,
  type TouchOptions, type LockOptions, type ReplicaOptions, type EndureOptions, type KeyValues,
} from './connection.js';
export { Op, setCallSiteFrames } from './op.js';
export { View } from './views/view.js';
export { ViewRow } from './views/rows.js';
export { Query, STRING_RANGE_END, type QueryParams, type Stale } from './views/query.js';
export type { QueryOptions } from './views/run-query.js';
export type { RowProcessor } from './views/row-processor.js';
export type { RawRow } from './views/transport.js';
export type {
  DesignCreateOptions, DesignDeleteOptions, DesignDocument, DesignGetOptions, DesignPublishOptions,
} from './views/design.js';
export { MAX_OUTSTANDING } from './batcher.js';
export {
  Result, ValueResult, OperationResult, ObserveResult, ObserveStatus, HttpResult, MultiResult,
  type ObserveInfo, type StatsResult,
} from './results.js';
export {
  CouchbaseError, NotFoundError, KeyExistsError, TemporaryFailError, TimeoutError, ValueFormatError, ArgumentError,
  DeltaBadvalError, TooBigError, AuthError, BucketNotFoundError, ConnectError, NetworkError, HttpError, DurabilityError,
  NotSupportedError, NotStoredError, ObjectDestroyedError, rcToExctype, isTransientRc, errorInfo, TRANSIENT_RCS,
  ERROR_CODES, ErrorFlag, LcbStatus, type CouchbaseErrorOptions, type ErrorCodeInfo, type ErrorType,
} from './errors/index.js';
export {
  FMT_JSON, FMT_UTF8, FMT_BYTES, FMT_AUTO, FMT_V8, FMT_MASK, Transcoder, guessFormat, type TranscoderLike,
} from './transcoder.js';
export {
  setJsonConverters, setV8Converters, type JsonEncoder, type JsonDecoder, type V8Serializer, type V8Deserializer,
} from './converters.js';
export { Item, ItemCollection, ItemSequence, ItemOptionDict, type ItemOptions } from './items.js';

import * as results from './results.js';
import * as errors from './errors/index.js';
/** The result classes as a namespace (`results.ValueResult`), like the seed's `couchbase.result`. */
export { results, errors };

/** Seed lockmode constants: accepted by connect and ignored (Node has one loop per thread; use one connection per worker thread). */
export const LOCKMODE_NONE = 0;
/** @see LOCKMODE_NONE */
export const LOCKMODE_EXC = 1;
/** @see LOCKMODE_NONE */
export const LOCKMODE_WAIT = 2;
