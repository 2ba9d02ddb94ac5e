/**
 * storeEach for pull pipelines: an IxJS AsyncIterable operator from documents to OperationResults.
 * @module
 */
import type { OperatorAsyncFunction } from 'ix/interfaces';
import type { Couchbase } from '../connection.js';
import { CallSite } from '../op.js';
import { operatorCore } from '../operators/internal/core-port.js';
import type { StoreInput } from '../operators/internal/store-input.js';
import { readStoreEach, storeRun, type StoreEachOptions } from '../operators/store-each.js';
import type { OperationResult } from '../results.js';
import { BulkAsyncIterable } from './internal/bulk-iterable.js';

/**
 * Stores every document the source yields (`[key, value]` pairs or Items), pulling it no
 * faster than the consumer takes results: an endless source runs in bounded memory.
 *
 * Options, durability and failures as in the RxJS `storeEach` of `couchbase-rx/operators`;
 * a document waiting to become durable holds its slot. Leaving the `for await` loop drops
 * what is in flight, stops the durability polls and closes the source.
 *
 * ## Example
 * ```ts
 * import { from } from 'ix/asynciterable';
 * import { storeEach } from 'couchbase-rx/ix';
 * let failed = 0;
 * for await (const r of from(readDocs()).pipe(storeEach(cb, { quiet: true }))) if (!r.success) failed++;
 * ```
 *
 * @param cb the connection to store with
 * @param options see StoreEachOptions
 * @return an IxJS operator from documents to their OperationResults
 */
export function storeEach<V = unknown>(cb: Couchbase, options?: StoreEachOptions): OperatorAsyncFunction<StoreInput<V>, OperationResult> {
  const where = 'storeEach';
  const core = operatorCore(cb);
  const spec = readStoreEach(core, where, options);
  const site = CallSite.of(storeEach);
  return (source) => new BulkAsyncIterable<StoreInput<V>, OperationResult>(source, { ...spec, site }, () => storeRun(core, where, spec));
}
