/**
 * The reactive operators (couchbase-rx/operators and couchbase-rx/ix) on a running cluster:
 * an ingestion with storeEach + durable counting its failures, reads with getEach, a
 * bufferTime + getMulti pipeline, view rows piped into getEach (push and pull), a locked key
 * retried with retryTransient, and replicaFallback standing in for a failed read.
 * Run alone: `npx tsx examples/operators.ts`.
 */
import { from as ixFrom } from 'ix/asynciterable';
import { map as ixMap, take as ixTake } from 'ix/asynciterable/operators';
import { bufferTime, count, defer, filter, from, interval, lastValueFrom, map, mergeMap, reduce, take, toArray } from 'rxjs';
import { Couchbase } from '../src/index.js';
import { getEach as pullEach } from '../src/ix/index.js';
import { durable, getEach, pullable, replicaFallback, retryTransient, storeEach } from '../src/operators/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

export async function operators(target: Target): Promise<void> {
  const cb = await Couchbase.connect(target.bucket('default'));
  const beers = await Couchbase.connect(target.bucket('beer-sample'));
  try {
    // Ingestion: 10,000 documents from a generator, pulled no faster than they are stored,
    // each one emitted once persisted on its master and replicated once; failures counted.
    function* readings() {
      for (let i = 0; i < 10_000; i++) yield [`reading:${i}`, { sensor: i % 7, value: Math.sin(i) }] as const;
    }
    const tally = await lastValueFrom(pullable(readings()).pipe(
      storeEach(cb, { quiet: true }),
      durable(cb, { persistTo: 1, replicateTo: 1, quiet: true }),
      reduce((n, r) => (r.success ? { ...n, ok: n.ok + 1 } : { ...n, failed: n.failed + 1 }), { ok: 0, failed: 0 }),
    ));
    console.log(`ingested: ${tally.ok} durable, ${tally.failed} failed`);

    // Reads: getEach in source order; a missing key as a failed result instead of an error.
    const some = await lastValueFrom(from(['reading:1', 'reading:2', 'no-such-reading']).pipe(
      getEach<{ sensor: number }>(cb, { ordered: true, quiet: true }),
      map((r) => (r.success ? `${r.key}: sensor ${r.value.sensor}` : `${r.key}: missing`)),
      toArray(),
    ));
    console.log(some.join('; '));

    // Keys arriving over time (20 bursts of 100, 1 ms apart), gathered for 5 ms, read with one
    // getMulti (one native batch) per buffer.
    const read = await lastValueFrom(interval(1).pipe(
      take(20),
      mergeMap((burst) => Array.from({ length: 100 }, (_, i) => `reading:${burst * 100 + i}`)),
      bufferTime(5),
      filter((ks) => ks.length > 0),
      mergeMap((ks) => cb.getMulti(ks)),
      reduce((n, m) => n + m.size, 0),
    ));
    console.log(`bufferTime + getMulti read ${read} documents`);

    // View rows into getEach: push with RxJS...
    const names = await lastValueFrom(beers.query('beer', 'brewery_beers', { limit: 6 }).pipe(
      map((row) => row.docid!),
      getEach<{ name: string }>(beers, { ordered: true }),
      map((r) => r.value.name),
      take(3),
      toArray(),
    ));
    console.log('first documents of beer/brewery_beers:', names.join(', '));
    // ...or pulled with IxJS: the view is paged, and the documents read, as the loop asks.
    for await (const r of ixFrom(beers.query('beer', 'brewery_beers', { pageSize: 50 })).pipe(
      ixMap((row) => row.docid!),
      pullEach<{ name?: string; type: string }>(beers, { concurrency: 16 }),
      ixTake(2),
    )) console.log(`pulled ${r.key} (${r.value.type})`);

    // A locked key: the store is sent again, with backoff, until the lock is gone.
    await cb.set('locked-reading', 1);
    await cb.lock('locked-reading', { ttl: 1 });
    let attempts = 0;
    await lastValueFrom(defer(() => {
      attempts++;
      return cb.set('locked-reading', 2);
    }).pipe(retryTransient({ maxRetries: 30, initialDelay: 0.05, maxDelay: 0.25 })));
    console.log(`stored over a lock after ${attempts} attempts`);

    // A get falling back on a replica when its node cannot answer (here it can: no replica read).
    const r = await lastValueFrom(cb.get('reading:1').pipe(replicaFallback(cb)));
    console.log(`read reading:1 ${r.replica ? 'from a replica' : 'from its active node'}`);

    const removed = await lastValueFrom(from(Array.from({ length: 10_000 }, (_, i) => `reading:${i}`)).pipe(
      mergeMap((k) => cb.delete(k), 512),
      count(),
    ));
    console.log(`cleaned up ${removed} documents`);
  } finally {
    await beers.close();
    await cb.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(operators);
