import {
  DeltaBadvalError, FMT_BYTES, FMT_UTF8, NotFoundError, CouchbaseError,
} from '../../src/index.js';
import { freshKey, serverSuite } from '../helpers/harness.js';

for (const suite of [serverSuite('memcached'), serverSuite('emulator')]) {
  suite.test('counters: initial, amount, decr floor, non-numeric', async (t, { cb }) => {
    const k = freshKey('counter');
    await t.throwsAsync(cb.incr(k), { instanceOf: NotFoundError });
    t.is((await cb.incr(k, { initial: 10 })).value, 10);
    t.is((await cb.incr(k)).value, 11);
    t.is((await cb.incr(k, { amount: 9 })).value, 20);
    t.is((await cb.decr(k, { amount: 5 })).value, 15);
    t.is((await cb.decr(k, { amount: 100 })).value, 0);
    t.is((await cb.get(k)).value, 0);
    const m = await cb.incrMulti([freshKey(), freshKey()], { initial: 3 });
    t.true(m.allOk);
    const s = freshKey();
    await cb.set(s, 'not a number', { format: FMT_UTF8 });
    await t.throwsAsync(cb.incr(s), { instanceOf: DeltaBadvalError });
  });

  suite.test('append/prepend on UTF8 and BYTES values', async (t, { cb }) => {
    const k = freshKey('greeting');
    await cb.set(k, 'Hello', { format: FMT_UTF8 });
    await cb.append(k, ' World!');
    t.is((await cb.get(k)).value, 'Hello World!');
    await cb.prepend(k, 'Why, ');
    t.is((await cb.get(k)).value, 'Why, Hello World!');
    const b = freshKey();
    await cb.set(b, Buffer.from([1, 2]), { format: FMT_BYTES });
    await cb.append(b, Buffer.from([3]), { format: FMT_BYTES });
    t.deepEqual((await cb.get(b)).value, Buffer.from([1, 2, 3]));
    const e = await t.throwsAsync<CouchbaseError>(cb.append(freshKey(), 'x'));
    t.true(e instanceof CouchbaseError);
  });

  suite.test('touch and get-and-touch', async (t, { cb }) => {
    const k = freshKey();
    await cb.set(k, 1, { ttl: 100 });
    t.true((await cb.touch(k, { ttl: 200 })).success);
    t.is((await cb.get(k, { ttl: 300 })).value, 1);
    await t.throwsAsync(cb.touch(freshKey(), { ttl: 1 }), { instanceOf: NotFoundError });
    t.true((await cb.touchMulti([k], { ttl: 0 })).allOk);
  });

  suite.test('expiry with the emulator clock', async (t, { cb, server }) => {
    const k = freshKey();
    await cb.set(k, 1, { ttl: 10 });
    await server.advanceClock!(11);
    await t.throwsAsync(cb.get(k), { instanceOf: NotFoundError });
  }, 'expiry-clock');

  suite.test('stats', async (t, { cb }) => {
    const st = await cb.stats();
    t.true(Object.keys(st).length > 0);
    const first = Object.values(st)[0]!;
    t.true(Object.keys(first).length >= 1);
  }, 'stats');
}
