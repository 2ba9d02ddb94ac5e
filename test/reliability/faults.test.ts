/**
 * Faults on a 3-node emulator (one replica), each through the emulator's control API: nothing an
 * acknowledged write said is lost, every failure is typed and on its own key, and the same
 * connection object works again afterwards. Each scenario logs its figures (attempted,
 * acknowledged, failed, lost), which docs/reliability.md records.
 */
import test, { type ExecutionContext } from 'ava';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, coreOf, type Couchbase } from '../../src/connection.js';
import { CouchbaseError, NetworkError, TimeoutError, type MultiResult, type OperationResult } from '../../src/index.js';

const GET = 0x00;
const SET = 0x01;

interface Figures { attempted: number; acknowledged: number; failed: number; lost: number; errors: Record<string, number> }

async function cluster(timeout = 2.5): Promise<{ emu: Emulator; cb: Couchbase; stop: () => Promise<void> }> {
  const emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'] });
  const cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout });
  return { emu, cb, stop: async () => { await cb.close(); await emu.stop(); } };
}

const windowOf = (prefix: string, w: number, size: number) =>
  Object.fromEntries(Array.from({ length: size }, (_, i) => [`${prefix}-${w}-${i}`, { w, i }]));

/** Every result of a multi call, whether it resolved or failed (a failure must carry them all). */
async function settled<R extends OperationResult>(op: PromiseLike<MultiResult<R>>): Promise<MultiResult<R>> {
  try {
    return await op;
  } catch (error) {
    if (!(error instanceof CouchbaseError) || !error.allResults) throw error;
    return error.allResults as MultiResult<R>;
  }
}

/** Counts outcomes; then reads back every acknowledged key: one not readable as written is lost. */
async function account(cb: Couchbase, written: Map<string, { w: number; i: number }>, results: Iterable<OperationResult>): Promise<Figures> {
  const f: Figures = { attempted: 0, acknowledged: 0, failed: 0, lost: 0, errors: {} };
  const acked: string[] = [];
  for (const r of results) {
    f.attempted++;
    if (r.success) {
      f.acknowledged++;
      acked.push(r.key);
    } else {
      f.failed++;
      const name = CouchbaseError.rcToExctype(r.rc).name;
      f.errors[name] = (f.errors[name] ?? 0) + 1;
    }
  }
  for (let i = 0; i < acked.length; i += 1000) {
    const back = await settled(cb.getMulti(acked.slice(i, i + 1000)) as unknown as PromiseLike<MultiResult<OperationResult>>);
    for (const [k, r] of back) if (!r.success || JSON.stringify((r as unknown as { value: unknown }).value) !== JSON.stringify(written.get(k))) f.lost++;
  }
  return f;
}

function report(t: ExecutionContext, scenario: string, f: Figures): void {
  t.log(`${scenario}: ${JSON.stringify(f)}`);
  t.is(f.lost, 0, 'no acknowledged write is lost');
  t.is(f.attempted, f.acknowledged + f.failed);
}

test.serial('(a) failover in the middle of a durable ingestion: acknowledged writes all readable, the rest failed on their own keys', async (t) => {
  const { emu, cb, stop } = await cluster(5);
  try {
    await emu.setDelays({ persistenceMs: 20 });
    const written = new Map<string, { w: number; i: number }>();
    const results: OperationResult[] = [];
    for (let w = 0; w < 20; w++) {
      const docs = windowOf('a', w, 500);
      for (const [k, v] of Object.entries(docs)) written.set(k, v);
      const call = settled(cb.setMulti(docs, { persistTo: 1, replicateTo: 1 }));
      if (w === 8) await emu.failover(1);
      results.push(...(await call).values());
    }
    const f = await account(cb, written, results);
    report(t, 'failover during durable setMulti', f);
    t.true(f.failed > 0, 'the failover made some requirements impossible');
    t.true(Object.keys(f.errors).every((name) => name === 'DurabilityError'), JSON.stringify(f.errors));
  } finally {
    await stop();
  }
});

