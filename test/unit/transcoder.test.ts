import test from 'ava';
import {
  FMT_AUTO, FMT_BYTES, FMT_JSON, FMT_MASK, FMT_UTF8, FMT_V8, Transcoder, ValueFormatError, setJsonConverters, setV8Converters,
} from '../../src/index.js';
import { fakeConnect, freshKey } from './helpers.js';
import { FMT_ZLIB, ZlibTranscoder } from '../../examples/transcoders.js';

const tc = new Transcoder();

test('round trips per format', (t) => {
  const json = { a: [1, 'two', null], u: 'שלום!', f: 3.14 };
  t.deepEqual(tc.decodeValue(...tc.encodeValue(json, FMT_JSON)), json);
  t.is(tc.decodeValue(...tc.encodeValue('\u03EE', FMT_UTF8)), '\u03EE');
  t.deepEqual(tc.decodeValue(...tc.encodeValue(Buffer.from([1, 2, 3, 4]), FMT_BYTES)), Buffer.from([1, 2, 3, 4]));
  t.deepEqual(tc.decodeValue(...tc.encodeValue(new Uint8Array([9]), FMT_BYTES)), Buffer.from([9]));
  const v8 = { m: new Map([[1, new Set([2n])]]), d: new Date(0), ta: new Float64Array([1.5]) } as Record<string, unknown>;
  v8.self = v8;
  const back = tc.decodeValue(...tc.encodeValue(v8, FMT_V8)) as typeof v8;
  t.true(back.m instanceof Map);
  t.is(back.self, back);
  t.deepEqual((back.d as Date).getTime(), 0);
});

test('flags follow common flags with legacy bits', (t) => {
  t.is(tc.encodeValue({}, FMT_JSON)[1], 0x02000000);
  t.is(tc.encodeValue('s', FMT_UTF8)[1], 0x04000004);
  t.is(tc.encodeValue(Buffer.alloc(1), FMT_BYTES)[1], 0x03000002);
  t.is(tc.encodeValue(new Map(), FMT_V8)[1], 0x01000001);
  t.is(FMT_MASK >>> 0, 0xff000007);
});

test('legacy Python-SDK and other-SDK flags are readable', (t) => {
  t.deepEqual(tc.decodeValue(Buffer.from('{"a":1}'), 0), { a: 1 }); // Python 1.x FMT_JSON
  t.is(tc.decodeValue(Buffer.from('hi'), 4), 'hi'); // Python 1.x FMT_UTF8
  t.deepEqual(tc.decodeValue(Buffer.from('hi'), 2), Buffer.from('hi')); // Python 1.x FMT_BYTES
  t.is(tc.decodeValue(Buffer.from('hi'), 0x04000000), 'hi'); // common string (Java/.NET/Go)
  t.deepEqual(tc.decodeValue(Buffer.from('[1]'), 0x02000000), [1]);
  t.deepEqual(tc.decodeValue(Buffer.from('xy'), 0x03000000), Buffer.from('xy'));
  t.is(tc.decodeValue(Buffer.from('42'), 0), 42); // a counter
  const e = t.throws(() => tc.decodeValue(Buffer.from([0x80, 0x02, 0x4e, 0x2e]), 1), { instanceOf: ValueFormatError });
  t.regex(e!.message, /pickle/);
});

test('decode failures carry the bytes and the cause', (t) => {
  const e = t.throws(() => tc.decodeValue(Buffer.from('blah blah blah{"key for": "a dictionary"}'), FMT_JSON), { instanceOf: ValueFormatError });
  t.true(Buffer.isBuffer(e!.objextra));
  t.true(e!.innerCause instanceof SyntaxError);
});

test('FMT_AUTO guesses from the JS type', (t) => {
  t.is(tc.encodeValue('s', FMT_AUTO)[1], FMT_UTF8);
  t.is(tc.encodeValue(Buffer.alloc(1), FMT_AUTO)[1], FMT_BYTES);
  t.is(tc.encodeValue({ a: 1 }, FMT_AUTO)[1], FMT_JSON);
  t.is(tc.encodeValue([1], FMT_AUTO)[1], FMT_JSON);
  t.is(tc.encodeValue(3, FMT_AUTO)[1], FMT_JSON);
  t.is(tc.encodeValue(null, FMT_AUTO)[1], FMT_JSON);
  t.is(tc.encodeValue(new Set([1]), FMT_AUTO)[1], FMT_V8);
  t.is(tc.encodeValue(5n, FMT_AUTO)[1], FMT_V8);
});


