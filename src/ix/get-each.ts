/**
 * getEach for pull pipelines: an IxJS AsyncIterable operator from keys to ValueResults.
 * @module
 */
import type { OperatorAsyncFunction } from 'ix/interfaces';
import type { Couchbase } from '../connection.js';
import { CallSite } from '../op.js';
import { getRun, readGetEach, type GetEachOptions } from '../operators/get-each.js';
import { operatorCore } from '../operators/internal/core-port.js';
import type { ValueResult } from '../results.js';
import { BulkAsyncIterable } from './internal/bulk-iterable.js';

/**
 * Reads every key the source yields, pulling it no faster than the consumer takes results.
 *
 * Keys pulled while slots are free go out together as one native batch; at most
 * `concurrency` keys are in flight or waiting to be taken. Options, ordering and failures as
 * in the RxJS `getEach` of `couchbase-rx/operators`. Leaving the `for await` loop drops the
 * keys in flight and closes the source.
 *
 * ## Example
 * ```ts
 * import { from } from 'ix/asynciterable';
 * import { map } from 'ix/asynciterable/operators';
 * import { getEach } from 'couchbase-rx/ix';
 * for await (const r of from(cb.query('beer', 'by_name')).pipe(map((row) => row.docid), getEach(cb))) {
 *   await render(r.value);   // a slow consumer slows the view paging and the reads
 * }
 * ```
 *
 * @param cb the connection to read from
 * @param options see GetEachOptions
 * @return an IxJS operator from keys to their ValueResults
 */
export function getEach<T = unknown>(cb: Couchbase, options?: GetEachOptions): OperatorAsyncFunction<string, ValueResult<T>> {
  const where = 'getEach';
  const core = operatorCore(cb);
  const spec = readGetEach(where, options);
  const site = CallSite.of(getEach);
  return (source) => new BulkAsyncIterable<string, ValueResult<T>>(source, { ...spec, site }, () => getRun(core, where, spec) as never);
}
