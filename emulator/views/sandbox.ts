/**
 * Runs a design document's map and reduce functions in a `node:vm` context of their own,
 * with a wall-clock limit on every entry into that context.
 *
 * The context gets what Couchbase's map/reduce engine gives functions (couchdb
 * `src/mapreduce/mapreduce.cc` and `jsfunctions/builtin.js`): `emit(key, value)`,
 * `log(msg)`, `sum(values)`, `dateToArray(date)` and `decodeBase64(string)`. Keys and values
 * are serialised with JSON.stringify inside the context (`undefined` becomes `null`); a key of
 * 4096 bytes or more ("too long key emitted") and more than 1 MiB emitted for one document
 * ("too much data emitted") are errors for that document, as in Couchbase.
 *
 * `node:vm` is no security boundary by itself, so:
 * - nothing crosses it but strings and numbers: documents go in as JSON text, results come out
 *   as one string, errors are turned into strings inside;
 * - the emulator enters the context only through scripts run with the time limit, or through
 *   driver methods that touch nothing user code can reach (its state is private to a closure,
 *   kept in primitives and prototype-less objects, and every method wants a secret only the
 *   emulator holds), so no user getter, setter or replaced built-in ever runs without the limit;
 * - no promise can be made (no `Promise`, `async`, `await` or `import`, no string compilation,
 *   no WebAssembly or Atomics): a rejected promise nobody handles would take the whole process
 *   down, and `import()` fails with an error from the emulator's realm, whose constructor
 *   reaches `process`;
 * - callbacks that run later, outside any limit (FinalizationRegistry), are absent.
 */
import vm from 'node:vm';
import { randomBytes } from 'node:crypto';
import { types } from 'node:util';

/** Couchbase's per-document map output limits (mapreduce.cc MAX_EMIT_KEY_SIZE, max_kv_size_per_doc). */
export const MAX_EMIT_KEY_BYTES = 4096;
export const MAX_EMIT_BYTES_PER_DOC = 1024 * 1024;

/** A function ran past its time limit: the design document is unusable until it changes. */
export class SandboxTimeoutError extends Error {
  override readonly name = 'SandboxTimeoutError';
}

/** A function did not compile, or compiled to something that is not a function. */
export class SandboxCompileError extends Error {
  override readonly name = 'SandboxCompileError';
}

/** One document's input to the map functions. */
export interface MapInput {
  /** JSON text of the document, or its base64 form when it is not JSON. */
  body: string;
  /** True when `body` is JSON text (meta.type "json"); false: `doc` is the base64 string. */
  json: boolean;
  /** JSON text of `meta`. */
  meta: string;
}

/**
 * Per document and map function: a flat [keyJson, valueJson, keyJson, valueJson, ...] list, or
 * an error message when the function threw for that document.
 */
export type MapResult = string[] | string;

const DRIVER = '__couchbaseViewDriver';

/** Globals of a fresh context that user code must not have (see the module comment). */
const REMOVED_GLOBALS = ['Promise', 'FinalizationRegistry', 'WebAssembly', 'Atomics', 'SharedArrayBuffer', 'console'];

/** Syntax that makes promises; refused in function sources (escaped spellings are syntax errors). */
const PROMISE_SYNTAX = /\b(async|await|import)\b/;

