// Issue 11 item 2, fuzzing the public API: every public method of Couchbase called with random
// keys, values, option objects and argument types. Only CouchbaseError subclasses, TypeError or
// RangeError come out (or the error a hostile argument threw itself), every call settles within
// a bound, nothing crashes, and the connection still works afterwards. A value over the
// server's 20 MiB limit fails with TooBigError, promptly.
//
// A few seconds in CI; API_FUZZ_SECONDS=N runs longer, API_FUZZ_SEED=S replays a run.
import test from 'ava';
import { startEmulator, type Emulator } from '../../emulator/index.js';
import {
  connect, Couchbase, CouchbaseError, FMT_BYTES, FMT_JSON, FMT_UTF8, FMT_AUTO, FMT_V8, Item, ItemOptionDict, ItemSequence, Query,
  TooBigError,
} from '../../src/index.js';
import { Rng } from './_wire-proxy.js';

const SECONDS = Number(process.env.API_FUZZ_SECONDS ?? 4);
const SEED = Number(process.env.API_FUZZ_SEED ?? Date.now() % 1_000_000);
const DEADLINE_MS = 20_000;
const MIB = 1024 * 1024;

/** Thrown by hostile arguments themselves (getters, proxies, toJSON): may come out as is. */
class HostileError extends Error {}

let emu: Emulator;
let cb: Couchbase;

test.before(async () => {
  emu = await startEmulator({ nodes: 2, replicas: 1, buckets: ['default'] });
  cb = await connect({ connectionString: `${emu.connectionString}/default`, username: emu.username, password: emu.password, timeout: 2 });
  await cb.setMulti(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, { i }])));
  await cb.designCreate('af', { views: { v: { map: 'function (doc, meta) { emit(meta.id, null); }' } } }, { useDevmode: false });
});

test.after.always(async () => {
  await cb?.close();
  await emu?.stop();
});

/** Random arguments of every kind: well-formed, edge-case and hostile. */
class Gen {
  constructor(private readonly rng: Rng) {}

  key(): unknown {
    const r = this.rng;
    if (r.chance(0.6)) return `f${r.int(25)}`;
    return r.pick([
      () => '',
      () => 'x'.repeat(250),
      () => 'x'.repeat(251),
      () => 'é'.repeat(126),
      () => '\u0000\uD800\uDFFF\uD800',
      () => `k ${r.int(1e6)}\n`,
      () => this.any(),
    ])();
  }

  value(): unknown {
    const r = this.rng;
    if (r.chance(0.5)) return { a: r.int(100) };
    return r.pick([
      () => ({ a: r.int(100), s: 'v'.repeat(r.int(100)) }),
      () => 'text',
      () => r.bytes(r.int(64)),
      () => [1, [2, [3]]],
      () => 2 ** 53 + 1,
      () => 10n ** 30n,
      () => new Date(0),
      () => { const o: Record<string, unknown> = {}; o.self = o; return o; },
      () => ({ toJSON() { throw new HostileError('toJSON'); } }),
      () => new Map([[1, 2]]),
      () => Symbol('s'),
      () => () => 1,
      () => undefined,
      () => this.any(),
    ])();
  }

  /** An option object for `names`: half the time a plausible one, else random values, unknown keys, hostile shapes. */
  options(names: readonly string[]): unknown {
    const r = this.rng;
    if (r.chance(0.5)) return r.chance(0.3) ? undefined : this.plausible(names);
    const shape = r.int(10);
    if (shape === 0) return this.any();
    if (shape === 1) return new Proxy({}, { get() { throw new HostileError('proxy get'); }, ownKeys() { throw new HostileError('proxy keys'); }, has() { throw new HostileError('proxy has'); } });
    if (shape === 2) return Object.create({ [r.pick(names)]: this.scalar() });
    const o: Record<string, unknown> = {};
    for (let i = r.int(4); i > 0; i--) o[r.chance(0.9) ? r.pick(names) : `bogus${r.int(3)}`] = this.scalar();
    if (shape === 3) Object.defineProperty(o, r.pick(names), { enumerable: true, get() { throw new HostileError('getter'); } });
    return o;
  }

