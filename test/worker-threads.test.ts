/**
 * Several worker_threads each load the addon (context-aware: one instance per thread),
 * open their own connection and use it at the same time; then exit cleanly.
 * This file is both the test (main thread) and the worker body (worker threads).
 */
import { isMainThread, parentPort, workerData, Worker } from 'node:worker_threads';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Starts a worker running a TypeScript module (tsx registered inside the worker). */
function tsWorker(entry: URL, workerData: unknown): Worker {
  return new Worker(`
    (async () => {
      const { register } = await import('tsx/esm/api');
      register();
      await import(${JSON.stringify(entry.href)});
    })().catch((e) => { console.error(e); process.exit(1); });`, { eval: true, workerData });
}

interface Job { connectionString: string; username?: string; password?: string; id: number; count: number }

if (!isMainThread) {
  const job = workerData as Job;
  const { Couchbase } = await import('../src/index.js');
  const cb = await Couchbase.connect({ connectionString: job.connectionString, username: job.username, password: job.password, timeout: 10 });
  if (job.id === -1) {
    await cb.set('from-worker', 1);
    parentPort!.postMessage('connected');
    setInterval(() => cb.get('from-worker').subscribe({ error: () => {} }), 1);
    await new Promise(() => {});
  }
  const kv: Record<string, unknown> = {};
  for (let i = 0; i < job.count; i++) kv[`w${job.id}-${process.pid}-${i}`] = { worker: job.id, i };
  await cb.setMulti(kv);
  const got = await cb.getMulti(Object.keys(kv));
  let ok = 0;
  for (const [k, r] of got) if ((r.value as { worker: number }).worker === job.id && k.startsWith(`w${job.id}-`)) ok++;
  const ctr = await cb.incr(`ctr-${process.pid}`, { initial: 0, amount: 1 });
  await cb.close();
  parentPort!.postMessage({ id: job.id, ok, counter: typeof ctr.value });
} else {
  const { default: test } = await import('ava');
  const native = fileURLToPath(new URL('../build/Release/couchbase_rx.node', import.meta.url));
  if (!existsSync(native)) {
    console.log(`worker-threads test skipped: native addon not built (${native} is missing)`);
    test.skip('several worker threads each use their own connection at once', () => {});
  } else {
    test('several worker threads each use their own connection at once', async (t) => {
      const { startServer } = await import('./helpers/harness.js');
      const server = await startServer('emulator', { nodes: 2 });
      try {
        const N = 4;
        const results = await Promise.all(Array.from({ length: N }, (_, id) => new Promise<{ id: number; ok: number; code: number }>((resolve, reject) => {
          const w = tsWorker(new URL(import.meta.url), {
            connectionString: server.connectionString, username: server.username, password: server.password, id, count: 500,
          } satisfies Job);
          let msg: { id: number; ok: number } | undefined;
          w.on('message', (m) => { msg = m; });
          w.on('error', reject);
          w.on('exit', (code) => (msg ? resolve({ ...msg, code }) : reject(new Error(`worker ${id} exited with ${code} without a result`))));
        })));
        for (const r of results) {
          t.is(r.ok, 500, `worker ${r.id}`);
          t.is(r.code, 0, `worker ${r.id} exit code`);
        }
        // and the main thread can still use its own connection alongside
        const cb = await server.connect();
        t.true((await cb.set('main-thread', 1)).success);
        await cb.close();
      } finally {
        await server.stop();
      }
    });

    test('a worker terminated with an open, busy connection does not take the process down', async (t) => {
      // Run in a child process, so that a native abort fails this test instead of the whole file.
      const { startServer } = await import('./helpers/harness.js');
      const { spawn } = await import('node:child_process');
      const server = await startServer('emulator');
      try {
        const job = { connectionString: server.connectionString, username: server.username, password: server.password, id: -1, count: 0 };
        const script = `
          const { Worker } = require('node:worker_threads');
          const w = new Worker(${JSON.stringify(`(async () => { const { register } = await import('tsx/esm/api'); register(); await import(${JSON.stringify(new URL(import.meta.url).href)}); })().catch((e) => { console.error(e); process.exit(1); });`)}, { eval: true, workerData: ${JSON.stringify(job)} });
          w.once('message', async () => { await new Promise((r) => setTimeout(r, 50)); const code = await w.terminate(); console.log('terminated', code); });
          w.once('error', (e) => { console.error(e); process.exit(2); });`;
        const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('..', import.meta.url)) });
        let out = '';
        child.stdout.on('data', (d) => { out += d; });
        child.stderr.on('data', (d) => { out += d; });
        const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
        t.log(out.trim().split('\n').slice(0, 4).join('\n'));
        t.is(signal, null, 'the process was killed by a signal');
        t.is(code, 0);
        t.regex(out, /terminated/);
      } finally {
        await server.stop();
      }
    });
  }
}