// The prelude runs once per context, before any user code, and evaluates to a function the
// emulator calls with the driver's secret. It captures the built-ins it relies on, so user code
// replacing JSON.parse or Date.now later changes nothing here.
//
// Map output is one string: per document and map function, "R<n>:" and n items "<length>:<text>"
// (key and value JSON texts, alternating), or "E<length>:<message>".
const PRELUDE = `(function (global) {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, now = Date.now, create = Object.create;
  var defineProperty = Object.defineProperty, freeze = Object.freeze;
  var removed = ${JSON.stringify(REMOVED_GLOBALS)};
  for (var r = 0; r < removed.length; r++) delete global[removed[r]];
  if (typeof Array.fromAsync === 'function') delete Array.fromAsync;
  var MAX_KEY = ${MAX_EMIT_KEY_BYTES}, MAX_KV = ${MAX_EMIT_BYTES_PER_DOC};
  var maps = create(null), mapCount = 0, reduces = create(null), reduceCount = 0;
  var input = null, output = '', pos = 0, current = -1, reduceInput = null;
  // The map function running now: emit() appends to chunk.
  var mapping = false, chunk = '', items = 0, emitted = 0;
  // Memory taken by this run's emitted rows (bytes plus a per-row allowance).
  var runTotal = 0;

  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }
  function describe(e) {
    try {
      var s = '' + e;
      if (e && typeof e === 'object' && typeof e.stack === 'string') {
        var m = /<anonymous>:(\\d+):(\\d+)/.exec(e.stack);
        if (m) s += ' (line ' + m[1] + ':' + m[2] + ')';
      }
      return '' + s;
    } catch (e2) {
      return 'runtime error';
    }
  }
  function emit(key, value) {
    if (!mapping) return;
    var k = stringify(key);
    if (typeof k !== 'string') k = 'null';
    var kb = k.length * 3 < MAX_KEY ? k.length : utf8Length(k);
    if (kb >= MAX_KEY) throw 'too long key emitted: ' + kb + ' bytes';
    var v = stringify(value);
    if (typeof v !== 'string') v = 'null';
    chunk += k.length + ':' + k + v.length + ':' + v;
    items += 2;
    emitted += kb + v.length;
    runTotal += kb + v.length + 64;
    if (emitted > MAX_KV) throw 'too much data emitted: ' + emitted + ' bytes';
  }
  function log() {}
  function sum(values) {
    var total = 0;
    for (var i = 0; i < values.length; i++) total += values[i];
    return total;
  }
  function dateToArray(date) {
    var d = date && typeof date.getUTCDate === 'function' ? date : new Date(date);
    if (!isFinite(d.valueOf())) return null;
    return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(),
            d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
  }
  var B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function decodeBase64(text) {
    if (typeof text !== 'string') throw 'Input is not a string';
    if (text.length % 4 !== 0) throw 'Invalid base64 source.';
    var bytes = [], pad = 0;
    if (text.length && text.charAt(text.length - 1) === '=') pad = text.charAt(text.length - 2) === '=' ? 2 : 1;
    for (var i = 0; i < text.length; i += 4) {
      var n = 0;
      for (var j = 0; j < 4; j++) {
        var ch = text.charAt(i + j);
        n = n * 64 + (ch === '=' ? 0 : Math.max(0, B64.indexOf(ch)));
      }
      bytes.push((n >> 16) & 255, (n >> 8) & 255, n & 255);
    }
    if (pad) bytes.length -= pad;
    return bytes;
  }

  var names = { emit: emit, log: log, sum: sum, dateToArray: dateToArray, decodeBase64: decodeBase64 };
  for (var name in names) {
    defineProperty(global, name, { value: names[name], writable: true, configurable: true });
  }

  return function (secret) {
    function check(token) {
      if (token !== secret) throw 'not the view engine';
    }
    var driver = freeze({
      addMap: function (t, fn) { check(t); maps[mapCount] = fn; return mapCount++; },
      addReduce: function (t, fn) { check(t); reduces[reduceCount] = fn; return reduceCount++; },
      setInput: function (t, value) { check(t); input = value; output = ''; pos = 0; current = -1; mapping = false; runTotal = 0; },
      setReduceInput: function (t, value) { check(t); reduceInput = value; },
      setBudget: function (t, ms) { check(t); input.budget = ms; },
      seek: function (t, at) { check(t); pos = at; },
      position: function (t) { check(t); return pos; },
      current: function (t) { check(t); return current; },
      output: function (t) { check(t); return output; },
      runTotal: function (t) { check(t); return runTotal; },
      // Maps input.docs[pos..] until done, past input.budget ms or past input.maxBytes emitted
      // (at least one document). A document's records join the output once all its maps ran.
      mapSlice: function (t) {
        check(t);
        var docs = input.docs, budget = input.budget, start = now(), first = pos, n = mapCount;
        while (pos < docs.length) {
          if (pos > first && (now() - start > budget || runTotal > input.maxBytes)) break;
          var item = docs[pos], doc, meta, bad = null, docOut = '';
          try {
            doc = item.json ? parse(item.body) : item.body;
            meta = parse(item.meta);
          } catch (e) {
            bad = describe(e);
          }
          for (var i = 0; i < n; i++) {
            if (bad !== null) { docOut += 'E' + bad.length + ':' + bad; continue; }
            var fn = maps[i];
            current = i;
            chunk = '';
            items = 0;
            emitted = 0;
            mapping = true;
            try {
              fn(doc, meta);
              mapping = false;
              docOut += 'R' + items + ':' + chunk;
            } catch (e) {
              mapping = false;
              var message = describe(e);
              docOut += 'E' + message.length + ':' + message;
            }
          }
          current = -1;
          output += docOut;
          pos++;
        }
        return pos;
      },
      // Runs reduce function reduceInput.fn; returns "=" + JSON text, or "!" + error message.
      reduce: function (t) {
        check(t);
        var r = reduceInput;
        try {
          var result = reduces[r.fn](parse(r.keys), parse(r.values), r.rereduce);
          var text = stringify(result);
          return '=' + (typeof text === 'string' ? text : 'null');
        } catch (e) {
          return '!' + describe(e);
        }
      },
    });
    defineProperty(global, '${DRIVER}', { value: driver, writable: false, configurable: false, enumerable: false });
    return driver;
  };
})(this)`;

