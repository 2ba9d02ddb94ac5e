// View map code runs inside the emulator process: it must not reach that process (require,
// process, timers), escape through a constructor chain to the emulator's own Function, crash
// the process (an unhandled promise rejection does that), or run code outside its time limit.
import test from 'ava';
import { startCapi, type Capi } from './_helpers.js';

/** What a successful escape would set in this (the emulator's) realm. */
const MARK = '__viewSandboxEscaped';

/**
 * Each probe tries `reach()` (a candidate for the emulator realm's Function) and reports what
 * it got: the type of `process` there, or the error that stopped it. A reached Function also
 * marks this realm.
 */
function probe(reach: string): string {
  return `function (doc) {
    var verdict;
    try {
      var F = ${reach};
      verdict = String(F('globalThis.${MARK} = true; return typeof process')());
    } catch (e) {
      verdict = e && e.name ? e.name : String(e);
    }
    emit('verdict', verdict);
  }`;
}

const CHAINS: Record<string, string> = {
  thisConstructor: 'this.constructor.constructor',
  emitConstructor: 'emit.constructor',
  docConstructor: 'doc.constructor.constructor',
  argumentsCallee: 'arguments.callee.constructor',
  generatorFunction: 'Object.getPrototypeOf(function* () {}).constructor',
  typeErrorConstructor: '(function () { try { null.x; } catch (e) { return e.constructor.constructor; } })()',
  stackOverflowConstructor: '(function () { try { (function r() { r(); })(); } catch (e) { return e.constructor.constructor; } })()',
  stackFrames: `(function () {
    Error.prepareStackTrace = function (e, frames) { return frames; };
    var frames = new Error().stack;
    Error.prepareStackTrace = undefined;
    for (var i = 0; i < frames.length; i++) {
      var fn = frames[i].getFunction(), self = frames[i].getThis();
      if (fn && fn.constructor('return typeof process')() !== 'undefined') return fn.constructor;
      if (self && self.constructor && self.constructor.constructor('return typeof process')() !== 'undefined') return self.constructor.constructor;
    }
    return frames[frames.length - 1].constructor.constructor;
  })()`,
  callerChain: `(function () {
    var f = arguments.callee, seen = 0;
    while (f && f.caller && seen++ < 20) f = f.caller;
    return f.constructor;
  })()`,
  evalString: "eval('Function')",
};

let capi: Capi;

test.before(async () => {
  capi = await startCapi({ functionTimeoutMs: 100 });
  capi.source.set('doc', { a: 1 });
});

test.after.always(async () => {
  await capi?.close();
});

test('the emulator process is out of reach: no require, process, timers, promises or late callbacks', async (t) => {
  const names = ['require', 'process', 'module', 'exports', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout',
    'queueMicrotask', 'fetch', 'console', 'Promise', 'WebAssembly', 'FinalizationRegistry', 'Atomics', 'SharedArrayBuffer'];
  const put = await capi.putDesign('globals', {
    views: { v: { map: `function (doc) { var names = ${JSON.stringify(names)}; for (var i = 0; i < names.length; i++) emit(names[i], typeof globalThis[names[i]]); }` } },
  });
  t.is(put.status, 201);
  const rows = (await capi.view('globals', 'v')).body.rows as Array<{ key: string; value: string }>;
  t.deepEqual(Object.fromEntries(rows.map((r) => [r.key, r.value])), Object.fromEntries(names.map((n) => [n, 'undefined'])));
});

for (const [name, chain] of Object.entries(CHAINS)) {
  test(`constructor-chain escape refused: ${name}`, async (t) => {
    t.is((await capi.putDesign(`chain_${name}`, { views: { v: { map: probe(chain) } } })).status, 201);
    const res = await capi.view(`chain_${name}`, 'v');
    t.is(res.status, 200);
    const verdict = res.body.rows[0]?.value;
    t.not(verdict, 'object', `${name} reached the emulator's process`);
    t.true(verdict === 'undefined' || verdict === 'EvalError' || verdict === 'TypeError', `${name}: ${verdict}`);
    t.is((globalThis as Record<string, unknown>)[MARK], undefined);
  });
}

test('promise syntax is refused when the design document is saved: async, await, import()', async (t) => {
  const sources = {
    import: "function (doc) { import('node:child_process').catch(function (e) { e.constructor.constructor('return process')().exit(99); }); }",
    async: 'async function (doc) { emit(1, 1); }',
    asyncArrow: 'function (doc) { (async () => { throw new Error("unhandled"); })(); }',
    await: 'function (doc) { var x = await; }',
  };
  for (const [name, map] of Object.entries(sources)) {
    const put = await capi.putDesign(`promise_${name}`, { views: { v: { map } } });
    t.is(put.status, 400, name);
    t.is(put.body.error, 'invalid_design_document', name);
    t.regex(put.body.reason, /is not available in view functions/, name);
  }
  const hidden = await capi.putDesign('promise_eval', {
    views: { v: { map: "function (doc) { var verdict; try { eval('Promise.reject(1); imp' + 'ort(\"node:fs\")'); verdict = 'ran'; } catch (e) { verdict = e.name; } emit('verdict', verdict); }" } },
  });
  t.is(hidden.status, 201);
  t.deepEqual((await capi.view('promise_eval', 'v')).body.rows.map((r: { value: string }) => r.value), ['EvalError'], 'no compiling from strings');
});

test('user getters and replaced built-ins never run outside the time limit', async (t) => {
  t.timeout(20_000, 'a getter ran without the time limit and hung the emulator');
  const loop = 'function () { while (true) {} }';
  const put = await capi.putDesign('getters', {
    views: {
      // Evaluated when compiled: replaces what a naive driver would call for the next view.
      a: { map: `function (doc) {}, Array.prototype.push = ${loop}, Object.prototype.push = ${loop}, function (doc) { emit('a', 1); }` },
      b: { map: `function (doc) { Object.defineProperty(Array.prototype, '0', { get: ${loop}, set: function (v) {}, configurable: true }); emit('b', 1); }` },
      c: { map: `function (doc) { Object.defineProperty(Object.prototype, 'budget', { set: ${loop}, configurable: true }); emit('c', 1); }` },
      d: { map: 'function (doc) { emit("d", 1); }' },
    },
  });
  t.is(put.status, 201);
  const d = await capi.view('getters', 'd');
  t.is(d.status, 200);
  t.deepEqual(d.body.rows.map((r: { key: string }) => r.key), ['d'], 'the untouched view still answers');
  const b = await capi.view('getters', 'b');
  t.deepEqual(b.body.rows.map((r: { key: string }) => r.key), ['b'], 'an Array.prototype getter does not corrupt the output');
  t.is((await capi.view('getters', 'c')).status, 200);
});
