/** @test {pollDurability} the endure poller: backoff schedule, timeout, cancellation, per-key verdicts. */
import test from 'ava';
import type { Observable } from 'rxjs';
import { DurabilityError, KeyExistsError, TimeoutError, type CouchbaseError } from '../src/errors/index.js';
import { pollDurability, type PollSpec } from '../src/kv/endure-poll.js';
import type { ObserveResult } from '../src/results.js';
import { observed, type NodeState } from './helpers/observe.js';
import { marbleScheduler } from './helpers/scheduler.js';

const spec = (over: Partial<PollSpec> = {}): PollSpec => ({
  persistTo: 1, replicateTo: 1, checkRemoved: false, timeout: 1, backoff: { initial: 0.01, factor: 2, max: 0.04 }, ...over,
});
const notYet: NodeState[] = [{ state: 'found' }, { state: 'missing' }];
const durable: NodeState[] = [{ state: 'persisted' }, { state: 'found' }];

/**
 * A fake observe round answering after 1 ms: key `k` is durable from round `durableAt[k]` on.
 * Records when each round started and for which keys.
 */
function fakeObserve(cold: (m: string, v: Record<string, unknown>) => Observable<unknown>, now: () => number, durableAt: Record<string, number>, nodes?: (key: string, round: number) => NodeState[]) {
  const rounds: Array<{ at: number; keys: string[] }> = [];
  const observe = (keys: readonly string[]) => {
    const round = rounds.length;
    rounds.push({ at: now(), keys: [...keys] });
    const answers = keys.map((k) => observed(k, nodes?.(k, round) ?? (round >= (durableAt[k] ?? Infinity) ? durable : notYet)));
    return cold('-(a|)', { a: answers }) as Observable<ReadonlyArray<ObserveResult | CouchbaseError>>;
  };
  return { observe, rounds };
}

test('backoff schedule: rounds at 0, +10, +20, +40 (capped) ms after each answer; durable in round 3', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe, rounds } = fakeObserve(cold, () => ts.now(), { k: 3 });
    expectObservable(pollDurability(observe, [{ key: 'k', cas: 1n }], spec())).toBe('74ms (v|)', { v: { index: 0 } });
    ts.flush();
    t.deepEqual(rounds.map((r) => r.at), [0, 11, 32, 73]);
  });
});

test('the delay is capped at backoff.max', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe, rounds } = fakeObserve(cold, () => ts.now(), { k: 5 });
    expectObservable(pollDurability(observe, [{ key: 'k', cas: 1n }], spec())).toBe('156ms (v|)', { v: { index: 0 } });
    ts.flush();
    t.deepEqual(rounds.map((r) => r.at), [0, 11, 32, 73, 114, 155]);
  });
});

test('timeout: the last round runs at the deadline, then pending keys fail with what they reached', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe, rounds } = fakeObserve(cold, () => ts.now(), {});
    const error = new TimeoutError('endure: durability requirements (persistTo=1, replicateTo=1) not met within 0.05s (reached: persisted on 0, replicated to 0)', { key: 'k' });
    expectObservable(pollDurability(observe, [{ key: 'k', cas: 1n }], spec({ timeout: 0.05 }))).toBe('51ms (v|)', { v: { index: 0, error } });
    ts.flush();
    t.deepEqual(rounds.map((r) => r.at), [0, 11, 32, 50]);
  });
});

test('one observe batch per round for every pending key; each key leaves when durable', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe, rounds } = fakeObserve(cold, () => ts.now(), { a: 1, b: 2, c: 0 });
    const targets = [{ key: 'a', cas: 1n }, { key: 'b', cas: 1n }, { key: 'c', cas: 1n }];
    expectObservable(pollDurability(observe, targets, spec())).toBe('-c 10ms a 20ms (b|)', { a: { index: 0 }, b: { index: 1 }, c: { index: 2 } });
    ts.flush();
    t.deepEqual(rounds, [{ at: 0, keys: ['a', 'b', 'c'] }, { at: 11, keys: ['a', 'b'] }, { at: 32, keys: ['b'] }]);
  });
});