/** The driver's methods; each wants the secret first. */
interface Driver {
  addMap(secret: string, fn: unknown): number;
  addReduce(secret: string, fn: unknown): number;
  setInput(secret: string, value: unknown): void;
  setReduceInput(secret: string, value: unknown): void;
  setBudget(secret: string, ms: number): void;
  seek(secret: string, at: number): void;
  position(secret: string): number;
  current(secret: string): number;
  output(secret: string): string;
  runTotal(secret: string): number;
}

/** Normalises a function source the way it is compiled: one parenthesised expression. */
function wrapSource(source: string): string {
  return `(${source.replace(/[\s;]+$/, '')}\n)`;
}

/** `import()` in a compiled function fails with a plain string, never an object of this realm. */
function refuseImport(): never {
  throw 'import is not available in view functions';
}

/** Reads "<length>:<text>" at `at`; returns the text and the position after it. */
function readCounted(out: string, at: number): [string, number] {
  const colon = out.indexOf(':', at);
  const len = Number(out.slice(at, colon));
  if (colon < 0 || !Number.isSafeInteger(len) || len < 0 || colon + 1 + len > out.length) throw new Error('malformed map output');
  return [out.slice(colon + 1, colon + 1 + len), colon + 1 + len];
}

/** Decodes the driver's map output (see PRELUDE) into `count` results. */
function decodeOutput(out: string, count: number): MapResult[] {
  const results: MapResult[] = [];
  let at = 0;
  while (results.length < count && at < out.length) {
    const tag = out[at];
    if (tag === 'E') {
      const [message, next] = readCounted(out, at + 1);
      results.push(message);
      at = next;
    } else if (tag === 'R') {
      const colon = out.indexOf(':', at);
      const n = Number(out.slice(at + 1, colon));
      if (colon < 0 || !Number.isSafeInteger(n) || n < 0) throw new Error('malformed map output');
      at = colon + 1;
      const row = new Array<string>(n);
      for (let i = 0; i < n; i++) [row[i], at] = readCounted(out, at);
      results.push(row);
    } else {
      throw new Error('malformed map output');
    }
  }
  return results;
}

