// Issue 11 item 3, fuzzing the wire: the client talks to a server that answers KV with random,
// truncated, duplicated and reordered frames (and hostile cluster maps), and views, design
// documents and REST with random HTTP and JSON. Every call settles with a typed error or a
// result, within a bound; nothing crashes; the connection works again once the server behaves.
//
// A few seconds per scenario in `npm test`; WIRE_FUZZ_SECONDS=N runs each for N seconds,
// WIRE_FUZZ_SEED=S replays a run's random choices (the seed is logged; timing still varies).
import test, { type ExecutionContext } from 'ava';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import { connect, ConnectError, CouchbaseError, NetworkError, type Couchbase } from '../../src/index.js';
import { httpProxy, kvProxy, Rng, type HttpFuzz, type KvFuzz, type Tally } from './_wire-proxy.js';

const SECONDS = Number(process.env.WIRE_FUZZ_SECONDS ?? 4);
const SEED = Number(process.env.WIRE_FUZZ_SEED ?? Date.now() % 1_000_000);
/** A call not settled by then counts as hung (the operation timeout is 1 s, views 2 s). */
const DEADLINE_MS = 20_000;
const CONCURRENCY = 16;

interface Outcomes {
  calls: number;
  ok: number;
  errors: Record<string, number>;
  untyped: string[];
  hung: string[];
}

let emu: Emulator;

test.before(async () => {
  emu = await startEmulator({ nodes: 1, buckets: ['default'] });
  const cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password });
  await cb.setMulti(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`v${i}`, { i }])));
  const only = "if (meta.id.charAt(0) !== 'v') return; ";
  await cb.designCreate('fz', {
    views: {
      v: { map: `function (doc, meta) { ${only}emit(meta.id, doc.i); }` },
      r: { map: `function (doc, meta) { ${only}emit(doc.i, 1); }`, reduce: '_count' },
    },
  }, { useDevmode: false });
  await cb.close();
});

test.after.always(async () => {
  await emu?.stop();
});

/** Proxies in front of the emulator's KV, views and REST ports; cluster maps name the proxies. */
async function hostile(rng: Rng, kv: KvFuzz, http: HttpFuzz, tally: Tally) {
  const [node] = emu.nodes;
  const restPort = Number(new URL(emu.restUrl).port);
  const views = await httpProxy(node!.views, rng, http, tally);
  const rest = await httpProxy(restPort, rng, http, tally);
  const ports = new Map([[node!.views, views.port], [restPort, rest.port]]);
  const kvp = await kvProxy(node!.kv, ports, rng, kv, tally);
  ports.set(node!.kv, kvp.port);
  return {
    connectionString: `couchbase://127.0.0.1:${kvp.port}/default?bootstrap_on=cccp&views_timeout=2&http_timeout=2`,
    /** The KV node as the client's cluster map names it. */
    node: `127.0.0.1:${kvp.port}`,
    restart: () => kvp.reset(),
    close: async () => {
      await kvp.close();
      await views.close();
      await rest.close();
    },
  };
}

