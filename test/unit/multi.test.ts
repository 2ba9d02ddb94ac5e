import test from 'ava';
import {
  CouchbaseError, FMT_UTF8, Item, ItemOptionDict, ItemSequence, KeyExistsError, MultiResult, NotFoundError, ValueResult,
} from '../../src/index.js';
import { fakeConnect, freshKey } from './helpers.js';

test('setMulti / getMulti with a Record, a Map and pairs', async (t) => {
  const { cb, cluster } = await fakeConnect();
  await cb.setMulti({ sheep_counting: ['first sheep', 'second sheep'], famous_sheep: { 'sherry lewis': 'Lamb Chop' } });
  await cb.setMulti(new Map([['m1', 1], ['m2', 2]]));
  await cb.setMulti([['p1', 'x']], { format: FMT_UTF8 });
  const res = await cb.getMulti(['sheep_counting', 'famous_sheep', 'm1', 'm2', 'p1']);
  t.true(res instanceof MultiResult);
  t.true(res instanceof Map);
  t.true(res.allOk);
  t.deepEqual([...res.keys()], ['sheep_counting', 'famous_sheep', 'm1', 'm2', 'p1']);
  t.deepEqual(res.get('famous_sheep')!.value, { 'sherry lewis': 'Lamb Chop' });
  t.is(res.get('p1')!.value, 'x');
  t.is(cluster.submits.length, 4);
  await cb.close();
});

test('quiet getMulti: allOk false, no error', async (t) => {
  const { cb } = await fakeConnect();
  await cb.set('i exist', 1);
  const r = await cb.getMulti(['i exist', "but i don't"], { quiet: true });
  t.false(r.allOk);
  t.true(r.get('i exist')!.success);
  t.is(CouchbaseError.rcToExctype(r.get("but i don't")!.rc), NotFoundError);
  await cb.close();
});

test('failure → CouchbaseError with allResults (seed addMulti example)', async (t) => {
  const { cb } = await fakeConnect();
  await cb.set('foo', 'foo value');
  const e = await t.throwsAsync(cb.addMulti({ foo: 'foo value', bar: 'bar value', baz: 'baz value' }), { instanceOf: KeyExistsError });
  const all = e!.allResults as MultiResult;
  t.is(all.size, 3);
  t.false(all.get('foo')!.success);
  t.true(all.get('bar')!.success);
  t.true(all.get('baz')!.success);
  t.is(CouchbaseError.rcToExctype(all.get('foo')!.rc), KeyExistsError);
  t.is(e!.key, 'foo');
  await cb.close();
});

test('per-key options and shorthands', async (t) => {
  const { cb } = await fakeConnect();
  const a = freshKey();
  const b = freshKey();
  const inc = await cb.incrMulti({ [a]: { initial: 5 }, [b]: { initial: 7, amount: 2 } });
  t.is(inc.get(a)!.value, 5);
  const inc2 = await cb.incrMulti(new Map<string, number>([[a, 10], [b, 1]]));
  t.is(inc2.get(a)!.value, 15);
  t.is(inc2.get(b)!.value, 8);
  const dec = await cb.decrMulti([a, b], { amount: 1 });
  t.is(dec.get(a)!.value, 14);
  const sets = await cb.setMulti({ [a]: 'x', [b]: 'y' });
  await cb.set(b, 'changed');
  const e = await t.throwsAsync(cb.deleteMulti({ [a]: sets.get(a)!.cas, [b]: sets.get(b)!.cas }), { instanceOf: KeyExistsError });
  t.true((e!.allResults as MultiResult).get(a)!.success);
  await cb.touchMulti({ [b]: 100 });
  t.true((await cb.deleteMulti([b], { quiet: true })).allOk);
  const q = await cb.deleteMulti([b], { quiet: true });
  t.false(q.allOk);
  await cb.close();
});

test('lockMulti / unlockMulti', async (t) => {
  const { cb } = await fakeConnect();
  await cb.setMulti({ l1: 1, l2: 2 });
  const locked = await cb.lockMulti(['l1', 'l2'], { ttl: 5 });
  t.true(locked.allOk);
  const unlocked = await cb.unlockMulti(locked as Map<string, ValueResult>);
  t.true(unlocked.allOk);
  const l2 = await cb.lockMulti({ l1: 5 });
  t.true((await cb.unlockMulti({ l1: l2.get('l1')!.cas })).allOk);
  await cb.close();
});