/** An incremental map over a batch of documents (see Sandbox.mapBegin). */
export interface MapRun {
  /** Runs one slice; true once every document is mapped. Throws SandboxTimeoutError. */
  step(): boolean;
  /** Approximate memory of the rows emitted so far (a slice stops early past `maxBytes`). */
  emitted(): number;
  results(): MapResult[];
}

/** The sandbox of one design document. */
export class Sandbox {
  readonly #context: vm.Context;
  readonly #driver: Driver;
  readonly #secret = randomBytes(16).toString('hex');
  readonly #mapSlice: vm.Script;
  readonly #reduce: vm.Script;
  readonly #timeoutMs: number;
  #maps = 0;

  /** The limit of a second attempt, after a first one timed out (see map()). */
  get #retryTimeoutMs(): number {
    return Math.max(this.#timeoutMs * 4, 1000);
  }

  constructor(timeoutMs: number) {
    this.#timeoutMs = Math.max(1, Math.floor(timeoutMs));
    this.#context = vm.createContext(Object.create(null), {
      name: 'couchbase-views',
      codeGeneration: { strings: false, wasm: false },
      microtaskMode: 'afterEvaluate',
    });
    const init = vm.runInContext(PRELUDE, this.#context) as (secret: string) => Driver;
    this.#driver = init(this.#secret);
    // The secret is in these scripts' source, which user code cannot read.
    this.#mapSlice = new vm.Script(`${DRIVER}.mapSlice(${JSON.stringify(this.#secret)})`, { filename: 'couchbase-views-driver' });
    this.#reduce = new vm.Script(`${DRIVER}.reduce(${JSON.stringify(this.#secret)})`, { filename: 'couchbase-views-driver' });
  }

  /** Compiles a map function; throws SandboxCompileError with V8's message. */
  addMap(source: string): number {
    const index = this.#driver.addMap(this.#secret, this.#compile(source));
    this.#maps = index + 1;
    return index;
  }

  /** Compiles a custom (JavaScript) reduce function. */
  addReduce(source: string): number {
    return this.#driver.addReduce(this.#secret, this.#compile(source));
  }

  #compile(source: string): unknown {
    const promise = PROMISE_SYNTAX.exec(source);
    if (promise) throw new SandboxCompileError(`\`${promise[1]}' is not available in view functions`);
    let value: unknown;
    try {
      const script = new vm.Script(wrapSource(source), { filename: '<anonymous>', importModuleDynamically: refuseImport });
      value = script.runInContext(this.#context, { timeout: this.#retryTimeoutMs });
    } catch (e) {
      throw new SandboxCompileError(isTimeout(e) ? 'timeout' : describeOutside(e));
    }
    if (typeof value !== 'function') throw new SandboxCompileError(`Invalid function: ${source}`);
    return value;
  }

  /** Time one map slice may take before it hands control back (it stops between documents). */
  get #sliceMs(): number {
    return Math.min(this.#timeoutMs, 50);
  }

  /**
   * Starts mapping documents with every map function; `step()` the returned run until it says
   * done (yielding to the event loop in between keeps the process responsive), then read
   * `results()`, indexed [doc * mapCount + map]. One run at a time per sandbox.
   */
  mapBegin(docs: MapInput[], ids: string[], maxBytes = Infinity): MapRun {
    const driver = this.#driver;
    const secret = this.#secret;
    driver.setInput(secret, { docs, budget: this.#sliceMs, maxBytes });
    let retried = -1;
    let finished = false;
    const step = (): boolean => {
      if (finished) return true;
      const at = driver.position(secret);
      if (at >= docs.length) return (finished = true);
      let fn = -1;
      try {
        // A slice stops taking documents once past its budget, so only a single call running
        // past the time limit hits the hard limit. The document is then retried alone, with
        // more time, so that a stall of the whole process (GC, a loaded machine) is not taken
        // for a loop.
        this.#mapSlice.runInContext(this.#context, {
          timeout: retried === at ? this.#retryTimeoutMs : this.#timeoutMs + this.#sliceMs,
        });
        if (retried === at) driver.setBudget(secret, this.#sliceMs);
      } catch (e) {
        fn = driver.current(secret);
        // The document in progress, or (no map function running: the time ran out in the
        // driver itself) the slice's first document.
        const culprit = fn >= 0 ? driver.position(secret) : at;
        if (isTimeout(e) && retried !== culprit) {
          driver.seek(secret, culprit);
          retried = culprit;
          driver.setBudget(secret, -1);
          return false;
        }
        finished = true;
        driver.setInput(secret, null);
        const reason = isTimeout(e) ? 'timeout' : describeOutside(e);
        throw new SandboxTimeoutError(reason, { cause: { doc: ids[culprit], map: fn } });
      }
      return (finished = driver.position(secret) >= docs.length);
    };
    const results = (): MapResult[] => {
      const count = docs.length * this.#maps;
      const out = decodeOutput(driver.output(secret), count);
      while (out.length < count) out.push('runtime error');
      driver.setInput(secret, null);
      return out;
    };
    return { step, results, emitted: () => driver.runTotal(secret) };
  }

  /** Maps documents synchronously (mapBegin, stepped to the end). */
  map(docs: MapInput[], ids: string[]): MapResult[] {
    const run = this.mapBegin(docs, ids);
    while (!run.step());
    return run.results();
  }

  /**
   * Runs a custom reduce: `keys` and `values` are JSON texts of arrays. Returns the JSON text of
   * the reduction; throws Error with the function's message, SandboxTimeoutError on timeout.
   */
  reduce(fn: number, keys: string, values: string, rereduce: boolean): string {
    let out: unknown;
    for (const timeout of [this.#timeoutMs, this.#retryTimeoutMs]) {
      this.#driver.setReduceInput(this.#secret, { fn, keys, values, rereduce });
      try {
        out = this.#reduce.runInContext(this.#context, { timeout });
        break;
      } catch (e) {
        if (!isTimeout(e)) throw new Error(describeOutside(e));
        if (timeout === this.#retryTimeoutMs) throw new SandboxTimeoutError('timeout');
      } finally {
        this.#driver.setReduceInput(this.#secret, null);
      }
    }
    if (typeof out !== 'string') throw new Error('runtime error');
    if (out.startsWith('!')) throw new Error(out.slice(1));
    return out.slice(1);
  }
}

/**
 * `e` when it is an error made by Node or V8 in this realm (compile errors, timeouts), else
 * undefined. Values thrown by user code come from the sandbox realm and are never touched:
 * a Proxy or a getter there would run user code outside the time limit.
 */
function hostError(e: unknown): Error | undefined {
  if (typeof e !== 'object' || e === null || types.isProxy(e)) return undefined;
  for (let p = Object.getPrototypeOf(e); p !== null; p = Object.getPrototypeOf(p)) {
    if (types.isProxy(p)) return undefined;
    if (p === Error.prototype) return e as Error;
  }
  return undefined;
}

/** Node raises the timeout error in the sandbox realm: read its own `code` without getters. */
function isTimeout(e: unknown): boolean {
  if (typeof e !== 'object' || e === null || types.isProxy(e)) return false;
  return Object.getOwnPropertyDescriptor(e, 'code')?.value === 'ERR_SCRIPT_EXECUTION_TIMEOUT';
}

/** Message of an error raised by vm itself (compile errors, timeouts): never calls user code. */
function describeOutside(e: unknown): string {
  const err = hostError(e);
  if (err) {
    const where = /<anonymous>:(\d+)(?::(\d+))?/.exec(err.stack ?? '');
    const line = where ? ` (line ${where[1]}:${where[2] ?? 0})` : '';
    return `${err.name}: ${err.message}${line}`;
  }
  if (typeof e === 'string') return e;
  return 'runtime error';
}
