// Issue 11, "Found already": writes in windows while a node is stopped and started again.
// A node that comes back must receive each write once. libcouchbase sent some twice: commands
// queued for a node whose reconnect attempt was refused stayed in the pipeline's send buffer
// while their retried copies waited in the retry queue, and the connection that finally
// succeeded carried both. A second SET gives the document a CAS the client never saw (the
// durability check then reports "modified again"); a second INCR counts twice.
// native/patches/0008-no-resend-after-failed-connect.patch is the fix.
import test, { type ExecutionContext } from 'ava';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, CouchbaseError, KeyExistsError, type Couchbase } from '../../src/index.js';

const DOCS = Number(process.env.RELIABILITY_RESTART_DOCS ?? 30_000);
const WINDOW = 1_000;
const OUTAGE_MS = 2_500;

let emu: Emulator;
let cb: Couchbase;

test.before(async () => {
  emu = await startEmulator({ nodes: 3, replicas: 1, buckets: ['default'], views: false });
  cb = await connect({ connectionString: emu.connectionString, username: emu.username, password: emu.password, bucket: 'default', timeout: 5 });
});

test.after.always(async () => {
  await cb?.close();
  await emu?.stop();
});

async function control(path: string): Promise<void> {
  const auth = 'Basic ' + Buffer.from(`${emu.username}:${emu.password}`).toString('base64');
  const r = await fetch(emu.restUrl + path, { method: 'POST', headers: { authorization: auth } });
  if (r.status !== 200) throw new Error(`${path}: HTTP ${r.status}`);
}

/**
 * Runs `docs / WINDOW` windows; before the middle one, stops `node` (the client sees its sockets
 * close) and starts it again OUTAGE_MS later. Returns the failed windows' messages and how many
 * keys they held.
 */
async function acrossRestart(t: ExecutionContext, node: number, docs: number, runWindow: (keys: string[]) => Promise<void>): Promise<{ failed: string[]; unsettled: number }> {
  const failed: string[] = [];
  let unsettled = 0;
  let restarted: Promise<void> | undefined;
  const windows = Math.ceil(docs / WINDOW);
  for (let w = 0; w < windows; w++) {
    if (w === Math.floor(windows / 2)) {
      await control(`/_emulator/nodes/${node}/stop`);
      await sleep(300);
      restarted = sleep(OUTAGE_MS).then(() => control(`/_emulator/nodes/${node}/start`));
    }
    const keys: string[] = [];
    for (let i = w * WINDOW; i < Math.min(docs, (w + 1) * WINDOW); i++) keys.push(String(i));
    try {
      await runWindow(keys);
    } catch (error) {
      if (!(error instanceof CouchbaseError)) throw error;
      unsettled += keys.length;
      failed.push(`window ${w}: ${error.constructor.name}: ${error.message}`);
      if (error instanceof KeyExistsError) t.log(`window ${w}: keys nobody else writes reported as modified again`);
    }
  }
  await restarted;
  for (const f of failed) t.log(f);
  return { failed, unsettled };
}

test.serial('durable setMulti across a node restart: every write applied once, with the CAS it was acknowledged with', async (t) => {
  t.timeout(120_000);
  const acknowledged = new Map<string, bigint>();
  const { failed, unsettled } = await acrossRestart(t, 1, DOCS, async (keys) => {
    const results = await cb.setMulti(new Map(keys.map((k) => [`set-${k}`, { n: Number(k) }])), { persistTo: 1, replicateTo: 1 });
    for (const [key, r] of results) acknowledged.set(key, r.cas);
  });
  t.log(`attempted ${DOCS}, acknowledged ${acknowledged.size}, in failed windows ${unsettled}`);
  t.is(acknowledged.size + unsettled, DOCS);
  t.deepEqual(failed, [], 'a 2.5 s outage fits in the 5 s timeout: every window completes');
  const stored = await cb.getMulti([...acknowledged.keys()]);
  let lost = 0;
  let otherCas = 0;
  for (const [key, cas] of acknowledged) {
    const r = stored.get(key);
    if (!r?.success) lost++;
    else if (r.cas !== cas) otherCas++;
  }
  t.is(lost, 0, 'every acknowledged write is readable');
  t.is(otherCas, 0, 'the server holds the CAS each set returned (no write applied twice)');
  t.true((await cb.set('set-after', 'still here', { persistTo: 1, replicateTo: 1 })).success, 'the same connection object works after the restart');
});

test.serial('incrMulti across a node restart: every counter incremented exactly once', async (t) => {
  t.timeout(120_000);
  const docs = Math.min(DOCS, 10_000);
  const all = Array.from({ length: docs }, (_, i) => `ctr-${i}`);
  for (let i = 0; i < docs; i += WINDOW) await cb.setMulti(new Map(all.slice(i, i + WINDOW).map((k) => [k, 0])));
  const incremented = new Set<string>();
  const { failed, unsettled } = await acrossRestart(t, 2, docs, async (keys) => {
    const results = await cb.incrMulti(keys.map((k) => `ctr-${k}`), { amount: 1 });
    for (const key of results.keys()) incremented.add(key);
  });
  t.log(`attempted ${docs}, acknowledged ${incremented.size}, in failed windows ${unsettled}`);
  t.deepEqual(failed, []);
  const values = await cb.getMulti(all);
  const counts = new Map<string, number>();
  for (const key of incremented) {
    const v = String(values.get(key)?.value);
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  t.deepEqual([...counts], [['1', incremented.size]], 'each acknowledged increment counted once');
});
