/**
 * Misuse from JS throws TypeError and never reaches libcouchbase unchecked; lcb-level
 * failures come back as rc values. Nothing here may crash the process.
 */
import test from 'ava';

import { batchColumnOffsets, NativeOp, type NativeBatch } from '../../src/binding.js';
import { startMemcached, type Memcached } from '../helpers/memcached.js';
import { makeBatch, native, packColumns, RC, TestConnection } from './_support.js';

let mc: Memcached;
let c: TestConnection;

test.before(async () => {
  mc = await startMemcached();
  c = new TestConnection(mc.connectionString);
  const { rc } = await c.connect();
  if (rc !== 0) throw new Error(`connect ${rc}`);
});

test.after.always(async () => {
  await c?.close();
  await mc?.stop();
});

const opts = { connstr: 'memcached://127.0.0.1:1', operationTimeoutUs: 1000, configTimeoutUs: 1000 };
const noop = () => {};

test('Connection constructor checks its arguments', (t) => {
  const Ctor = native.Connection as unknown as (...args: unknown[]) => unknown;
  t.throws(() => Ctor(opts, noop), { instanceOf: TypeError });
  const bad: unknown[][] = [
    [],
    [opts],
    [opts, 'not a function'],
    [null, noop],
    [{ ...opts, connstr: 42 }, noop],
    [{ ...opts, connstr: undefined }, noop],
    [{ ...opts, connstr: 'memcached://a\0b' }, noop],
    [{ ...opts, username: {} }, noop],
    [{ ...opts, operationTimeoutUs: -1 }, noop],
    [{ ...opts, operationTimeoutUs: Number.NaN }, noop],
    [{ ...opts, operationTimeoutUs: '5' }, noop],
    [{ ...opts, configTimeoutUs: undefined }, noop],
  ];
  for (const args of bad) {
    t.throws(() => new (native.Connection as unknown as new (...a: unknown[]) => unknown)(...args), { instanceOf: TypeError }, JSON.stringify(args));
  }
});

test('a bad connection string is a connect rc', async (t) => {
  const bad = new TestConnection('nonsense://');
  const { rc, detail } = await bad.connect();
  t.is(rc, RC.INVALID_ARGUMENT);
  t.true(detail.length > 0);
  t.deepEqual(await bad.run([{ op: NativeOp.Get, key: 'k' }]), [{ submitRc: RC.INVALID_ARGUMENT }]);
  await bad.close();
});

test('submit before connect and after close gives rcs', async (t) => {
  const early = new TestConnection(mc.connectionString);
  t.deepEqual(await early.run([{ op: NativeOp.Get, key: 'k' }]), [{ submitRc: RC.NO_CONFIGURATION }]);
  await early.close();
  t.deepEqual(await early.run([{ op: NativeOp.Get, key: 'k' }]), [{ submitRc: RC.REQUEST_CANCELED }]);
  // closing twice is fine and still calls back
  await early.close();
  t.pass();
});

test('connect and close check their callback; connect only once', async (t) => {
  const conn = new TestConnection(mc.connectionString);
  t.throws(() => conn.conn.connect(undefined as never), { instanceOf: TypeError });
  await conn.connect();
  t.throws(() => conn.conn.connect(noop), { instanceOf: TypeError });
  t.throws(() => conn.conn.close('x' as never), { instanceOf: TypeError });
  t.throws(() => conn.conn.setOperationTimeout('1' as never), { instanceOf: TypeError });
  t.throws(() => conn.conn.setOperationTimeout(-5), { instanceOf: TypeError });
  conn.conn.setOperationTimeout(1e12); // clamped, not an error
  await conn.close();
});

test('strerror checks its argument', (t) => {
  t.throws(() => native.strerror('201' as never), { instanceOf: TypeError });
  t.throws(() => native.strerror(1.5), { instanceOf: TypeError });
  t.throws(() => native.strerror(2 ** 40), { instanceOf: TypeError });
});

function good(): NativeBatch {
  return makeBatch([
    { op: NativeOp.Set, key: 'a', value: '1' },
    { op: NativeOp.Get, key: 'bb' },
  ], 900_000);
}