  /** Known options with values that make sense for them (so calls also reach the server). */
  plausible(names: readonly string[]): Record<string, unknown> {
    const r = this.rng;
    const good: Record<string, () => unknown> = {
      ttl: () => r.pick([0, 1, 100]), syncwait: () => r.int(2), checkRemoved: () => r.chance(0.5), interval: () => 0.01, format: () => r.pick([FMT_JSON, FMT_UTF8, FMT_BYTES, FMT_AUTO]), persistTo: () => r.int(2),
      replicateTo: () => r.int(2), quiet: () => r.chance(0.5), amount: () => r.int(10), initial: () => r.int(10), index: () => r.int(2),
      limit: () => r.int(30), skip: () => r.int(5), descending: () => r.chance(0.5), stale: () => r.pick([false, 'ok', 'update_after']),
      includeDocs: () => r.chance(0.5), pageSize: () => 1 + r.int(10), timeout: () => 5, useDevmode: () => r.chance(0.5),
    };
    const o: Record<string, unknown> = {};
    for (const n of names) if (good[n] && r.chance(0.3)) o[n] = good[n]!();
    return o;
  }

  scalar(): unknown {
    const r = this.rng;
    return r.pick([0, 1, 2, -1, 0.5, 30, 31, 2 ** 31, 2 ** 32, 2 ** 53, Number.MAX_VALUE, NaN, Infinity, -Infinity, -0, 1n, -1n, 2n ** 64n,
      true, false, null, undefined, '', '1', 'abc', [], {}, FMT_JSON, FMT_UTF8, FMT_BYTES, FMT_AUTO, FMT_V8, 0xffffffff, Symbol('o')]);
  }

  any(): unknown {
    const r = this.rng;
    return r.pick([
      () => this.scalar(),
      () => [this.scalar(), this.scalar()],
      () => new Array(5),
      () => new Uint8Array(3),
      () => new ArrayBuffer(4),
      () => new Set([1]),
      () => new Map([[`f${r.int(5)}`, this.scalar()]]),
      () => ({ [`f${r.int(5)}`]: this.scalar() }),
      () => new Item(`f${r.int(5)}`, { i: 1 }),
      () => new ItemSequence([new Item(`f${r.int(5)}`, 'v'), new Item('', 1)]),
      () => { const d = new ItemOptionDict(); d.add(new Item(`f${r.int(5)}`, 'v'), { ttl: this.scalar() as number, fragment: 'x' }); return d; },
      () => new Query({ limit: r.int(5) }),
      () => ({ [Symbol.iterator]() { throw new HostileError('iterator'); } }),
      () => new Proxy([], { get() { throw new HostileError('proxy'); } }),
      () => Object.create(null),
      () => new Error('not a key'),
      () => /re/,
    ])();
  }

  /** Keys (and key → option maps) the …Multi forms take. */
  keys(): unknown {
    const r = this.rng;
    return r.pick([
      () => Array.from({ length: r.int(6) }, () => this.key()),
      () => Object.fromEntries(Array.from({ length: r.int(6) }, () => [printable(this.key()), r.chance(0.5) ? this.scalar() : this.value()])),
      () => new Map(Array.from({ length: r.int(6) }, () => [this.key(), this.scalar()])),
      () => ['f1', 'f1'],
      () => this.any(),
    ])();
  }
}

/** A property name for any value (some have no string form). */
/** An argument as text for the log of a hung call (bigints, symbols and hostile getters included). */
function describe(v: unknown): string {
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : typeof x === 'symbol' ? String(x) : x)) ?? printable(v);
  } catch {
    return printable(v);
  }
}

function printable(v: unknown): string {
  try {
    return String(v);
  } catch {
    return 'unprintable';
  }
}