test.serial('(b) a node stopped and restarted mid-bulk: typed errors within the timeout, then the same connection recovers', async (t) => {
  const { emu, cb, stop } = await cluster(1.5);
  try {
    const written = new Map<string, { w: number; i: number }>();
    const results: OperationResult[] = [];
    let slowest = 0;
    for (let w = 0; w < 12; w++) {
      if (w === 3) await emu.stopNode(1);
      if (w === 7) await emu.startNode(1);
      const docs = windowOf('b', w, 500);
      for (const [k, v] of Object.entries(docs)) written.set(k, v);
      const started = performance.now();
      results.push(...(await settled(cb.setMulti(docs))).values());
      slowest = Math.max(slowest, performance.now() - started);
    }
    const f = await account(cb, written, results);
    report(t, 'node stopped and restarted during setMulti', f);
    t.true(f.failed > 0, 'writes to the stopped node failed');
    t.true(Object.keys(f.errors).every((name) => ['NetworkError', 'TimeoutError', 'ConnectError'].includes(name)), JSON.stringify(f.errors));
    t.log(`slowest window ${slowest.toFixed(0)} ms with a 1.5 s operation timeout`);
    // Recovery on the same object: a whole window succeeds again within a few attempts.
    let recovered = false;
    for (let attempt = 0; attempt < 20 && !recovered; attempt++) {
      recovered = (await settled(cb.setMulti(windowOf('b-after', attempt, 500)))).allOk;
      if (!recovered) await new Promise((r) => setTimeout(r, 250));
    }
    t.true(recovered, 'traffic recovered on the same connection');
  } finally {
    await stop();
  }
});

test.serial('(c) a node added and vBuckets moved: every operation succeeds', async (t) => {
  const { emu, cb, stop } = await cluster(5);
  try {
    const written = new Map<string, { w: number; i: number }>();
    const results: OperationResult[] = [];
    for (let w = 0; w < 12; w++) {
      if (w === 4) {
        await emu.addNode();
        await emu.rebalance();
      }
      const docs = windowOf('c', w, 500);
      for (const [k, v] of Object.entries(docs)) written.set(k, v);
      results.push(...(await settled(cb.setMulti(docs))).values());
    }
    const f = await account(cb, written, results);
    report(t, 'node added and rebalanced during setMulti', f);
    t.is(f.failed, 0, JSON.stringify(f.errors));
    t.is(cb.serverNodes.length, 4);
  } finally {
    await stop();
  }
});

test.serial('(d) a node that accepts but never answers: TimeoutError at the operation timeout, the event loop stays responsive', async (t) => {
  const { emu, cb, stop } = await cluster(5);
  try {
    await cb.setMulti(windowOf('d', 0, 300));
    cb.timeout = 1;
    await emu.hangNode(1);
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 10);
    const started = performance.now();
    const back = await settled(cb.getMulti(Object.keys(windowOf('d', 0, 300))) as unknown as PromiseLike<MultiResult<OperationResult>>);
    const elapsed = performance.now() - started;
    clearInterval(ticker);
    loop.disable();
    const failed = [...back.values()].filter((r) => !r.success);
    t.true(failed.length > 0 && failed.length < 300, `${failed.length} keys on the hung node`);
    t.true(failed.every((r) => CouchbaseError.rcToExctype(r.rc) === TimeoutError), 'each is a TimeoutError');
    t.log(`hung node: ${failed.length} TimeoutErrors after ${elapsed.toFixed(0)} ms (timeout 1 s); loop delay p99 ${(loop.percentile(99) / 1e6).toFixed(1)} ms, max ${(loop.max / 1e6).toFixed(1)} ms; ${ticks} timer ticks of 10 ms`);
    t.true(ticks >= elapsed / 10 / 4, 'timers kept firing while the operations waited');
    await emu.startNode(1);
  } finally {
    await stop();
  }
});