test('observeMulti / endureMulti / getReplicaMulti', async (t) => {
  const { cb } = await fakeConnect({}, { nodes: 2, replicas: 1, replicateDelayMs: 0, persistDelayMs: 0 });
  const stored = await cb.setMulti({ o1: 1, o2: 2 }, { persistTo: 1, replicateTo: 1 });
  t.true(stored.allOk);
  const obs = await cb.observeMulti(['o1', 'o2']);
  t.is(obs.get('o1')!.value.length, 2);
  t.true((await cb.endureMulti(stored, { persistTo: 2, replicateTo: 1 })).allOk);
  t.true((await cb.endureMulti(['o1'], { replicateTo: 1 })).allOk);
  const rep = await cb.getReplicaMulti(['o1', 'o2']);
  t.is(rep.get('o2')!.value, 2);
  await cb.close();
});

test('the seed Item API example', async (t) => {
  const { cb } = await fakeConnect();
  const printed: unknown[] = [];
  class MyItem extends Item {
    printValue() { printed.push(this.value); }
  }
  const itm = new MyItem();
  itm.key = 'simple_key';
  itm.value = 'Hello World';
  let itmcoll: ItemSequence | ItemOptionDict = new ItemSequence([itm]);
  const r = await cb.setMulti(itmcoll, { format: FMT_UTF8 });
  t.is(r.get('simple_key'), itm);
  t.true(itm.success);
  t.not(itm.cas, 0n);
  itm.printValue();
  itmcoll = new ItemOptionDict();
  itmcoll.add(itm, { fragment: ' ..again' });
  await cb.appendItems(itmcoll, { format: FMT_UTF8 });
  itm.printValue();
  t.deepEqual(printed, ['Hello World', 'Hello World ..again']);
  t.is((await cb.get(itm.key)).value, 'Hello World ..again');
  await cb.prependItems(new ItemOptionDict().add(itm, { fragment: '> ' }), { format: FMT_UTF8 });
  t.is(itm.value, '> Hello World ..again');
  // gets write into items too
  const fresh = new Item('simple_key');
  await cb.getMulti(new ItemSequence([fresh]));
  t.is(fresh.value, '> Hello World ..again');
  t.is(fresh.cas, itm.cas);
  // an item's CAS is used for stores: a stale one fails
  const stale = new Item('simple_key', 'x');
  stale.cas = 1n;
  await t.throwsAsync(cb.setMulti(new ItemSequence([stale])), { instanceOf: KeyExistsError });
  await t.notThrowsAsync(cb.setMulti(new ItemOptionDict().add(stale, { ignoreCas: true })));
  await t.throwsAsync(cb.appendItems(new ItemSequence([itm])), { message: /fragment/ });
  await cb.close();
});

test('empty multi calls resolve to an empty MultiResult', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const r = await cb.getMulti([]);
  t.is(r.size, 0);
  t.true(r.allOk);
  t.is(cluster.submits.length, 0);
  await cb.close();
});

test('endure polls every key in one observe batch per round', async (t) => {
  const { cb, cluster } = await fakeConnect({}, { nodes: 2, replicas: 1, replicateDelayMs: 30, persistDelayMs: 60 });
  const stored = await cb.setMulti({ e1: 1, e2: 2, e3: 3 });
  const before = cluster.submits.length;
  t.true((await cb.endureMulti(stored, { persistTo: 2, replicateTo: 1 })).allOk);
  const rounds = cluster.submits.slice(before);
  t.true(rounds.length >= 2);
  t.true(rounds.every((s) => s.ops.every((op) => op === 30)));
  t.is(rounds[0]!.count, 3);
  // and durable stores in a multi call poll together too
  const b2 = cluster.submits.length;
  t.true((await cb.setMulti({ e4: 4, e5: 5 }, { replicateTo: 1 })).allOk);
  const after = cluster.submits.slice(b2);
  t.is(after[0]!.count, 2); // the stores
  t.is(after[1]!.count, 2); // the first observe round
  await cb.close();
});

test('observeMulti and endureMulti accept items (their CAS)', async (t) => {
  const { cb } = await fakeConnect({}, { nodes: 2, replicas: 1, replicateDelayMs: 0, persistDelayMs: 0 });
  const a = new Item('ia', 1);
  const b = new Item('ib', 2);
  const coll = new ItemSequence([a, b]);
  await cb.setMulti(coll);
  t.is((await cb.observeMulti(coll)).get('ia')!.value[0]!.cas, a.cas);
  t.true((await cb.endureMulti(coll, { persistTo: 2, replicateTo: 1 })).allOk);
  await cb.set('ia', 5); // a.cas is now stale
  const e = await t.throwsAsync(cb.endureMulti(coll, { persistTo: 1, timeout: 0.2 }), { instanceOf: KeyExistsError });
  t.false((e!.allResults as MultiResult).get('ia')!.success);
  await cb.close();
});
