import test from 'ava';
import { ArgumentError, Couchbase, CouchbaseError, Transcoder, ValueFormatError, FMT_JSON } from '../../src/index.js';
import { fakeConnect, freshKey } from './helpers.js';

test('throwing getters, Proxies and odd objects become ArgumentErrors, nothing is sent', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const evil = new Proxy({}, { ownKeys() { throw new Error('boom'); } });
  await t.throwsAsync(cb.get(freshKey(), evil as object), { instanceOf: ArgumentError });
  const getter = Object.defineProperty({}, 'ttl', { enumerable: true, get() { throw new Error('nope'); } });
  await t.throwsAsync(cb.set(freshKey(), 1, getter as object), { instanceOf: ArgumentError });
  const iter = { *[Symbol.iterator]() { yield 'a'; throw new Error('iteration failed'); } };
  const e = await t.throwsAsync(cb.getMulti(iter), { instanceOf: ArgumentError });
  t.true(e!.innerCause instanceof Error);
  await t.throwsAsync(cb.getMulti([1, 2] as unknown as string[]), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.getMulti(null as unknown as string[]), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.setMulti(42 as unknown as Record<string, unknown>), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.get(Symbol('k') as unknown as string), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.get(new String('k') as unknown as string), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.set(freshKey(), 1, { ttl: 10n ** 20n as unknown as number }), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.set(freshKey(), 1, { cas: -1n }), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.set(freshKey(), 1, { cas: 2n ** 64n }), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.set(freshKey(), 1, { format: 1.5 }), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.set(freshKey(), 1, { format: 0x12345 }), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.stats(5 as unknown as string), { instanceOf: ArgumentError });
  t.is(cluster.submits.length, 0);
  await cb.close();
});

test('a transcoder that throws or returns garbage gives typed errors', async (t) => {
  class Bad extends Transcoder {
    override encodeValue(value: unknown, format: number): [Buffer, number] {
      if (value === 'throw') throw new Error('encoder exploded');
      if (value === 'garbage') return ['not bytes', 1] as unknown as [Buffer, number];
      return super.encodeValue(value, format);
    }
    override decodeValue(): unknown {
      throw new RangeError('decoder exploded');
    }
    override encodeKey(key: string): Buffer {
      if (key === 'badkey') throw new Error('key encoder exploded');
      if (key === 'longkey') return Buffer.alloc(300);
      return super.encodeKey(key);
    }
  }
  const { cb, cluster } = await fakeConnect({ transcoder: Bad });
  const e1 = await t.throwsAsync(cb.set(freshKey(), 'throw'), { instanceOf: ValueFormatError });
  t.regex(e1!.message, /encoder exploded/);
  await t.throwsAsync(cb.set(freshKey(), 'garbage'), { instanceOf: ValueFormatError });
  await t.throwsAsync(cb.set('badkey', 1), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.set('longkey', 1), { instanceOf: ArgumentError, message: /300 bytes/ });
  t.is(cluster.submits.length, 0);
  const k = freshKey();
  await cb.set(k, { a: 1 }, { format: FMT_JSON });
  const e2 = await t.throwsAsync(cb.get(k));
  t.true(e2 instanceof CouchbaseError);
  t.true(e2 instanceof ValueFormatError);
  t.true((e2 as CouchbaseError).innerCause instanceof RangeError);
  await cb.close();
});

test('bad transcoder options', async (t) => {
  await t.throwsAsync(fakeConnect({ transcoder: 5 as never }), { instanceOf: ArgumentError });
  await t.throwsAsync(fakeConnect({ transcoder: {} as never }), { instanceOf: ArgumentError });
  class Throws extends Transcoder { constructor() { super(); throw new Error('ctor'); } }
  await t.throwsAsync(fakeConnect({ transcoder: Throws }), { instanceOf: ArgumentError });
});

test('connect with a throwing options object is a typed error', async (t) => {
  const evil = new Proxy({}, { ownKeys() { throw new Error('boom'); } });
  await t.throwsAsync(Couchbase.connect(evil as object), { instanceOf: CouchbaseError });
});
