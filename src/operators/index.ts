/**
 * couchbase-rx/operators: the reactive operators over a connection. One re-export per operator.
 * @module couchbase-rx/operators
 */
export { getEach, type GetEachOptions } from './get-each.js';
export { storeEach, type StoreEachOptions, type StoreInput } from './store-each.js';
export { durable, type DurableOptions } from './durable.js';
export { replicaFallback, needsReplica, type ReplicaFallbackOptions, type MaybeReplica } from './replica-fallback.js';
export { retryTransient, isRetryable, type RetryTransientOptions } from './retry-transient.js';
export { pullable, Pullable } from './pullable.js';
