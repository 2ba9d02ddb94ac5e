/**
 * The operators on a 3-node emulator (1 replica): an ingestion of 100,000 documents through
 * storeEach + durable, every one read back from a replica; durability the cluster cannot
 * give failing at the first observe round; an endless source through storeEach in bounded
 * memory; retryTransient on a locked key; bufferTime + getMulti costing one native batch per
 * buffer.
 */
import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  bufferTime, concatMap, count, defer, filter, from, lastValueFrom, map, mergeMap, range, reduce, take, tap, timer, toArray,
} from 'rxjs';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, type Couchbase } from '../../src/index.js';
import { DurabilityError, TemporaryFailError } from '../../src/errors/index.js';
import { durable, getEach, pullable, retryTransient, storeEach } from '../../src/operators/index.js';
import { freshKey } from '../helpers/harness.js';

let emu: Emulator;
let cb: Couchbase;

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 1, views: false });
  cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout: 10 });
});

test.after.always(async () => {
  await cb?.close();
  await emu?.stop();
});

test.serial('100,000 documents through storeEach + durable({ persistTo: 1, replicateTo: 1 }), then every one read from a replica', async (t) => {
  const n = 100_000;
  const prefix = freshKey('ingest');
  const key = (i: number) => `${prefix}:${i}`;
  function* docs() {
    for (let i = 0; i < n; i++) yield [key(i), { i, name: `doc ${i}` }] as const;
  }
  const started = Date.now();
  const durableCount = await lastValueFrom(pullable(docs()).pipe(
    storeEach(cb),
    durable(cb, { persistTo: 1, replicateTo: 1 }),
    count((r) => r.success),
  ));
  t.is(durableCount, n);
  const wrong = await lastValueFrom(range(0, n).pipe(
    map(key),
    getEach<{ i: number }>(cb, { replica: true, quiet: true }),
    reduce((bad, r) => (r.success && r.value.i === Number(r.key.slice(prefix.length + 1)) ? bad : bad + 1), 0),
  ));
  t.is(wrong, 0, 'every document read back from a replica with its value');
  t.log(`100,000 stored durably and read from replicas in ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test.serial('durability the cluster cannot give fails at the first observe round, with DurabilityError', async (t) => {
  const k = freshKey('impossible');
  // 1 replica: replicateTo 2 can never be met. A long timeout shows the failure does not wait for it.
  const viaStore = lastValueFrom(from([[k, 1] as const]).pipe(storeEach(cb, { replicateTo: 2 })));
  await t.throwsAsync(viaStore, { instanceOf: DurabilityError, message: /durability impossible: .*1 replica/ });
  const stored = await cb.set(k, 2);
  const viaDurable = lastValueFrom(from([stored]).pipe(durable(cb, { persistTo: 4, timeout: 120 })));
  await t.throwsAsync(viaDurable, { instanceOf: DurabilityError, message: /durability impossible: persistTo=4/ });
});

/** The V8 heap in use after a full collection, in MB. */
const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();
const heapMB = () => {
  collectGarbage();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

test.serial('an endless source through storeEach runs in bounded memory: it is pulled no faster than results drain', async (t) => {
  const concurrency = 256;
  const pad = 'x'.repeat(1000);
  const prefix = freshKey('endless');
  let pulled = 0;
  // Keys cycle, so that the emulator (same process) keeps a constant number of documents.
  function* endless() {
    for (;;) {
      const i = pulled++;
      yield [`${prefix}:${i % 1000}`, { i, pad }] as const;
    }
  }
  let stored = 0;
  let ahead = 0;
  const heap: number[] = [];
  const rss: number[] = [];
  await lastValueFrom(pullable(endless()).pipe(
    storeEach(cb, { concurrency }),
    tap(() => {
      stored++;
      ahead = Math.max(ahead, pulled - stored);
      if (stored % 30_000 === 0) {
        heap.push(heapMB());
        rss.push(process.memoryUsage().rss / 2 ** 20);
      }
    }),
    take(150_000),
  ));
  t.true(ahead <= concurrency, `the source ran ${ahead} documents ahead of the results (bound ${concurrency})`);
  const growth = heap[heap.length - 1]! - heap[0]!;
  t.log(`heap after GC at 30k..150k documents: ${heap.map((h) => h.toFixed(1)).join(', ')} MB; RSS: ${rss.map((r) => r.toFixed(0)).join(', ')} MB`);
  // 120,000 documents of 1 KB went through between the first and the last sample.
  t.true(growth < 24, `heap grew ${growth.toFixed(1)} MB while 120 MB of documents went through`);
  const rssGrowth = rss[rss.length - 1]! - rss[0]!;
  t.true(rssGrowth < 64, `RSS grew ${rssGrowth.toFixed(0)} MB while 120 MB of documents went through`);
});

test.serial('retryTransient on a locked key: the store is sent again until the lock expires', async (t) => {
  const k = freshKey('locked');
  await cb.set(k, 'before');
  await cb.lock(k, { ttl: 1 });
  let attempts = 0;
  const stored = await lastValueFrom(defer(() => {
    attempts++;
    return cb.set(k, 'after');
  }).pipe(retryTransient({ maxRetries: 40, initialDelay: 0.02, maxDelay: 0.25 })));
  t.true(stored.success);
  t.true(attempts > 1, `${attempts} attempts`);
  t.is((await cb.get(k)).value, 'after');
  await t.throwsAsync(lastValueFrom(defer(() => cb.lock(k, { ttl: 5 })).pipe(
    mergeMap(() => cb.set(k, 'x')),
    retryTransient({ maxRetries: 2, initialDelay: 0.01 }),
  )), { instanceOf: TemporaryFailError }, 'the error after the last retry is passed on');
});

test.serial('bufferTime + getMulti: one native batch per buffer', async (t) => {
  const prefix = freshKey('buffered');
  const keys = Array.from({ length: 3_000 }, (_, i) => `${prefix}:${i}`);
  await cb.setMulti(keys.map((k): [string, string] => [k, k]));
  const before = cb.batchStats.submits;
  // Six bursts of 500 keys, 8 ms apart.
  const sizes = await lastValueFrom(range(0, 6).pipe(
    concatMap((w) => timer(8).pipe(mergeMap(() => keys.slice(w * 500, w * 500 + 500)))),
    bufferTime(5),
    filter((b) => b.length > 0),
    mergeMap((ks) => cb.getMulti(ks)),
    map((m) => m.size),
    toArray(),
  ));
  t.is(sizes.reduce((a, b) => a + b, 0), keys.length);
  t.is(cb.batchStats.submits - before, sizes.length, `${sizes.length} buffers`);
});
