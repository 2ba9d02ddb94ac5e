import test from 'ava';
import { formatSum } from '../../../emulator/views/reduce.js';
import { startCapi } from './_helpers.js';

test('_count, _sum and _stats output', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  const values = [3, 1.5, -2, 10, 0.25];
  values.forEach((v, i) => capi.source.set(`v${i}`, { v, g: i % 2 }));
  await capi.putDesign('r', {
    views: {
      count: { map: 'function (d) { emit(d.g, d.v); }', reduce: '_count' },
      sum: { map: 'function (d) { emit(d.g, d.v); }', reduce: '_sum' },
      stats: { map: 'function (d) { emit(d.g, d.v); }', reduce: '_stats' },
    },
  });
  t.deepEqual((await capi.view('r', 'count')).body.rows, [{ key: null, value: 5 }]);
  t.deepEqual((await capi.view('r', 'sum')).body.rows, [{ key: null, value: 12.75 }]);
  t.deepEqual((await capi.view('r', 'stats')).body.rows, [
    { key: null, value: { sum: 12.75, count: 5, min: -2, max: 10, sumsqr: 9 + 2.25 + 4 + 100 + 0.0625 } },
  ]);
  t.deepEqual((await capi.view('r', 'stats', { group: true })).body.rows, [
    { key: 0, value: { sum: 3 - 2 + 0.25, count: 3, min: -2, max: 3, sumsqr: 9 + 4 + 0.0625 } },
    { key: 1, value: { sum: 11.5, count: 2, min: 1.5, max: 10, sumsqr: 2.25 + 100 } },
  ]);
  const stats = (await capi.view('r', 'stats')).text;
  t.regex(stats, /"value":\{"sum":12\.75,"count":5,"min":-2,"max":10,"sumsqr":/); // member order as Couchbase
});

test('_sum follows couchstore formatting (%.15g)', (t) => {
  t.is(formatSum(0.1 + 0.2), '0.3');
  t.is(formatSum(66), '66');
  t.is(formatSum(1e21), '1e+21');
  t.is(formatSum(-0.000001234), '-1.234e-06');
});

test('_sum and _stats over non-numbers: error in the errors list, rows kept or stopped', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  capi.source.set('a', { g: 'a', v: 1 });
  capi.source.set('b', { g: 'b', v: 'two' });
  capi.source.set('c', { g: 'c', v: 3 });
  await capi.putDesign('r', { views: { sum: { map: 'function (d) { emit(d.g, d.v); }', reduce: '_sum' } } });
  const cont = await capi.view('r', 'sum', { group: true });
  t.is(cont.status, 200);
  t.deepEqual(cont.body.rows, [
    { key: 'a', value: 1 },
    { key: 'c', value: 3 },
  ]);
  t.deepEqual(cont.body.errors, [{ from: 'local', reason: 'Builtin _sum function requires map values to be numbers' }]);
  const stop = await capi.view('r', 'sum', { group: true, on_error: 'stop' });
  t.deepEqual(stop.body.rows, [{ key: 'a', value: 1 }]);
  t.is(stop.body.errors.length, 1);
});

test('custom reduce sees keys and values, then rereduce over partial results', async (t) => {
  const capi = await startCapi();
  t.teardown(() => capi.close());
  for (let i = 0; i < 300; i++) capi.source.set(`n${String(i).padStart(3, '0')}`, { n: i, even: i % 2 === 0 });
  await capi.putDesign('r', {
    views: {
      custom: {
        map: 'function (d) { emit([d.even, d.n], d.n); }',
        // Tracks how it was called: a count of reduce and rereduce calls travels with the result.
        reduce: `function (keys, values, rereduce) {
          if (rereduce) {
            var out = { total: 0, reduces: 0, rereduces: 1, keysNull: keys === null };
            for (var i = 0; i < values.length; i++) {
              out.total += values[i].total;
              out.reduces += values[i].reduces;
              out.rereduces += values[i].rereduces;
            }
            return out;
          }
          if (!Array.isArray(keys[0])) throw new Error('keys must be the emitted keys');
          return { total: sum(values), reduces: 1, rereduces: 0 };
        }`,
      },
    },
  });
  const all = await capi.view('r', 'custom');
  t.is(all.status, 200);
  const v = all.body.rows[0].value;
  t.is(v.total, (299 * 300) / 2);
  t.true(v.reduces > 1, 'ran over several chunks');
  t.true(v.rereduces >= 1, 'rereduced the chunks');
  t.true(v.keysNull);
  const grouped = await capi.view('r', 'custom', { group_level: 1 });
  t.deepEqual(
    grouped.body.rows.map((r: any) => [r.key, r.value.total]),
    [
      [[false], 150 * 150],
      [[true], 149 * 150],
    ],
  );
  const small = await capi.view('r', 'custom', { startkey: [true, 0], endkey: [true, 4] });
  t.deepEqual(small.body.rows, [{ key: null, value: { total: 0 + 2 + 4, reduces: 1, rereduces: 0 } }]);
});

test('a custom reduce that throws is an error row; one that loops is a timeout error', async (t) => {
  const capi = await startCapi({ functionTimeoutMs: 50 });
  t.teardown(() => capi.close());
  capi.source.set('a', { k: 1 });
  capi.source.set('b', { k: 2 });
  await capi.putDesign('r', {
    views: {
      throws: { map: 'function (d) { emit(d.k, 1); }', reduce: 'function (k, v, re) { if (k && k[0] === 2) throw new Error("nope"); return v.length; }' },
      loops: { map: 'function (d) { emit(d.k, 1); }', reduce: 'function (k, v, re) { while (true) {} }' },
    },
  });
  const thrown = await capi.view('r', 'throws', { group: true });
  t.is(thrown.status, 200);
  t.deepEqual(thrown.body.rows, [{ key: 1, value: 1 }]);
  t.regex(thrown.body.errors[0].reason, /nope/);
  const started = Date.now();
  const looped = await capi.view('r', 'loops');
  t.is(looped.status, 200);
  t.deepEqual(looped.body.rows, []);
  t.regex(looped.body.errors[0].reason, /timeout/);
  t.true(Date.now() - started < 2000);
});
