/**
 * The operators on a view (3-node emulator with views): view rows piped into getEach, pushed
 * (RxJS) and pulled (IxJS), where a slow consumer holds back both the paging and the reads;
 * and IxJS storeEach feeding documents the view then finds.
 */
import test from 'ava';
import { from as ixFrom } from 'ix/asynciterable';
import { map as ixMap } from 'ix/asynciterable/operators';
import { lastValueFrom, map, toArray } from 'rxjs';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, coreOf, type Couchbase } from '../../src/connection.js';
import { getEach as ixGetEach, storeEach as ixStoreEach } from '../../src/ix/index.js';
import { getEach } from '../../src/operators/index.js';

let emu: Emulator;
let cb: Couchbase;
const prefix = `ops-view-${process.pid}`;
const n = 200;
const key = (i: number) => `${prefix}:${String(i).padStart(3, '0')}`;

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 1 });
  cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout: 10 });
  const docs = ixFrom(Array.from({ length: n }, (_, i) => [key(i), { kind: 'op-doc', i }] as const));
  let stored = 0;
  for await (const r of docs.pipe(ixStoreEach(cb, { concurrency: 32 }))) if (r.success) stored++;
  if (stored !== n) throw new Error(`stored ${stored} of ${n}`);
  const design = { views: { by_i: { map: 'function (doc, meta) { if (doc.kind === "op-doc") { emit(doc.i, null); } }' } } };
  await cb.designCreate('ops', design, { useDevmode: false, syncwait: 10 });
});

test.after.always(async () => {
  await cb?.close();
  await emu?.stop();
});

/** Counts the native view requests until restored. */
function countViewRequests() {
  const native = coreOf(cb).native;
  const original = native.viewQuery;
  const spy = { started: 0, restore: () => { delete (native as { viewQuery?: unknown }).viewQuery; } };
  Object.defineProperty(native, 'viewQuery', {
    configurable: true,
    value: (...args: Parameters<typeof original>) => {
      spy.started++;
      return original.apply(native, args);
    },
  });
  return spy;
}

test.serial('RxJS: view rows → docid → getEach reads every document the view lists', async (t) => {
  const results = await lastValueFrom(cb.query('ops', 'by_i', { stale: false }).pipe(
    map((row) => row.docid!),
    getEach<{ i: number }>(cb, { ordered: true }),
    toArray(),
  ));
  t.deepEqual(results.map((r) => r.value.i), Array.from({ length: n }, (_, i) => i));
});

test.serial('IxJS: a slow consumer holds back the view paging and the reads; leaving early stops both', async (t) => {
  const spy = countViewRequests();
  const commandsBefore = cb.batchStats.commands;
  try {
    const pipeline = ixFrom(cb.query('ops', 'by_i', { stale: false, pageSize: 20 })).pipe(
      ixMap((row) => row.docid!),
      ixGetEach<{ i: number }>(cb, { concurrency: 8, ordered: true }),
    );
    const seen: number[] = [];
    for await (const r of pipeline) {
      seen.push(r.value.i);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (seen.length === 30) break;
    }
    t.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i));
    t.true(spy.started <= 3, `${spy.started} view pages of 20 for 30 rows taken`);
    const reads = cb.batchStats.commands - commandsBefore;
    t.true(reads <= 30 + 8, `${reads} reads for 30 results taken (concurrency 8)`);
    t.log(`${spy.started} view requests and ${reads} reads for the 30 results taken`);
  } finally {
    spy.restore();
  }
});