test('submit rejects malformed batches with TypeError and schedules nothing', (t) => {
  const cases: Array<[string, (b: NativeBatch) => unknown]> = [
    ['not an object', () => 42],
    ['null', () => null],
    ['count missing', (b) => ({ ...b, count: undefined })],
    ['count fractional', (b) => ({ ...b, count: 1.5 })],
    ['count negative', (b) => ({ ...b, count: -1 })],
    ['count larger than arrays', (b) => ({ ...b, count: 3 })],
    ['count huge', (b) => ({ ...b, count: 2 ** 40 })],
    ['seq wrong type', (b) => ({ ...b, seq: new Int32Array(2) })],
    ['seq a plain array', (b) => ({ ...b, seq: [1, 2] })],
    ['op wrong type', (b) => ({ ...b, op: new Uint16Array([1, 1]) })],
    ['unknown op', (b) => ({ ...b, op: new Uint8Array([1, 99]) })],
    ['keys not bytes', (b) => ({ ...b, keys: 'abb' })],
    ['keyEnd decreasing', (b) => ({ ...b, keyEnd: new Uint32Array([2, 1]) })],
    ['keyEnd beyond keys', (b) => ({ ...b, keyEnd: new Uint32Array([1, 100]) })],
    ['valueEnd beyond values', (b) => ({ ...b, valueEnd: new Uint32Array([1, 2]) })],
    ['cas not BigUint64Array', (b) => ({ ...b, cas: new Float64Array(2) })],
    ['delta missing', (b) => ({ ...b, delta: undefined })],
    ['aux wrong type', (b) => ({ ...b, aux: new Uint32Array(2) })],
    ['getter throws', (b) => Object.defineProperty({ ...b }, 'flags', { get() { throw new Error('boom'); } })],
  ];
  for (const [name, mutate] of cases) {
    const error = t.throws(() => c.conn.submit(mutate(good()) as NativeBatch), undefined, name);
    if (name === 'getter throws') t.is(error?.message, 'boom');
    else t.true(error instanceof TypeError, name);
  }
  t.throws(() => (c.conn.submit as (...a: unknown[]) => unknown)(), { instanceOf: TypeError });
  // nothing was scheduled: no response for the 900000 seqs ever arrives
  t.false(c.deliveries.some((d) => Array.from(d.seq).some((s) => s >= 900_000)));
});

/** `good()` in submitColumns' form: the fixed-width columns in one ArrayBuffer (binding.ts layout). */
function packed(capacity = 2) {
  const b = good();
  return { buffer: packColumns(b, capacity), at: batchColumnOffsets(capacity), keys: b.keys, values: b.values };
}

test('submitColumns rejects malformed columns with TypeError and schedules nothing', (t) => {
  const submitColumns = c.conn.submitColumns!.bind(c.conn) as (...a: unknown[]) => void;
  const rcs = new Int32Array(4);
  const cases: Array<[string, () => unknown[]]> = [
    ['columns not an ArrayBuffer', () => { const p = packed(); return [rcs, 2, new Uint8Array(p.buffer), 2, p.keys, p.values]; }],
    ['columns too small for the capacity', () => { const p = packed(); return [rcs, 2, p.buffer, 3, p.keys, p.values]; }],
    ['count above capacity', () => { const p = packed(); return [rcs, 3, p.buffer, 2, p.keys, p.values]; }],
    ['count fractional', () => { const p = packed(); return [rcs, 1.5, p.buffer, 2, p.keys, p.values]; }],
    ['rcs too short', () => { const p = packed(); return [new Int32Array(1), 2, p.buffer, 2, p.keys, p.values]; }],
    ['rcs wrong type', () => { const p = packed(); return [new Uint32Array(2), 2, p.buffer, 2, p.keys, p.values]; }],
    ['keys not bytes', () => { const p = packed(); return [rcs, 2, p.buffer, 2, 'abb', p.values]; }],
    ['keyEnd beyond keys', () => { const p = packed(); new Uint32Array(p.buffer, p.at.keyEnd, 2)[1] = 100; return [rcs, 2, p.buffer, 2, p.keys, p.values]; }],
    ['unknown op', () => { const p = packed(); new Uint8Array(p.buffer, p.at.op, 2)[1] = 99; return [rcs, 2, p.buffer, 2, p.keys, p.values]; }],
    ['no arguments', () => []],
  ];
  for (const [name, args] of cases) {
    t.throws(() => submitColumns(...args()), { instanceOf: TypeError }, name);
  }
  t.false(c.deliveries.some((d) => Array.from(d.seq).some((s) => s >= 900_000)));
});

test('submitColumns schedules a well-formed batch (capacity above count) like submit', async (t) => {
  const [set, get, missing] = await c.runPacked([
    { op: NativeOp.Set, key: 'packed', value: 'v1' },
    { op: NativeOp.Get, key: 'packed' },
    { op: NativeOp.Get, key: 'packed-missing' },
  ]);
  t.is((set as Array<{ rc: number }>).at(-1)!.rc, 0);
  t.is((get as Array<{ data: Buffer }>).at(-1)!.data.toString(), 'v1');
  t.is((missing as Array<{ rc: number }>).at(-1)!.rc, RC.NOT_FOUND);
});

test('an empty batch is fine', (t) => {
  t.deepEqual(Array.from(c.conn.submit(makeBatch([]))), []);
});

