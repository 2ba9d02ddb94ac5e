import test from 'ava';
import { startCapi } from './_helpers.js';

test('meta carries id, rev, type, flags and expiration; non-JSON documents arrive base64', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  const json = capi.source.set('j', { a: 1 }, { flags: 0x02000006, expiration: 1700000000 });
  capi.source.setRaw('bin', Buffer.from([0xff, 0x00, 0x41]), { flags: 0x03000000 });
  capi.source.setRaw('text', 'hello world');
  capi.source.setRaw('num', '42');
  await capi.putDesign('m', {
    views: {
      meta: { map: 'function (doc, meta) { emit(meta.id, [meta, doc]); }' },
      decoded: { map: 'function (doc, meta) { if (meta.type === "base64") emit(meta.id, decodeBase64(doc)); }' },
    },
  });
  const res = await capi.view('m', 'meta');
  const byId = Object.fromEntries(res.body.rows.map((r: any) => [r.id, r.value]));
  const rev = `${json.revSeqno}-${json.cas.toString(16).padStart(16, '0')}${(1700000000).toString(16).padStart(8, '0')}02000006`;
  t.deepEqual(byId.j, [{ id: 'j', rev, expiration: 1700000000, flags: 0x02000006, type: 'json', xattrs: {} }, { a: 1 }]);
  t.is(byId.bin[0].type, 'base64');
  t.is(byId.bin[0].flags, 0x03000000);
  t.is(byId.bin[1], Buffer.from([0xff, 0x00, 0x41]).toString('base64'));
  t.is(byId.text[0].type, 'base64');
  t.is(byId.text[1], Buffer.from('hello world').toString('base64'));
  t.deepEqual(byId.num, [{ id: 'num', rev: byId.num[0].rev, expiration: 0, flags: 0x02000006, type: 'json', xattrs: {} }, 42]);
  const decoded = await capi.view('m', 'decoded');
  t.deepEqual(
    decoded.body.rows.map((r: any) => [r.id, r.value]),
    [
      ['bin', [255, 0, 65]],
      ['text', [...Buffer.from('hello world')]],
    ],
  );
});

test('helpers: sum, dateToArray; emit with undefined key or value gives null', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  capi.source.set('d', { when: '2012-11-08T13:14:15Z', xs: [1, 2, 3.5] });
  await capi.putDesign('h', {
    views: {
      v: { map: 'function (doc) { emit(dateToArray(doc.when), sum(doc.xs)); emit(undefined, undefined); emit(dateToArray("nope")); }' },
    },
  });
  const res = await capi.view('h', 'v');
  t.deepEqual(res.body.rows, [
    { id: 'd', key: null, value: null },
    { id: 'd', key: null, value: null },
    { id: 'd', key: [2012, 11, 8, 13, 14, 15], value: 6.5 },
  ]);
});

test('a map function that throws skips that document and keeps going', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  for (let i = 0; i < 10; i++) capi.source.set(`d${i}`, { i });
  await capi.putDesign('x', {
    views: {
      v: { map: 'function (doc) { if (doc.i % 3 === 0) throw new Error("bad " + doc.i); emit(doc.i, null); }' },
      w: { map: 'function (doc) { emit(doc.i, null); }' },
    },
  });
  const res = await capi.view('x', 'v', { debug: true });
  t.deepEqual(res.body.rows.map((r: any) => r.key), [1, 2, 4, 5, 7, 8]);
  t.is(res.body.errors, undefined);
  const logged = res.body.debug_info.local.map_errors;
  t.is(logged.length, 4);
  t.like(logged[0], { view: 'v' });
  t.regex(logged[0].reason, /^Error: bad \d/);
  t.is((await capi.view('x', 'w')).body.rows.length, 10, 'other views of the design doc see every document');
});

test('too long keys and too much data emitted are per-document errors', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  capi.source.set('small', { size: 10 });
  capi.source.set('longkey', { size: 5000 });
  capi.source.set('huge', { size: 0, many: true });
  await capi.putDesign('big', {
    views: {
      v: {
        map: `function (doc, meta) {
          if (doc.many) { var s = new Array(100001).join('x'); for (var i = 0; i < 20; i++) emit(i, s); return; }
          emit(new Array(doc.size + 1).join('k'), null);
        }`,
      },
    },
  });
  const res = await capi.view('big', 'v', { debug: true });
  t.deepEqual(res.body.rows.map((r: any) => r.id), ['small']);
  const reasons = res.body.debug_info.local.map_errors.map((e: any) => `${e.id}: ${e.reason}`);
  t.true(reasons.some((r: string) => /^longkey: too long key emitted: 500\d bytes/.test(r)), reasons.join('\n'));
  t.true(reasons.some((r: string) => /^huge: too much data emitted: \d+ bytes/.test(r)), reasons.join('\n'));
});