test('unsubscribing cancels the round in flight and the timer: nothing more is observed or emitted', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe, rounds } = fakeObserve(cold, () => ts.now(), { k: 3 });
    expectObservable(pollDurability(observe, [{ key: 'k', cas: 1n }], spec()), '^ 11ms !').toBe('');
    ts.flush();
    t.deepEqual(rounds.map((r) => r.at), [0, 11]);
  });
});

test('synchronous unsubscribe: no round after the first and no timer left', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold }) => {
    const { observe, rounds } = fakeObserve(cold, () => ts.now(), { k: 3 });
    pollDurability(observe, [{ key: 'k', cas: 1n }], spec()).subscribe().unsubscribe();
    ts.flush();
    t.deepEqual(rounds.map((r) => r.at), [0]);
    t.is(ts.actions.length, 0);
  });
});

test('a requirement the vBucket cannot meet fails at once; the others go on', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe } = fakeObserve(cold, () => ts.now(), { ok: 1 }, (k, round) => (k === 'lonely' ? [{ state: 'persisted' }] : round >= 1 ? durable : notYet));
    const error = new DurabilityError("durability impossible: persistTo=1, replicateTo=1 but the key's vBucket has 1 node(s) (0 replica(s))", { key: 'lonely' });
    expectObservable(pollDurability(observe, [{ key: 'lonely', cas: 1n }, { key: 'ok', cas: 1n }], spec())).toBe('-i 10ms (o|)', { i: { index: 0, error }, o: { index: 1 } });
  });
});

test('a node that refuses the key as not its own decides nothing: the next round, on the refreshed map, does', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    // Round 0 on a stale map: the replica refuses. Round 1: a rebalance moved the copy (durable);
    // for the other key a failover left the master alone (impossible).
    const moved: NodeState[][] = [[{ state: 'persisted' }, { state: 'refused' }], durable];
    const failedOver: NodeState[][] = [[{ state: 'persisted' }, { state: 'refused' }], [{ state: 'persisted' }]];
    const { observe, rounds } = fakeObserve(cold, () => ts.now(), {}, (k, round) => (k === 'moved' ? moved : failedOver)[Math.min(round, 1)]!);
    const error = new DurabilityError("durability impossible: persistTo=1, replicateTo=1 but the key's vBucket has 1 node(s) (0 replica(s))", { key: 'failed-over' });
    expectObservable(pollDurability(observe, [{ key: 'moved', cas: 1n }, { key: 'failed-over', cas: 1n }], spec())).toBe('12ms (mf|)', { m: { index: 0 }, f: { index: 1, error } });
    ts.flush();
    t.is(rounds.length, 2);
  });
});

test('every node refusing the key decides nothing either; past the deadline it is a timeout', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe } = fakeObserve(cold, () => ts.now(), {}, () => [{ state: 'refused' }, { state: 'refused' }]);
    const error = new TimeoutError('endure: durability requirements (persistTo=1, replicateTo=1) not met within 0.05s (reached: persisted on 0, replicated to 0)', { key: 'k' });
    expectObservable(pollDurability(observe, [{ key: 'k', cas: 1n }], spec({ timeout: 0.05 }))).toBe('51ms (v|)', { v: { index: 0, error } });
  });
});

test('a CAS that changes on the master while polling fails that key', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const { observe } = fakeObserve(cold, () => ts.now(), {}, (_k, round) => (round === 0 ? notYet : [{ state: 'found', cas: 2n }, { state: 'found', cas: 1n }]));
    const error = new KeyExistsError('endure: the key was modified again (CAS changed from 0x1 to 0x2 on the master) before it became durable', { key: 'k' });
    expectObservable(pollDurability(observe, [{ key: 'k', cas: 1n }], spec())).toBe('12ms (v|)', { v: { index: 0, error } });
  });
});

test('an observe round that errors ends the poll with that error; no targets completes at once', (t) => {
  const ts = marbleScheduler(t);
  ts.run(({ cold, expectObservable }) => {
    const boom = new TimeoutError('observe timed out');
    expectObservable(pollDurability(() => cold('--#', {}, boom) as never, [{ key: 'k', cas: 1n }], spec())).toBe('--#', undefined, boom);
    expectObservable(pollDurability(() => cold('-(a|)') as never, [], spec())).toBe('|');
  });
});