test('oversized keys and values are rcs', async (t) => {
  // A connection of its own: memcached resets the one a 25 MiB value is sent on, which would fail
  // the other tests' commands in flight on the shared connection.
  const own = new TestConnection(mc.connectionString);
  t.is((await own.connect()).rc, 0);
  t.teardown(() => own.close());
  const results = await own.run([
    { op: NativeOp.Set, key: 'k'.repeat(300), value: 'v' },
    { op: NativeOp.Set, key: 'big', value: Buffer.alloc(25 * 1024 * 1024) },
  ]);
  for (const r of results) {
    const rc = Array.isArray(r) ? r[0].rc : r.submitRc;
    t.not(rc, RC.SUCCESS);
  }
});

test('an exception in onResponses is an uncaught exception, not a crash', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const script = `
    const a = require(${JSON.stringify(new URL('../../build/Release/couchbase_rx.node', import.meta.url).pathname)});
    process.on('uncaughtException', (e) => { console.log('caught', e.message); conn.close(() => console.log('closed')); });
    const conn = new a.Connection({ connstr: ${JSON.stringify(mc.connectionString)}, operationTimeoutUs: 1e6, configTimeoutUs: 1e6 }, () => { throw new Error('from callback'); });
    conn.connect((rc) => {
      const z = (T) => new T(1);
      conn.submit({ count: 1, seq: z(Uint32Array), op: new Uint8Array([1]), keys: Buffer.from('k'), keyEnd: new Uint32Array([1]),
        values: Buffer.alloc(0), valueEnd: z(Uint32Array), flags: z(Uint32Array), expiry: z(Uint32Array), cas: z(BigUint64Array),
        delta: z(BigUint64Array), initial: z(BigUint64Array), aux: z(Int32Array) });
    });`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /caught from callback\nclosed/);
});

test("bindOne checks its arguments; the submitOne it returns rejects bad keys and values with TypeError, schedules a good command, and answers with an rc once closed", async (t) => {
  const { ONE_BLOCK, ONE_KEY_ROOM, KEY_IN_ARGUMENT } = await import('../../src/binding.js');
  const one = new TestConnection(mc.connectionString);
  t.is((await one.connect()).rc, 0);
  const bind = one.conn.bindOne!.bind(one.conn) as (...a: unknown[]) => unknown;
  t.throws(() => bind(new ArrayBuffer(16), noop), { instanceOf: TypeError }, 'block too small');
  t.throws(() => bind(new Uint8Array(ONE_BLOCK.bytes), noop), { instanceOf: TypeError }, 'block not an ArrayBuffer');
  t.throws(() => bind(new ArrayBuffer(ONE_BLOCK.bytes)), { instanceOf: TypeError }, 'no callback');
  const block = new ArrayBuffer(ONE_BLOCK.bytes);
  const v = new DataView(block);
  let answered: ((r: { rc: number; value: string }) => void) | undefined;
  const submitOne = one.conn.bindOne!(block, (data) => {
    const n = v.getUint32(ONE_BLOCK.response.dataLength, true);
    answered?.({ rc: v.getInt32(ONE_BLOCK.response.rc, true), value: data ? Buffer.from(data, 0, n).toString() : '' });
  });
  t.is(typeof submitOne, 'function');
  const command = (op: number, keyLength: number) => {
    new Uint8Array(block, 0, ONE_BLOCK.key).fill(0);
    v.setUint32(ONE_BLOCK.seq, 1, true);
    v.setUint32(ONE_BLOCK.op, op, true);
    v.setUint32(ONE_BLOCK.keyLength, keyLength, true);
  };
  const call = submitOne as (...a: unknown[]) => number;
  command(NativeOp.Set, KEY_IN_ARGUMENT);
  t.throws(() => call(42, 'v'), { instanceOf: TypeError }, 'key a number');
  t.throws(() => call(undefined, 'v'), { instanceOf: TypeError }, 'key left out though the block says it is the argument');
  t.throws(() => call('k', {}), { instanceOf: TypeError }, 'value an object');
  command(NativeOp.Set, ONE_KEY_ROOM + 1);
  t.throws(() => call(undefined, 'v'), { instanceOf: TypeError }, 'key length beyond the block');
  command(0x7f, KEY_IN_ARGUMENT);
  t.throws(() => call('k', 'v'), { instanceOf: TypeError }, 'unknown op');
  command(NativeOp.Set, KEY_IN_ARGUMENT);
  const stored = new Promise<{ rc: number; value: string }>((r) => (answered = r));
  t.is(call('bound-one', 'value-1'), 0);
  t.is((await stored).rc, 0);
  command(NativeOp.Get, KEY_IN_ARGUMENT);
  const got = new Promise<{ rc: number; value: string }>((r) => (answered = r));
  t.is(call(Buffer.from('bound-one'), undefined), 0);
  t.deepEqual(await got, { rc: 0, value: 'value-1' });
  await one.close();
  t.is(call('bound-one', undefined), RC.REQUEST_CANCELED);
});
