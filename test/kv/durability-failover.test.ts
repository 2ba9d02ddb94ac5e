/**
 * A durability failure inside a call is visible on its own key: after a failover in the middle
 * of a durable ingestion, every key whose durability failed has a failed result (its rc, the
 * mutation's CAS kept) and every key whose result says success is durable and readable.
 */
import test from 'ava';
import { connect, CouchbaseError, DurabilityError, Item, ItemSequence, type MultiResult, type OperationResult } from '../../src/index.js';
import { startEmulator } from '../../emulator/index.js';

const N = 1000;

async function cluster(timeout = 5) {
  const emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
  const cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout });
  // Persistence slow enough that the failover lands while the keys are being polled.
  await emu.setDelays({ persistenceMs: 150 });
  return { emu, cb, stop: async () => { await cb.close(); await emu.stop(); } };
}

function docs(prefix: string): Record<string, { n: number }> {
  return Object.fromEntries(Array.from({ length: N }, (_, i) => [`${prefix}-${i}`, { n: i }]));
}

/** Checks every key of a failed durable multi call: failures are on their keys, successes readable. */
async function checkPerKey(t: import('ava').ExecutionContext, e: CouchbaseError, cb: Awaited<ReturnType<typeof connect>>) {
  const all = e.allResults as MultiResult<OperationResult>;
  t.is(all.size, N);
  t.false(all.allOk);
  const failed = [...all.values()].filter((r) => !r.success);
  t.true(failed.length > 0 && failed.length < N, `${failed.length} of ${N} keys failed`);
  t.regex(e.message, new RegExp(`^\\w+: ${failed.length} of ${N} operations failed; first: `));
  const kinds = new Map<string, number>();
  for (const r of failed) {
    const Cls = CouchbaseError.rcToExctype(r.rc);
    kinds.set(Cls.name, (kinds.get(Cls.name) ?? 0) + 1);
    t.not(r.cas, 0n, `${r.key} keeps the mutation's CAS`);
  }
  t.log(Object.fromEntries(kinds));
  const ok = [...all.values()].filter((r) => r.success).map((r) => r.key);
  const read = await cb.getMulti(ok);
  t.true(read.allOk);
  for (const k of ok) t.is(read.get(k)!.cas, all.get(k)!.cas, `${k}: the durable write is the one read back`);
}

/** Runs a durable multi call, fails node 1 over while it polls, and checks every key's outcome. */
async function failoverDuring(t: import('ava').ExecutionContext, call: (cb: Awaited<ReturnType<typeof connect>>) => PromiseLike<unknown>) {
  const { emu, cb, stop } = await cluster();
  try {
    const outcome = Promise.resolve(call(cb)).then(() => undefined, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 60));
    await emu.failover(1);
    const e = await outcome;
    t.true(e instanceof DurabilityError, String(e));
    await checkPerKey(t, e as CouchbaseError, cb);
  } finally {
    await stop();
  }
}

test('setMulti: a failover mid-call fails durability on the affected keys only, each on its own result', (t) =>
  failoverDuring(t, (cb) => cb.setMulti(docs('s'), { persistTo: 1, replicateTo: 1 })));

test('endureMulti: the same after a failover while polling', (t) =>
  failoverDuring(t, async (cb) => cb.endureMulti(await cb.setMulti(docs('e')), { persistTo: 1, replicateTo: 1 })));

test('single-key forms and items: the failure is the key\'s own, the result and item carry it', async (t) => {
  const { emu, cb, stop } = await cluster();
  try {
    const keys = Array.from({ length: 40 }, (_, i) => `one-${i}`);
    const calls = keys.map((k) => cb.set(k, 1, { persistTo: 1, replicateTo: 1 }).then((r) => r, (e: unknown) => e));
    const items = new ItemSequence(keys.map((k) => new Item(`item-${k}`, 2)));
    const itemCall = cb.setMulti(items, { persistTo: 1, replicateTo: 1 }).then(() => undefined, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 60));
    await emu.failover(1);
    const outcomes = await Promise.all(calls);
    const failed = outcomes.filter((o): o is DurabilityError => o instanceof DurabilityError);
    t.true(failed.length > 0, 'some keys lost their replica');
    for (const e of failed) {
      t.true(keys.includes(String(e.key)));
      const r = e.result as OperationResult;
      t.is(r.key, String(e.key));
      t.false(r.success);
      t.is(r.rc, e.rc);
      t.not(r.cas, 0n);
    }
    t.true(await itemCall instanceof DurabilityError);
    const failedItems = items.items.filter((item) => !item.success);
    t.true(failedItems.length > 0);
    for (const item of failedItems) {
      t.is(CouchbaseError.rcToExctype(item.rc), DurabilityError);
      t.not(item.cas, 0n);
    }
    // After the failover, the requirement is impossible for every key: it fails at once, per key.
    const again = await cb.set('after', 1, { persistTo: 1, replicateTo: 1 }).then(() => undefined, (e: unknown) => e);
    t.true(again instanceof DurabilityError);
  } finally {
    await stop();
  }
});

test('a failover the client has not heard of: a replica that refuses observe makes durability fail as impossible, without waiting out the timeout', async (t) => {
  const timeout = 20;
  const { emu, cb, stop } = await cluster(timeout);
  try {
    const bucket = emu.cluster.bucket('default')!;
    const before = bucket.map.map((row) => [...row]);
    await emu.failover(1);
    // The emulator pushes no map to KV clients: this client still sends these keys' observes to
    // node 1, their replica. Their masters stay, and are not vBucket 0's (where libcouchbase used
    // to resend a refused observe, which refused it again until the operation timed out).
    const vb0 = bucket.map[0]![0];
    const keys = Array.from({ length: 2000 }, (_, i) => `stale-${i}`)
      .filter((k) => {
        const row = before[bucket.vbucketOf(k)]!;
        return row[0] !== 1 && row[0] !== vb0 && row[1] === 1;
      })
      .slice(0, 8);
    t.is(keys.length, 8);
    const started = Date.now();
    const outcomes = await Promise.all(keys.map((k) => cb.set(k, 1, { persistTo: 1, replicateTo: 1 }).then((r) => r, (e: unknown) => e)));
    // Not a speed check: a refused observe used to be resent until the operation timed out.
    t.true(Date.now() - started < (timeout * 1000) / 2, `settled after ${Date.now() - started} ms, not at the ${timeout} s timeout`);
    for (const [i, o] of outcomes.entries()) {
      t.true(o instanceof DurabilityError, `${keys[i]}: ${String(o)}`);
      t.regex((o as Error).message, /durability impossible/);
    }
    const seen = await cb.observe(keys[0]!);
    t.is(seen.value.length, 1, 'observe lists the one node that holds the key');
    t.true(seen.value[0]!.master);
  } finally {
    await stop();
  }
});