test('the seed zlib transcoder works, as a class and as an instance', async (t) => {
  t.is(FMT_ZLIB, 8);
  for (const transcoder of [ZlibTranscoder, new ZlibTranscoder()]) {
    const { cb, cluster } = await fakeConnect({ transcoder });
    const k = freshKey();
    const long = Buffer.from('long value'.repeat(1000));
    await cb.set(k, long, { format: FMT_BYTES | FMT_ZLIB });
    const stored = cluster.buckets.get('default')!.get(k)!;
    t.true(stored.value.length < 200);
    t.is(stored.flags, (FMT_BYTES | FMT_ZLIB) >>> 0);
    const r = await cb.get(k);
    t.deepEqual(r.value, long);
    t.is(r.flags, (FMT_BYTES | FMT_ZLIB) >>> 0);
    await cb.set(k, { a: 'x'.repeat(500) }, { format: FMT_JSON | FMT_ZLIB });
    t.deepEqual((await cb.get(k)).value, { a: 'x'.repeat(500) });
    t.true(cb.transcoder instanceof ZlibTranscoder);
    await cb.close();
  }
});

test('noFormat and dataPassthrough return raw bytes', async (t) => {
  const { cb } = await fakeConnect();
  const k = freshKey();
  await cb.set(k, { foo: 'bar' });
  t.deepEqual((await cb.get(k, { noFormat: true })).value, Buffer.from('{"foo":"bar"}'));
  cb.dataPassthrough = true;
  t.deepEqual((await cb.get(k)).value, Buffer.from('{"foo":"bar"}'));
  await cb.close();
});

test('defaultFormat at connect and afterwards', async (t) => {
  const { cb, cluster } = await fakeConnect({ defaultFormat: FMT_UTF8 });
  const k = freshKey();
  await cb.set(k, 'plain');
  t.is(cluster.buckets.get('default')!.get(k)!.value.toString(), 'plain');
  await t.throwsAsync(cb.set(k, { a: 1 }), { instanceOf: ValueFormatError });
  cb.defaultFormat = FMT_V8;
  await cb.set(k, new Set([1, 2]));
  t.deepEqual((await cb.get(k)).value, new Set([1, 2]));
  await cb.close();
});

test('setJsonConverters / setV8Converters swap the process-wide converters', async (t) => {
  const { cb } = await fakeConnect();
  const k = freshKey();
  const prev = setJsonConverters((v) => JSON.stringify(v), (s) => JSON.parse(s, (_k, v) => (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v) ? new Date(v) : v)));
  try {
    await cb.set(k, { when: new Date(0) });
    t.true(((await cb.get(k)).value as { when: Date }).when instanceof Date);
  } finally {
    setJsonConverters(...prev);
  }
  t.is(typeof ((await cb.get(k)).value as { when: unknown }).when, 'string');
  let used = 0;
  const prevV8 = setV8Converters((v) => { used++; return prevV8[0](v); }, (b) => { used++; return prevV8[1](b); });
  try {
    await cb.set(k, new Map([[1, 2]]), { format: FMT_V8 });
    t.deepEqual((await cb.get(k)).value, new Map([[1, 2]]));
    t.is(used, 2);
  } finally {
    setV8Converters(...prevV8);
  }
  t.throws(() => setJsonConverters(1 as never, 2 as never), { instanceOf: TypeError });
  await cb.close();
});

test('undecodable stored values raise ValueFormatError with key and bytes', async (t) => {
  const { cb } = await fakeConnect();
  const k = freshKey();
  await cb.set(k, { 'key for': 'a dictionary' });
  await cb.prepend(k, 'blah blah blah');
  const e = await t.throwsAsync(cb.get(k), { instanceOf: ValueFormatError });
  t.is(e!.key, k);
  t.is(String(e!.objextra), 'blah blah blah{"key for":"a dictionary"}');
  await cb.close();
});