test.serial('(e) a connection reset in the middle of a response: the operation succeeds (retried) or fails typed, the connection recovers', async (t) => {
  const { emu, cb, stop } = await cluster(5);
  try {
    await cb.set('victim', 1);
    await cb.set('bystander', 2);
    const outcomes: string[] = [];
    for (const [opcode, run] of [[GET, () => cb.get('victim')], [SET, () => cb.set('victim', 3)]] as const) {
      await emu.inject({ opcode, key: 'victim', count: 1, action: 'reset' });
      try {
        const r = await run();
        t.true(r.success);
        outcomes.push(`${opcode === GET ? 'get' : 'set'}: retried, succeeded`);
      } catch (error) {
        t.true(error instanceof NetworkError || error instanceof TimeoutError, String(error));
        outcomes.push(`${opcode === GET ? 'get' : 'set'}: ${(error as Error).name}`);
      }
    }
    t.log(`reset mid-response: ${outcomes.join('; ')}`);
    let value: unknown;
    for (let attempt = 0; attempt < 20 && value === undefined; attempt++) {
      value = await cb.get('victim').then((r) => r.value, () => undefined);
      if (value === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    t.is(value, 3, 'the same connection reads the last write');
    t.is((await cb.get('bystander')).value, 2);
  } finally {
    await stop();
  }
});

test.serial('(f) the views node dying while a page is being received: the stream errors, it never completes early', async (t) => {
  const { emu, cb, stop } = await cluster(5);
  try {
    await cb.setMulti(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}`, { n: i }])));
    const many = { views: { many: { map: 'function (doc, meta) { for (var i = 0; i < 400; i++) emit([doc.n, i], "some value to make the rows longer"); }' } } };
    await cb.designCreate('f', many, { useDevmode: false, syncwait: 10 });
    const native = coreOf(cb).native;
    const original = native.viewQuery;
    let killed = false;
    Object.defineProperty(native, 'viewQuery', {
      configurable: true,
      value: (spec: Parameters<typeof original>[0], onRows: Parameters<typeof original>[1]) => original.call(native, spec, (rows, end) => {
        if (!killed && !end && rows.length > 2) {
          killed = true;
          void Promise.all([0, 1, 2].map((i) => emu.stopNode(i)));
        }
        onRows(rows, end);
      }),
    });
    let n = 0;
    const outcome = await (async () => {
      try {
        for await (const _ of cb.query('f', 'many', { stale: false, pageSize: 200_000, timeout: 5 })) n++;
        return 'completed';
      } catch (error) {
        return error;
      }
    })();
    delete (native as { viewQuery?: unknown }).viewQuery;
    t.true(killed, 'the nodes went away while rows were arriving');
    t.true(outcome instanceof CouchbaseError, `after ${n} of 120000 rows: ${String(outcome)}`);
    t.log(`view stream cut mid-page: ${String((outcome as Error).name)} after ${n} rows handed out`);
    await Promise.all([0, 1, 2].map((i) => emu.startNode(i)));
  } finally {
    await stop();
  }
});

test.serial('(g) a worker thread terminated with operations in flight and a view streaming: the process goes on', async (t) => {
  const { emu, cb, stop } = await cluster(5);
  try {
    const worker = new Worker(`
      (async () => {
        const { register } = await import('tsx/esm/api');
        register();
        await import(${JSON.stringify(new URL('./busy-worker.ts', import.meta.url).href)});
      })().catch((e) => { console.error(e); process.exit(1); });`, {
      eval: true,
      workerData: { connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password },
    });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    await worker.terminate();
    t.is(typeof (await exited), 'number');
    await cb.set('after-worker', 1);
    t.is((await cb.get('after-worker')).value, 1, 'this thread\'s connection still works');
  } finally {
    await stop();
  }
});
