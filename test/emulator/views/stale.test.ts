import test from 'ava';
import { createViewService } from '../../../emulator/views/index.js';
import { MemoryViewSource } from '../../../emulator/views/memory-source.js';
import { startCapi, idsOf } from './_helpers.js';

const DDOC = { views: { all: { map: 'function (doc, meta) { emit(doc.n, meta.id); }' } } };
const tick = () => new Promise((resolve) => setImmediate(resolve));

async function setup(t: { teardown(fn: () => unknown): void }) {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  capi.source.set('a', { n: 1 });
  capi.source.set('b', { n: 2 });
  await capi.putDesign('s', DDOC);
  return capi;
}

test('the first query builds the index whatever stale says', async (t) => {
  const capi = await setup(t);
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'ok' })).body), ['a', 'b']);
});

test('stale=ok serves the last built index; stale=false catches up first', async (t) => {
  const capi = await setup(t);
  await capi.view('s', 'all', { stale: 'false' });
  capi.source.set('c', { n: 0 });
  capi.source.delete('a');
  capi.source.set('b', { n: 5 });
  const old = await capi.view('s', 'all', { stale: 'ok' });
  t.deepEqual(idsOf(old.body), ['a', 'b']);
  t.is(old.body.total_rows, 2);
  await tick();
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'ok' })).body), ['a', 'b'], 'stale=ok never updates');
  const fresh = await capi.view('s', 'all', { stale: 'false' });
  t.deepEqual(fresh.body.rows, [
    { id: 'c', key: 0, value: 'c' },
    { id: 'b', key: 5, value: 'b' },
  ]);
  t.is(fresh.body.total_rows, 2);
});

test('stale=update_after (and no stale, the default) serves then updates', async (t) => {
  const capi = await setup(t);
  await capi.view('s', 'all');
  capi.source.set('c', { n: 3 });
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'update_after' })).body), ['a', 'b']);
  await tick();
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'ok' })).body), ['a', 'b', 'c']);
  capi.source.delete('b');
  t.deepEqual(idsOf((await capi.view('s', 'all')).body), ['a', 'b', 'c'], 'no stale = update_after');
  await tick();
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'ok' })).body), ['a', 'c']);
});

test('incremental updates match a rebuild after many mutations', async (t) => {
  const capi = await setup(t);
  await capi.view('s', 'all', { stale: 'false' });
  for (let i = 0; i < 500; i++) {
    const id = `x${i % 97}`;
    if (i % 7 === 3) capi.source.delete(id);
    else capi.source.set(id, { n: (i * 31) % 50 });
  }
  const incremental = await capi.view('s', 'all', { stale: 'false' });
  capi.service.reset();
  const rebuilt = await capi.view('s', 'all', { stale: 'ok' });
  t.deepEqual(incremental.body, rebuilt.body);
  t.is(incremental.body.total_rows, capi.source.size);
});

test('expiry and deletion remove rows; reset() rebuilds from the documents', async (t) => {
  const capi = await setup(t);
  await capi.view('s', 'all');
  capi.source.delete('a'); // the store reports expiry the same way
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'false' })).body), ['b']);
  capi.source.set('z', { n: 9 });
  capi.service.reset();
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'ok' })).body), ['b', 'z']);
});

test('changing a design document drops its index', async (t) => {
  const capi = await setup(t);
  await capi.view('s', 'all');
  await capi.putDesign('s', { views: { all: { map: 'function (doc, meta) { emit(-doc.n, null); }' } } });
  t.deepEqual(idsOf((await capi.view('s', 'all', { stale: 'ok' })).body), ['b', 'a']);
});

test('design documents persist through DesignDocPersistence', (t) => {
  const saved: Record<string, unknown> = {};
  const persistence = {
    load: () => ({ ...saved }),
    save: (name: string, doc: unknown) => {
      if (doc === undefined) delete saved[name];
      else saved[name] = doc;
    },
  };
  const source = new MemoryViewSource();
  const first = createViewService(source, { persistence });
  first.putDesignDoc('dev_p', DDOC);
  first.putDesignDoc('p', DDOC);
  first.deleteDesignDoc('dev_p');
  first.close();
  t.deepEqual(Object.keys(saved), ['p']);
  const second = createViewService(source, { persistence });
  t.deepEqual(second.designDocs(), [{ name: 'p', doc: DDOC }]);
  t.deepEqual(second.getDesignDoc('_design/p'), DDOC);
  second.close();
});

test('the automatic updater applies pending changes once updateMinChanges pile up', async (t) => {
  const capi = await startCapi({ autoUpdateIntervalMs: 20 });
  t.teardown(() => capi.close());
  capi.source.set('a', { n: 1 });
  await capi.putDesign('auto', { ...DDOC, options: { updateMinChanges: 3 } });
  await capi.putDesign('manual', { ...DDOC, options: { updateMinChanges: 0 } });
  await capi.view('auto', 'all');
  await capi.view('manual', 'all');
  capi.source.set('b', { n: 2 });
  capi.source.set('c', { n: 3 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(idsOf((await capi.view('auto', 'all', { stale: 'ok' })).body), ['a'], 'below updateMinChanges');
  capi.source.set('d', { n: 4 });
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.deepEqual(idsOf((await capi.view('auto', 'all', { stale: 'ok' })).body), ['a', 'b', 'c', 'd']);
  t.deepEqual(idsOf((await capi.view('manual', 'all', { stale: 'ok' })).body), ['a'], 'updateMinChanges 0: never');
});

test('a slow build keeps the event loop turning; queries and mutations during it are consistent', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  for (let i = 0; i < 150; i++) capi.source.set(`s${String(i).padStart(3, '0')}`, { n: i });
  // About 4 ms per document: a 600 ms build.
  await capi.putDesign('slow', {
    views: { v: { map: 'function (doc, meta) { var end = Date.now() + 4; while (Date.now() < end) {} emit(doc.n, null); }' } },
  });
  let ticks = 0;
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    ticks++;
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
  }, 5);
  const first = capi.view('slow', 'v', { stale: 'ok' });
  const second = capi.view('slow', 'v', { stale: 'ok' });
  await new Promise((resolve) => setTimeout(resolve, 100));
  capi.source.set('s000', { n: 1000 }); // during the build
  capi.source.delete('s001');
  const [a, b] = await Promise.all([first, second]);
  clearInterval(timer);
  t.log(`timer ran ${ticks} times during the build, longest gap ${maxGap.toFixed(0)} ms`);
  t.true(ticks >= 5);
  t.true(maxGap < 400, `longest stall ${maxGap} ms (the build alone takes ~600 ms)`);
  t.is(a.body.total_rows, 150);
  t.deepEqual(a.body, b.body);
  const fresh = await capi.view('slow', 'v', { stale: 'false' });
  t.is(fresh.body.total_rows, 149);
  t.deepEqual(fresh.body.rows.at(-1), { id: 's000', key: 1000, value: null });
});
