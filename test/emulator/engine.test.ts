import test from 'ava';
import * as engine from '../../emulator/kv/engine.js';
import { EngineError } from '../../emulator/kv/engine.js';
import { Item } from '../../emulator/store/vbucket.js';

function clock(nowSec = 1_700_000_000): engine.EngineClock {
  let cas = 100n;
  return { nowSec, nowMs: nowSec * 1000, nextCas: () => ++cas };
}

const v = (s: string): Buffer => Buffer.from(s);
const set = (value: string, extra: Partial<engine.StoreOptions> = {}): engine.StoreOptions => ({ mode: 'set', value: v(value), flags: 0, expiry: 0, cas: 0n, datatype: 0, ...extra });

function ok<T>(t: { fail(m: string): void }, r: T | EngineError): T {
  if (typeof r === 'number') {
    t.fail(`engine error ${r}`);
    throw new Error('engine error');
  }
  return r;
}

test('CAS changes on every mutation; mismatch is Exists', (t) => {
  const c = clock();
  const a = ok(t, engine.store(undefined, set('1'), c));
  const b = ok(t, engine.store(a, set('2'), c));
  t.not(a.cas, b.cas);
  t.is(engine.store(b, set('3', { cas: a.cas }), c), EngineError.Exists);
  t.truthy(ok(t, engine.store(b, set('3', { cas: b.cas }), c)));
  t.is(engine.store(undefined, set('x', { cas: 5n }), c), EngineError.NotFound);
});

test('add, replace', (t) => {
  const c = clock();
  const a = ok(t, engine.store(undefined, set('1', { mode: 'add' }), c));
  t.is(engine.store(a, set('1', { mode: 'add' }), c), EngineError.Exists);
  t.is(engine.store(undefined, set('1', { mode: 'replace' }), c), EngineError.NotFound);
  t.truthy(ok(t, engine.store(a, set('2', { mode: 'replace' }), c)));
});

test('expiry: relative up to 30 days, absolute beyond', (t) => {
  const c = clock();
  const rel = ok(t, engine.store(undefined, set('x', { expiry: 10 }), c));
  t.is(rel.exp, c.nowSec + 10);
  const abs = ok(t, engine.store(undefined, set('x', { expiry: c.nowSec + 5000000 }), c));
  t.is(abs.exp, c.nowSec + 5000000);
  t.is(engine.visible(rel, c.nowSec + 9), rel);
  t.is(engine.visible(rel, c.nowSec + 10), undefined);
  const past = ok(t, engine.store(undefined, set('x', { expiry: 2592001 }), c));
  t.is(engine.visible(past, c.nowSec), undefined);
  // An expired document can be added again.
  t.truthy(ok(t, engine.store(rel, set('y', { mode: 'add' }), clock(c.nowSec + 11))));
});

test('locks: default 15 s, max 30 s; mutations need the lock CAS, which unlocks', (t) => {
  const c = clock();
  const a = ok(t, engine.store(undefined, set('1'), c));
  const l = ok(t, engine.lock(a, 0, c));
  t.is(l.lockedUntil, c.nowMs + 15000);
  t.is(engine.lock(a, 0, c), EngineError.Locked);
  t.is(engine.readCas(a, c.nowMs), engine.LOCKED_CAS);
  t.is(engine.store(a, set('2'), c), EngineError.Locked);
  t.is(engine.store(a, set('2', { cas: a.cas }), c), EngineError.Locked);
  t.is(engine.remove(a, 0n, c), EngineError.Locked);
  t.is(engine.touch(a, 10, c), EngineError.Locked);
  const after = ok(t, engine.store(a, set('2', { cas: a.lockCas }), c));
  t.is(after.lockedUntil, 0);
  const b = ok(t, engine.store(undefined, set('1'), c));
  engine.lock(b, 100, c);
  t.is(b.lockedUntil, c.nowMs + 30000);
  const later = clock(c.nowSec + 31);
  t.truthy(ok(t, engine.store(b, set('3'), later)));
});

test('unlock', (t) => {
  const c = clock();
  const a = ok(t, engine.store(undefined, set('1'), c));
  t.is(engine.unlock(a, 0n, c), EngineError.NotLocked);
  engine.lock(a, 5, c);
  t.is(engine.unlock(a, 1n, c), EngineError.Locked);
  t.truthy(ok(t, engine.unlock(a, a.lockCas, c)));
  t.truthy(ok(t, engine.store(a, set('2'), c)));
});

test('counters: create with initial, wrap on incr, stop at 0 on decr, bad value', (t) => {
  const c = clock();
  t.is(engine.counter(undefined, { incr: true, delta: 1n, initial: 5n, expiry: 0xffffffff, cas: 0n }, c), EngineError.NotFound);
  const a = ok(t, engine.counter(undefined, { incr: true, delta: 1n, initial: 5n, expiry: 0, cas: 0n }, c));
  t.is(a.value, 5n);
  t.is(a.item.value.toString(), '5');
  const b = ok(t, engine.counter(a.item, { incr: true, delta: 0xffffffffffffffffn, initial: 0n, expiry: 0, cas: 0n }, c));
  t.is(b.value, 4n);
  const d = ok(t, engine.counter(b.item, { incr: false, delta: 10n, initial: 0n, expiry: 0, cas: 0n }, c));
  t.is(d.value, 0n);
  const text = ok(t, engine.store(undefined, set('abc'), c));
  t.is(engine.counter(text, { incr: true, delta: 1n, initial: 0n, expiry: 0, cas: 0n }, c), EngineError.DeltaBadval);
  const big = ok(t, engine.store(undefined, set('18446744073709551616'), c));
  t.is(engine.counter(big, { incr: true, delta: 1n, initial: 0n, expiry: 0, cas: 0n }, c), EngineError.DeltaBadval);
});

test('append/prepend on raw bytes keep flags; missing is NotStored', (t) => {
  const c = clock();
  t.is(engine.concat(undefined, v('x'), true, 0n, c), EngineError.NotStored);
  const a = ok(t, engine.store(undefined, set('mid', { flags: 7 }), c));
  const b = ok(t, engine.concat(a, v('>'), true, 0n, c));
  const d = ok(t, engine.concat(b, v('<'), false, 0n, c));
  t.is(d.value.toString(), '<mid>');
  t.is(d.flags, 7);
});

test('value over 20 MiB is TooBig', (t) => {
  const c = clock();
  t.is(engine.store(undefined, { ...set(''), value: Buffer.alloc(20 * 1024 * 1024 + 1) }, c), EngineError.TooBig);
  t.truthy(ok(t, engine.store(undefined, { ...set(''), value: Buffer.alloc(20 * 1024 * 1024) }, c)));
});

test('delete leaves a tombstone with a new CAS', (t) => {
  const c = clock();
  const a = ok(t, engine.store(undefined, set('1'), c));
  const d = ok(t, engine.remove(a, 0n, c));
  t.true(d.deleted);
  t.not(d.cas, a.cas);
  t.is(engine.remove(d, 0n, c), EngineError.NotFound);
  t.true(d instanceof Item);
});
