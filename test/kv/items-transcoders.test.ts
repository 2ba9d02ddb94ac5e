import {
  FMT_AUTO, FMT_BYTES, FMT_JSON, FMT_UTF8, FMT_V8, Item, ItemOptionDict, ItemSequence, ValueFormatError,
} from '../../src/index.js';
import { freshKey, serverSuite } from '../helpers/harness.js';
import { FMT_ZLIB, ZlibTranscoder } from '../../examples/transcoders.js';


for (const suite of [serverSuite('memcached'), serverSuite('emulator')]) {
  suite.test('the seed Item API example', async (t, { cb }) => {
    class MyItem extends Item {}
    const itm = new MyItem();
    itm.key = freshKey('simple_key');
    itm.value = 'Hello World';
    await cb.setMulti(new ItemSequence([itm]), { format: FMT_UTF8 });
    t.true(itm.success);
    const coll = new ItemOptionDict();
    coll.add(itm, { fragment: ' ..again' });
    await cb.appendItems(coll, { format: FMT_UTF8 });
    t.is(itm.value, 'Hello World ..again');
    t.is((await cb.get(itm.key)).value, 'Hello World ..again');
    const fresh = new Item(itm.key);
    await cb.getMulti(new ItemSequence([fresh]));
    t.is(fresh.value, 'Hello World ..again');
  });

  suite.test('every format round trips through the server', async (t, { cb }) => {
    const k = freshKey();
    const cases: Array<[unknown, number]> = [
      [{ unicode: 'שלום!', list: ['with', 'some'], f: 3.14, n: null }, FMT_JSON],
      ['\u03EE', FMT_UTF8],
      [Buffer.from([1, 2, 3, 4]), FMT_BYTES],
      [new Map<string, unknown>([['set', new Set([1, 2, 3])], ['big', 2n ** 70n], ['d', new Date(0)]]), FMT_V8],
    ];
    for (const [value, format] of cases) {
      await cb.set(k, value, { format });
      const r = await cb.get(k);
      t.deepEqual(r.value, value);
      t.is(r.flags, format >>> 0);
    }
    await cb.set(k, 'auto', { format: FMT_AUTO });
    t.is((await cb.get(k)).flags, FMT_UTF8);
    t.is(String(await cb.get(k)).includes("Value='auto'"), true);
    await cb.set(k, { 'key for': 'a dictionary' });
    await cb.prepend(k, 'blah blah blah');
    await t.throwsAsync(cb.get(k), { instanceOf: ValueFormatError });
    t.deepEqual((await cb.get(k, { noFormat: true })).value, Buffer.from('blah blah blah{"key for":"a dictionary"}'));
  });

  suite.test('the seed zlib transcoder against the server', async (t, { server }) => {
    const cb = await server.connect({ transcoder: ZlibTranscoder });
    try {
      const k = freshKey();
      const long = 'long value'.repeat(1000);
      await cb.set(k, long, { format: FMT_UTF8 | FMT_ZLIB });
      const raw = await cb.get(k, { noFormat: true });
      t.true((raw.value as Buffer).length < 500);
      t.is((await cb.get(k)).value, long);
    } finally {
      await cb.close();
    }
  });
}