test('an endless map function fails its view with a timeout, not the emulator', async (t) => {
  const capi = await startCapi({ functionTimeoutMs: 50 });
  t.teardown(() => capi.close());
  for (let i = 0; i < 200; i++) capi.source.set(`d${String(i).padStart(3, '0')}`, { i });
  await capi.putDesign('loop', { views: { v: { map: 'function (doc) { if (doc.i === 150) while (true) {} emit(doc.i, null); }' } } });
  await capi.putDesign('fine', { views: { v: { map: 'function (doc) { emit(doc.i, null); }' } } });
  const started = Date.now();
  const res = await capi.view('loop', 'v');
  t.true(Date.now() - started < 3000);
  t.is(res.status, 200);
  t.deepEqual(res.body.rows, []);
  t.regex(res.body.errors[0].reason, /timeout.*`v`.*`_design\/loop`.*`d150`/);
  t.is((await capi.view('fine', 'v')).body.total_rows, 200, 'other design documents are unaffected');
  // Fixing the design document recovers.
  await capi.putDesign('loop', { views: { v: { map: 'function (doc) { emit(doc.i, null); }' } } });
  t.is((await capi.view('loop', 'v')).body.total_rows, 200);
});

test('hostile functions: no microtasks, throwing proxies, tampered globals', async (t) => {
  const capi = await startCapi({ functionTimeoutMs: 50 });
  t.teardown(() => capi.close());
  capi.source.set('a', { a: 1 });
  capi.source.set('b', { b: 1 });
  await capi.putDesign('h', {
    views: {
      micro: { map: 'function (doc) { Promise.resolve().then(function () { while (true) {} }); emit(1, 1); }' },
    },
  });
  await capi.putDesign('p', {
    views: { proxy: { map: 'function (doc) { throw new Proxy({}, { get: function () { while (true) {} } }); }' } },
  });
  await capi.putDesign('g', {
    views: {
      tamper: {
        map: 'function (doc, meta) { JSON.parse = null; JSON.stringify = function () { return "oops"; }; Date.now = function () { return 0; }; emit(meta.id, 1); }',
      },
    },
  });
  const micro = await capi.view('h', 'micro');
  t.is(micro.status, 200);
  t.deepEqual(micro.body.rows, [], 'Promise is not there: the function fails for each document');
  const proxy = await capi.view('p', 'proxy');
  t.is(proxy.status, 200);
  t.deepEqual(proxy.body.rows, []);
  const tamper = await capi.view('g', 'tamper');
  t.deepEqual(tamper.body.rows.map((r: any) => [r.id, r.key]), [
    ['a', 'a'],
    ['b', 'b'],
  ]);
});

test('a function source that loops or is not a function fails the PUT', async (t) => {
  const capi = await startCapi({ functionTimeoutMs: 50 });
  t.teardown(() => capi.close());
  const loop = await capi.putDesign('c', { views: { v: { map: '(function () { while (true) {} })()' } } });
  t.is(loop.status, 400);
  t.is(loop.body.error, 'invalid_design_document');
  const notFn = await capi.putDesign('c', { views: { v: { map: '42' } } });
  t.deepEqual(notFn.body, {
    error: 'invalid_design_document',
    reason: "Syntax error in the map function of the view `v': Invalid function: 42",
  });
});

test('an index that outgrows maxIndexBytes fails with an error instead of exhausting memory', async (t) => {
  const capi = await startCapi({ maxIndexBytes: 200_000 });
  t.teardown(() => capi.close());
  for (let i = 0; i < 50; i++) capi.source.set(`d${i}`, { i });
  await capi.putDesign('big', { views: { v: { map: 'function (doc) { emit(doc.i, new Array(10001).join("v")); }' } } });
  await capi.putDesign('small', { views: { v: { map: 'function (doc) { emit(doc.i, null); }' } } });
  const res = await capi.view('big', 'v');
  t.is(res.status, 200);
  t.deepEqual(res.body.rows, []);
  t.regex(res.body.errors[0].reason, /index too large/);
  t.is((await capi.view('small', 'v')).body.total_rows, 50);
  // Growth through updates is caught too.
  for (let i = 0; i < 300; i++) capi.source.set(`e${i}`, { i });
  await capi.putDesign('grow', { views: { v: { map: 'function (doc) { emit(doc.i, doc.pad || null); }' } } });
  t.is((await capi.view('grow', 'v')).body.total_rows, 350);
  for (let i = 0; i < 50; i++) capi.source.set(`d${i}`, { i, pad: 'p'.repeat(10000) });
  const grown = await capi.view('grow', 'v', { stale: 'false' });
  t.regex(grown.body.errors[0].reason, /index too large/);
});

test('many small emits per document are bounded by maxIndexBytes while mapping', async (t) => {
  const capi = await startCapi({ maxIndexBytes: 2_000_000 });
  t.teardown(() => capi.close());
  for (let i = 0; i < 2000; i++) capi.source.set(`m${i}`, { i });
  // ~30k rows per document (under the 1 MiB per-document limit): 60M rows if unbounded.
  await capi.putDesign('many', { views: { v: { map: 'function (doc) { for (var j = 0; j < 30000; j++) emit(j, 1); }' } } });
  const before = process.memoryUsage().heapUsed;
  const res = await capi.view('many', 'v');
  t.regex(res.body.errors[0].reason, /index too large/);
  t.true(process.memoryUsage().heapUsed - before < 500e6);
});