/** Each method's option names (what src/kv/context.ts accepts), so plausible calls reach the server. */
const STORE = ['cas', 'ttl', 'format', 'persistTo', 'replicateTo'];
const KV: Record<string, readonly string[]> = {
  get: ['quiet', 'ttl', 'replica', 'noFormat'], set: STORE, add: STORE.slice(1), replace: STORE, delete: ['cas', 'quiet', 'persistTo', 'replicateTo'],
  incr: ['amount', 'initial', 'ttl'], decr: ['amount', 'initial', 'ttl'], append: STORE, prepend: STORE, touch: ['ttl'], lock: ['ttl'],
  unlock: [], getReplica: ['index', 'quiet', 'noFormat'], observe: [], endure: ['persistTo', 'replicateTo', 'cas', 'checkRemoved', 'timeout', 'interval'],
};
const MULTI: Record<string, string> = {
  getMulti: 'get', setMulti: 'set', addMulti: 'add', replaceMulti: 'replace', appendMulti: 'append', prependMulti: 'prepend', appendItems: 'append',
  prependItems: 'prepend', deleteMulti: 'delete', incrMulti: 'incr', decrMulti: 'decr', touchMulti: 'touch', lockMulti: 'lock', unlockMulti: 'unlock',
  getReplicaMulti: 'getReplica', observeMulti: 'observe', endureMulti: 'endure',
};
const DESIGN = ['designCreate', 'designGet', 'designPublish', 'designDelete'];
const EXTRA_NAMES = ['ignoreCas', 'fragment', 'useDevmode', 'syncwait', 'backoff', 'limit', 'bogus'];
const QUERY_NAMES = ['limit', 'skip', 'key', 'keys', 'startkey', 'endkey', 'descending', 'group', 'group_level', 'reduce', 'stale', 'includeDocs', 'pageSize', 'timeout', 'query', 'rowProcessor', 'inclusive_end', 'on_error', 'streaming'];

/** Every public method with the arguments of one random call. */
function randomCall(g: Gen, rng: Rng): [string, () => unknown, unknown[]] {
  const method = rng.pick([...Object.keys(KV), ...Object.keys(MULTI), ...DESIGN, 'stats', 'query']);
  const args: unknown[] = [];
  const single = KV[method] ? method : MULTI[method];
  if (KV[method]) {
    args.push(g.key());
    if (['set', 'add', 'replace', 'append', 'prepend'].includes(method)) args.push(method === 'append' || method === 'prepend' ? rng.pick(['x', Buffer.from('y'), g.value()]) : g.value());
    if (method === 'unlock') args.push(rng.pick([0n, 1n, -1n, 2n ** 64n, 5, 'cas', undefined]));
    else args.push(boundWait(g.options(rng.chance(0.9) ? KV[method]! : EXTRA_NAMES), 'timeout'));
  } else if (single) {
    args.push(g.keys());
    if (method !== 'unlockMulti' && method !== 'observeMulti') args.push(boundWait(g.options(rng.chance(0.9) ? KV[single]! : EXTRA_NAMES), 'timeout'));
  } else if (DESIGN.includes(method)) {
    args.push(rng.pick(['af', 'dz', '', 'a/b', '_design/x', g.any()]));
    if (method === 'designCreate') args.push(rng.pick([{ views: { v: { map: 'function (doc) { emit(1, 1); }' } } }, '{"views":{}}', '{bad json', { views: g.any() }, g.any()]));
    args.push(boundWait(g.options(['useDevmode', 'syncwait']), 'syncwait'));
  } else if (method === 'stats') {
    args.push(rng.pick(['', 'vbucket', 'nonsense', undefined, g.any()]));
  } else {
    args.push(rng.pick(['af', 'af', 'nope', '', g.any()]), rng.pick(['v', 'v', 'nope', g.any()]), g.options(QUERY_NAMES));
  }
  // Sometimes too few or too many arguments.
  if (rng.chance(0.05)) args.length = rng.int(args.length + 1);
  if (rng.chance(0.05)) args.push(g.any());
  const f = (cb as unknown as Record<string, (...a: unknown[]) => unknown>)[method]!;
  return [method, () => f.apply(cb, args), args];
}

/**
 * Waits that are asked for, bounded: a design call with `syncwait` waits that long for its change
 * to be visible, and the workers race on the same design documents, so it may never be; `endure`
 * with `timeout` polls that long for a key that may never persist (one that does not exist, or
 * that another worker rewrote). Above 5 s (the generator makes 30 s, 2^32 s, Number.MAX_VALUE)
 * the option is made 5 s, or the wait it asks for would count as a hang.
 */
function boundWait(o: unknown, name: 'syncwait' | 'timeout'): unknown {
  if (o === null || typeof o !== 'object') return o;
  let v: unknown;
  try {
    v = (o as Record<string, unknown>)[name];
  } catch {
    return o;
  }
  if (typeof v === 'number' && v > 5) Object.defineProperty(o, name, { value: 5, enumerable: true, configurable: true, writable: true });
  return o;
}