/** Settles `p` and files its outcome; a call past DEADLINE_MS is hung. */
async function run(o: Outcomes, what: string, p: () => PromiseLike<unknown>): Promise<void> {
  o.calls++;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'hung'>((resolve) => {
    timer = setTimeout(() => resolve('hung'), DEADLINE_MS);
  });
  try {
    const r = await Promise.race([Promise.resolve().then(p), deadline]);
    if (r === 'hung') o.hung.push(what);
    else o.ok++;
  } catch (error) {
    if (error instanceof CouchbaseError) o.errors[error.constructor.name] = (o.errors[error.constructor.name] ?? 0) + 1;
    else o.untyped.push(`${what}: ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** One random KV call against keys k0..k59 (some missing). */
function kvCall(cb: Couchbase, rng: Rng): [string, () => PromiseLike<unknown>] {
  const key = `k${rng.int(60)}`;
  const keys = Array.from({ length: 1 + rng.int(20) }, (_, i) => `k${(rng.int(60) + i) % 60}`).filter((k, i, a) => a.indexOf(k) === i);
  const calls: Array<[string, () => PromiseLike<unknown>]> = [
    ['get', () => cb.get(key)],
    ['set', () => cb.set(key, { i: rng.int(100), pad: 'x'.repeat(rng.int(2000)) })],
    ['add', () => cb.add(key, 'v')],
    ['replace', () => cb.replace(key, 'v')],
    ['delete', () => cb.delete(key)],
    ['incr', () => cb.incr(`c${rng.int(5)}`, { initial: 0 })],
    ['decr', () => cb.decr(`c${rng.int(5)}`, { initial: 9 })],
    ['append', () => cb.append(`s${rng.int(5)}`, 'x')],
    ['touch', () => cb.touch(key, { ttl: 100 })],
    ['lock', async () => {
      const r = await cb.lock(key, { ttl: 1 });
      await cb.unlock(key, r.cas);
    }],
    ['getReplica', () => cb.getReplica(key)],
    ['observe', () => cb.observe(key)],
    ['endure', () => cb.set(key, 'd', { persistTo: 1 })],
    ['stats', () => cb.stats()],
    ['getMulti', () => cb.getMulti(keys)],
    ['setMulti', () => cb.setMulti(Object.fromEntries(keys.map((k) => [k, { k }])))],
    ['incrMulti', () => cb.incrMulti(keys.map((k) => `c-${k}`), { initial: 1 })],
  ];
  return rng.pick(calls);
}

/** One random views or design-document call. */
function viewCall(cb: Couchbase, rng: Rng): [string, () => PromiseLike<unknown>] {
  const rows = async (view: string, options: Record<string, unknown>) => {
    let n = 0;
    for await (const _row of cb.query('fz', view, { timeout: 2, ...options })) if (++n > 200) break;
  };
  const calls: Array<[string, () => PromiseLike<unknown>]> = [
    ['query', () => rows('v', { limit: 1 + rng.int(60) })],
    ['query paged', () => rows('v', { pageSize: 7 })],
    ['query reduce', () => rows('r', { group: true })],
    ['query includeDocs', () => rows('v', { limit: 10, includeDocs: true })],
    ['query keys', () => rows('v', { keys: ['v1', 'v2', 'nope'] })],
    ['designGet', () => cb.designGet('fz', { useDevmode: false })],
    ['designCreate', () => cb.designCreate(`x${rng.int(3)}`, { views: { v: { map: 'function (doc) { emit(null, null); }' } } })],
    ['designDelete', () => cb.designDelete(`x${rng.int(3)}`)],
  ];
  return rng.pick(calls);
}

/** Runs random calls from `pick` with CONCURRENCY in flight for SECONDS. */
async function hammer(cb: Couchbase, rng: Rng, o: Outcomes, pick: (cb: Couchbase, rng: Rng) => [string, () => PromiseLike<unknown>]): Promise<void> {
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < end) {
      const [what, call] = pick(cb, rng);
      await run(o, what, call);
    }
  }));
}

function check(t: ExecutionContext, name: string, o: Outcomes, tally: Tally): void {
  t.log(`${name} (seed ${SEED}): ${o.calls} calls, ${o.ok} ok, errors ${JSON.stringify(o.errors)}`);
  t.log(`  server misbehaviour: ${JSON.stringify(tally)}`);
  t.deepEqual(o.untyped, [], 'only CouchbaseError subclasses come out');
  t.deepEqual(o.hung, [], `every call settles within ${DEADLINE_MS} ms`);
  t.true(o.calls > 0);
}

/**
 * After the fuzz: the server behaves again and restarts (a connection left waiting for the rest
 * of a frame that will never come stays stuck until it is closed, as with any server), and the
 * same connection object works again. Unless the fuzz announced a newer cluster map naming other
 * nodes (seed 882429): the client follows the newest map, as every Couchbase SDK does, so it no
 * longer talks to this server and can never hear of an older map; then its calls must fail with a
 * ConnectError, and a new connection works.
 */
async function recovers(cb: Couchbase, proxy: string, behave: () => void): Promise<'works' | 'follows another map' | 'stuck'> {
  behave();
  const until = performance.now() + 15_000;
  let last: unknown;
  while (performance.now() < until) {
    try {
      await cb.set('recovered', 'yes');
      if ((await cb.get('recovered')).value === 'yes') return 'works';
    } catch (error) {
      last = error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return last instanceof ConnectError && !cb.serverNodes.includes(proxy) ? 'follows another map' : 'stuck';
}

test.serial('KV replies random, truncated, duplicated or silent: typed errors, no crash, no hang', async (t) => {
  t.timeout(SECONDS * 1000 + 120_000);
  const rng = new Rng(SEED);
  const tally: Tally = {};
  const kv: KvFuzz = { rate: 0.15, handshake: false };
  const proxy = await hostile(rng, kv, { rate: 0 }, tally);
  const o: Outcomes = { calls: 0, ok: 0, errors: {}, untyped: [], hung: [] };
  const cb = await connect({ connectionString: proxy.connectionString, username: emu.username, password: emu.password, timeout: 1 });
  try {
    await hammer(cb, rng, o, kvCall);
    check(t, 'KV', o, tally);
    const after = await recovers(cb, proxy.node, () => {
      kv.rate = 0;
      proxy.restart();
    });
    if (after === 'follows another map') {
      t.log(`  the connection follows a map the fuzz sent, naming ${cb.serverNodes.join(', ') || 'no node'}: ConnectError; a new connection:`);
      const fresh = await connect({ connectionString: proxy.connectionString, username: emu.username, password: emu.password, timeout: 1 });
      try {
        await fresh.set('recovered', 'fresh');
        t.is((await fresh.get('recovered')).value, 'fresh');
      } finally {
        await fresh.close();
      }
    } else {
      t.is(after, 'works', 'the same connection object works again once the server behaves');
    }
  } finally {
    await run(o, 'close', () => cb.close());
    await proxy.close();
  }
  t.deepEqual(o.hung, [], 'close() settles too');
});

test.serial('bootstrap against a server whose handshake replies are random: connect succeeds or fails typed, bounded', async (t) => {
  t.timeout(SECONDS * 1000 + 120_000);
  const rng = new Rng(SEED + 1);
  const tally: Tally = {};
  const proxy = await hostile(rng, { rate: 0.3, handshake: true }, { rate: 0 }, tally);
  const o: Outcomes = { calls: 0, ok: 0, errors: {}, untyped: [], hung: [] };
  try {
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      await run(o, 'connect', async () => {
        const cb = await connect({ connectionString: proxy.connectionString, username: emu.username, password: emu.password, timeout: 1, configTimeout: 2 });
        try {
          await cb.get(`k${rng.int(60)}`);
        } finally {
          await cb.close();
        }
      });
    }
    check(t, 'bootstrap', o, tally);
  } finally {
    await proxy.close();
  }
});

test.serial('views, design documents and REST answering random HTTP and JSON: typed errors, no crash, no hang', async (t) => {
  t.timeout(SECONDS * 1000 + 120_000);
  const rng = new Rng(SEED + 2);
  const tally: Tally = {};
  const http: HttpFuzz = { rate: 0.5 };
  const proxy = await hostile(rng, { rate: 0, handshake: false }, http, tally);
  const o: Outcomes = { calls: 0, ok: 0, errors: {}, untyped: [], hung: [] };
  const cb = await connect({ connectionString: proxy.connectionString, username: emu.username, password: emu.password, timeout: 1 });
  try {
    await hammer(cb, rng, o, viewCall);
    check(t, 'views', o, tally);
    http.rate = 0;
    let rows = 0;
    for await (const _row of cb.query('fz', 'v', { timeout: 5 })) rows++;
    t.is(rows, 50, 'the same connection queries views again once the server behaves');
  } finally {
    await run(o, 'close', () => cb.close());
    await proxy.close();
  }
  t.deepEqual(o.hung, [], 'close() settles too');
});

/**
 * Seed 820054: a corrupted byte gave a view row a raw U+0016 inside a string. libcouchbase's row
 * splitter (jsonsl) lets U+0014 to U+001F and malformed `\u` escapes through, JSON.parse refuses
 * them, and the exception escaped the rows callback: an uncaught exception that ended the process.
 * Seed 12: a corrupted row lost its "key" and paging past it said ArgumentError, as if the caller
 * had passed a bad startkey; a row that is not an object is as malformed.
 */
test.serial('view rows that are not view rows (not JSON, not an object, no key): the query fails typed, the connection goes on', async (t) => {
  const bad = ['{"id":"v1","key":"v\u0016","value":1}', '{"id":"v1","key":"v\\uzzzz","value":1}', 'null', '7', '{"id":"v1","k4y":"v1","value":1}'];
  const bodies = bad.map((row) => `{"total_rows":3,"rows":[\r\n{"id":"v0","key":"v0","value":0},\r\n${row},\r\n{"id":"v2","key":"v2","value":2}\r\n]}`);
  let answered = 0;
  const views = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(bodies[answered++ % bodies.length]);
  });
  await new Promise<void>((resolve) => views.listen(0, '127.0.0.1', resolve));
  const [node] = emu.nodes;
  const ports = new Map([[node!.views, (views.address() as AddressInfo).port]]);
  const kvp = await kvProxy(node!.kv, ports, new Rng(0), { rate: 0, handshake: false }, {});
  ports.set(node!.kv, kvp.port);
  const cb = await connect({ connectionString: `couchbase://127.0.0.1:${kvp.port}/default?bootstrap_on=cccp`, username: emu.username, password: emu.password, timeout: 2 });
  try {
    for (const row of bad) {
      const error = await t.throwsAsync(async () => {
        for await (const _row of cb.query('fz', 'v', { timeout: 5, pageSize: 1 }));
      });
      t.true(error instanceof NetworkError, `the row ${row}: ${error?.constructor.name}: ${error?.message}`);
      t.regex(error?.message ?? '', /not a view row/);
    }
    t.is(answered, bad.length, 'each query fails on its first page');
    await cb.set('after-bad-row', 'yes');
    t.is((await cb.get('after-bad-row')).value, 'yes');
  } finally {
    await cb.close();
    await kvp.close();
    await new Promise((resolve) => views.close(resolve));
  }
});
