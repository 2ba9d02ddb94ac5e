import {
  CouchbaseError, KeyExistsError, MultiResult, NotFoundError, OperationResult, ValueResult, ArgumentError, FMT_BYTES,
} from '../../src/index.js';
import { freshKey, serverSuite } from '../helpers/harness.js';

for (const suite of [serverSuite('memcached'), serverSuite('emulator', { nodes: 2, replicas: 1 })]) {
  suite.test('the seed CRUD example flow', async (t, { cb }) => {
    const key = freshKey('demo_key');
    const set = await cb.set(key, 'demo_value');
    t.true(set instanceof OperationResult);
    t.regex(String(set), new RegExp(`^OperationResult<RC=0x0, Key=${key}, CAS=0x[0-9a-f]+>$`));
    const got = await cb.get(key);
    t.true(got instanceof ValueResult);
    t.is(got.value, 'demo_value');
    t.is(got.cas, set.cas);
    t.is(String(got), `ValueResult<RC=0x0, Key=${key}, Value='demo_value', CAS=0x${set.cas.toString(16)}, Flags=0x2000000>`);
    await t.throwsAsync(cb.add(key, 'another value'), { instanceOf: KeyExistsError });
    await cb.replace(key, 'new value');
    t.is((await cb.get(key)).value, 'new value');
    await cb.delete(key);
    await t.throwsAsync(cb.get(key), { instanceOf: NotFoundError });
    await cb.add(key, 'added_value');
    t.is((await cb.get(key)).value, 'added_value');
  });

  suite.test('set/add/replace/delete with CAS', async (t, { cb }) => {
    const k = freshKey();
    await t.throwsAsync(cb.replace(k, 1), { instanceOf: NotFoundError });
    const a = await cb.add(k, { n: 1 });
    const b = await cb.set(k, { n: 2 });
    t.not(a.cas, b.cas);
    await t.throwsAsync(cb.set(k, { n: 3 }, { cas: a.cas }), { instanceOf: KeyExistsError });
    await t.throwsAsync(cb.replace(k, { n: 3 }, { cas: a.cas }), { instanceOf: KeyExistsError });
    await cb.replace(k, { n: 3 }, { cas: b.cas });
    t.deepEqual((await cb.get(k)).value, { n: 3 });
    await t.throwsAsync(cb.delete(k, { cas: b.cas }), { instanceOf: KeyExistsError });
    await cb.delete(k);
    await t.throwsAsync(cb.delete(k), { instanceOf: NotFoundError });
    t.false((await cb.delete(k, { quiet: true })).success);
    const q = await cb.get(k, { quiet: true });
    t.false(q.success);
    t.is(CouchbaseError.rcToExctype(q.rc), NotFoundError);
  });

  suite.test('multi: set/get/add/delete in one batch each, allResults on failure', async (t, { cb }) => {
    const [a, b, c] = [freshKey(), freshKey(), freshKey()];
    const before = cb.batchStats.submits;
    const s = await cb.setMulti({ [a]: ['first sheep', 'second sheep'], [b]: { 'sherry lewis': 'Lamb Chop' } });
    t.true(s.allOk);
    t.is(cb.batchStats.submits - before >= 1, true);
    const g = await cb.getMulti([a, b, c], { quiet: true });
    t.true(g instanceof MultiResult);
    t.false(g.allOk);
    t.deepEqual(g.get(b)!.value, { 'sherry lewis': 'Lamb Chop' });
    const e = await t.throwsAsync(cb.addMulti({ [a]: 1, [c]: 2 }), { instanceOf: KeyExistsError });
    const all = e!.allResults as MultiResult;
    t.false(all.get(a)!.success);
    t.true(all.get(c)!.success);
    t.true((await cb.deleteMulti([a, b, c])).allOk);
    await t.throwsAsync(cb.getMulti([a, a]), { instanceOf: ArgumentError });
  });

  suite.test('a 10,000-key getMulti', async (t, { cb }) => {
    const keys = Array.from({ length: 10000 }, () => freshKey('bulk'));
    const kv = Object.fromEntries(keys.map((k, i) => [k, i]));
    t.true((await cb.setMulti(kv)).allOk);
    const r = await cb.getMulti(keys);
    t.true(r.allOk);
    t.is(r.get(keys[9999]!)!.value, 9999);
    t.true(cb.batchStats.maxOutstanding <= 512);
  });

  suite.test('values of every size and large values', async (t, { cb }) => {
    const k = freshKey();
    const big = 'x'.repeat(512 * 1024);
    await cb.set(k, big);
    t.is((await cb.get(k)).value, big);
    await cb.set(k, '');
    t.is((await cb.get(k)).value, '');
  });

  suite.test('byte values read one at a time stay intact after later reads (sizes around the 64 KiB scratch buffer)', async (t, { cb }) => {
    const sizes = [1, 150, 65535, 65536, 65537, 200_000];
    const keys = sizes.map(() => freshKey());
    const bytes = sizes.map((n, i) => Buffer.alloc(n, i + 1));
    for (let i = 0; i < sizes.length; i++) await cb.set(keys[i]!, bytes[i]!, { format: FMT_BYTES });
    // one get per loop iteration: each is a delivery of its own; every earlier Buffer must survive
    const got: Buffer[] = [];
    for (const k of keys) got.push((await cb.get(k)).value as Buffer);
    for (const k of [...keys].reverse()) await cb.get(k);
    for (let i = 0; i < sizes.length; i++) t.true(got[i]!.equals(bytes[i]!), `size ${sizes[i]}`);
  });
}