/** Waits for what a call returned: an Op resolves, a View is iterated (a few rows). */
async function settle(returned: unknown): Promise<void> {
  if (returned && typeof (returned as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' && !(returned instanceof Promise)) {
    let n = 0;
    for await (const _row of returned as AsyncIterable<unknown>) if (++n > 50) break;
    return;
  }
  await returned;
}

function acceptable(e: unknown): boolean {
  return e instanceof CouchbaseError || e instanceof TypeError || e instanceof RangeError || e instanceof HostileError;
}

test.serial('every public method with random arguments: typed errors only, every call settles, the connection survives', async (t) => {
  t.timeout(SECONDS * 1000 + 60_000);
  const rng = new Rng(SEED);
  const g = new Gen(rng);
  const figures = { calls: 0, ok: 0, syncThrows: 0, errors: {} as Record<string, number>, methods: new Set<string>() };
  const bad: string[] = [];
  const hung: string[] = [];
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(Array.from({ length: 8 }, async () => {
    while (performance.now() < end) {
      const [method, call, args] = randomCall(g, rng);
      figures.calls++;
      figures.methods.add(method);
      let returned: unknown;
      try {
        returned = call();
      } catch (e) {
        figures.syncThrows++;
        figures.errors[(e as Error)?.constructor?.name ?? typeof e] = (figures.errors[(e as Error)?.constructor?.name ?? typeof e] ?? 0) + 1;
        if (!acceptable(e)) bad.push(`${method} threw ${printable(e)}`);
        continue;
      }
      let timer: NodeJS.Timeout | undefined;
      try {
        const r = await Promise.race([settle(returned).then(() => 'ok'), new Promise((res) => { timer = setTimeout(() => res('hung'), DEADLINE_MS); })]);
        if (r === 'hung') {
          hung.push(method);
          t.log(`hung: ${method}(${args.map(describe).join(', ')})`);
        }
        else figures.ok++;
      } catch (e) {
        const name = (e as Error)?.constructor?.name ?? typeof e;
        figures.errors[name] = (figures.errors[name] ?? 0) + 1;
        if (!acceptable(e)) bad.push(`${method} rejected with ${name}: ${printable(e)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }));
  t.log(`seed ${SEED}: ${figures.calls} calls of ${figures.methods.size} methods, ${figures.ok} ok, ${figures.syncThrows} thrown synchronously`);
  t.log(`  errors: ${JSON.stringify(figures.errors)}`);
  t.deepEqual(bad, [], 'only CouchbaseError, TypeError or RangeError (or the hostile argument\'s own error)');
  t.deepEqual(hung, [], `every call settles within ${DEADLINE_MS} ms`);
  t.false(cb.closed);
  await cb.set('api-fuzz-after', { ok: true });
  t.deepEqual((await cb.get('api-fuzz-after')).value, { ok: true }, 'the connection still works');
});

test.serial('a value over the server\'s 20 MiB limit is a TooBigError, promptly; the connection still works', async (t) => {
  for (const [what, value, options] of [
    ['bytes', Buffer.alloc(20 * MIB + 1), { format: FMT_BYTES }],
    ['JSON', { s: 'x'.repeat(21 * MIB) }, {}],
    ['setMulti', null, {}],
  ] as const) {
    const started = performance.now();
    const error = what === 'setMulti'
      ? await t.throwsAsync(async () => { await cb.setMulti({ 'big-a': Buffer.alloc(21 * MIB), 'big-b': Buffer.from('small') }, { format: FMT_BYTES }); })
      : await t.throwsAsync(async () => { await cb.set(`big-${what}`, value, options); });
    const ms = performance.now() - started;
    t.log(`${what}: ${error?.constructor.name} after ${ms.toFixed(0)} ms`);
    t.true(error instanceof TooBigError, `${what}: ${String(error)}`);
    t.true(ms < 5_000, `${what}: answered in ${ms.toFixed(0)} ms`);
  }
  await cb.set('big-after', 'fine');
  t.is((await cb.get('big-after')).value, 'fine');
});
