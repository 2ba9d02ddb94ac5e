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
 * Nothing crosses the boundary but strings and numbers: documents go in as JSON text and are
 * parsed inside, results come out as JSON text, and errors are turned into strings inside
 * (a hostile `toString` then runs under the time limit too). The driver's state is private
 * to a closure and the global it hangs off is read-only, so user code cannot tamper with it.
 */
import vm from 'node:vm';
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

// The prelude runs once per context, before any user code. It captures the built-ins it
// relies on, so user code replacing JSON.parse or Date.now later changes nothing here.
const PRELUDE = `(function (global) {
  'use strict';
  var parse = JSON.parse, stringify = JSON.stringify, now = Date.now;
  var MAX_KEY = ${MAX_EMIT_KEY_BYTES}, MAX_KV = ${MAX_EMIT_BYTES_PER_DOC};
  var maps = [], reduces = [];
  var input = null, output = null, pos = 0, current = -1, sink = null, emitted = 0, reduceInput = null;
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
      return s;
    } catch (e2) {
      return 'runtime error';
    }
  }
  function emit(key, value) {
    if (sink === null) return;
    var k = stringify(key);
    if (k === undefined) k = 'null';
    var kb = k.length * 3 < MAX_KEY ? k.length : utf8Length(k);
    if (kb >= MAX_KEY) throw 'too long key emitted: ' + kb + ' bytes';
    var v = stringify(value);
    if (v === undefined) v = 'null';
    sink[sink.length] = k;
    sink[sink.length] = v;
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

  var driver = Object.freeze({
    addMap: function (fn) { maps.push(fn); return maps.length - 1; },
    addReduce: function (fn) { reduces.push(fn); return reduces.length - 1; },
    setInput: function (value) { input = value; output = []; pos = 0; current = -1; sink = null; runTotal = 0; },
    runTotal: function () { return runTotal; },
    setReduceInput: function (value) { reduceInput = value; },
    setBudget: function (ms) { input.budget = ms; },
    seek: function (at) { pos = at; },
    position: function () { return pos; },
    current: function () { return current; },
    output: function () { return output; },
    // Maps input.docs[pos..] until done, past input.budget ms or past input.maxBytes emitted
    // (at least one document).
    mapSlice: function () {
      var docs = input.docs, budget = input.budget, start = now(), first = pos, n = maps.length;
      while (pos < docs.length) {
        if (pos > first && (now() - start > budget || runTotal > input.maxBytes)) break;
        var item = docs[pos], doc, meta, bad = null;
        try {
          doc = item.json ? parse(item.body) : item.body;
          meta = parse(item.meta);
        } catch (e) {
          bad = describe(e);
        }
        for (var i = 0; i < n; i++) {
          if (bad !== null) { output[pos * n + i] = bad; continue; }
          current = i;
          sink = [];
          emitted = 0;
          try {
            maps[i](doc, meta);
            output[pos * n + i] = sink;
          } catch (e) {
            sink = null;
            output[pos * n + i] = describe(e);
          }
          sink = null;
        }
        current = -1;
        pos++;
      }
      return pos;
    },
    // Runs reduce function reduceInput.fn; returns "=" + JSON text, or "!" + error message.
    reduce: function () {
      var r = reduceInput;
      try {
        var result = reduces[r.fn](parse(r.keys), parse(r.values), r.rereduce);
        var text = stringify(result);
        return '=' + (text === undefined ? 'null' : text);
      } catch (e) {
        return '!' + describe(e);
      }
    },
  });
  var names = { emit: emit, log: log, sum: sum, dateToArray: dateToArray, decodeBase64: decodeBase64 };
  for (var name in names) {
    Object.defineProperty(global, name, { value: names[name], writable: true, configurable: true });
  }
  Object.defineProperty(global, '${DRIVER}', { value: driver, writable: false, configurable: false, enumerable: false });
})(this);`;

interface Driver {
  addMap(fn: unknown): number;
  addReduce(fn: unknown): number;
  setInput(value: unknown): void;
  setReduceInput(value: unknown): void;
  setBudget(ms: number): void;
  seek(at: number): void;
  position(): number;
  current(): number;
  output(): unknown[];
  runTotal(): number;
  mapSlice(): number;
  reduce(): string;
}

const mapSliceScript = new vm.Script(`${DRIVER}.mapSlice()`, { filename: 'couchbase-views-driver' });
const reduceScript = new vm.Script(`${DRIVER}.reduce()`, { filename: 'couchbase-views-driver' });

/** Normalises a function source the way it is compiled: one parenthesised expression. */
function wrapSource(source: string): string {
  return `(${source.replace(/[\s;]+$/, '')}\n)`;
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
      codeGeneration: { strings: true, wasm: false },
      microtaskMode: 'afterEvaluate',
    });
    vm.runInContext(PRELUDE, this.#context);
    this.#driver = vm.runInContext(DRIVER, this.#context) as Driver;
  }

  /** Compiles a map function; throws SandboxCompileError with V8's message. */
  addMap(source: string): number {
    const index = this.#driver.addMap(this.#compile(source));
    this.#maps = index + 1;
    return index;
  }

  /** Compiles a custom (JavaScript) reduce function. */
  addReduce(source: string): number {
    return this.#driver.addReduce(this.#compile(source));
  }

  #compile(source: string): unknown {
    let value: unknown;
    try {
      const script = new vm.Script(wrapSource(source), { filename: '<anonymous>' });
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
    driver.setInput({ docs, budget: this.#sliceMs, maxBytes });
    let retried = -1;
    let finished = false;
    const step = (): boolean => {
      if (finished) return true;
      const at = driver.position();
      if (at >= docs.length) return (finished = true);
      let fn = -1;
      try {
        // A slice stops taking documents once past its budget, so only a single call running
        // past the time limit hits the hard limit. The document is then retried alone, with
        // more time, so that a stall of the whole process (GC, a loaded machine) is not taken
        // for a loop.
        mapSliceScript.runInContext(this.#context, {
          timeout: retried === at ? this.#retryTimeoutMs : this.#timeoutMs + this.#sliceMs,
        });
        if (retried === at) driver.setBudget(this.#sliceMs);
      } catch (e) {
        fn = driver.current();
        // The document in progress, or (no map function running: the time ran out in
        // microtasks queued by the slice) the slice's first document.
        const culprit = fn >= 0 ? driver.position() : at;
        if (isTimeout(e) && retried !== culprit) {
          driver.seek(culprit);
          retried = culprit;
          driver.setBudget(-1);
          return false;
        }
        finished = true;
        driver.setInput(null);
        const reason = isTimeout(e) ? 'timeout' : describeOutside(e);
        throw new SandboxTimeoutError(reason, { cause: { doc: ids[culprit], map: fn } });
      }
      return (finished = driver.position() >= docs.length);
    };
    const results = (): MapResult[] => {
      const n = this.#maps;
      const raw = driver.output();
      const out: MapResult[] = new Array(docs.length * n);
      for (let i = 0; i < out.length; i++) {
        const r = raw[i];
        if (typeof r === 'string') out[i] = r;
        else if (Array.isArray(r)) {
          const flat = new Array<string>(r.length);
          for (let j = 0; j < r.length; j++) flat[j] = String(r[j]);
          out[i] = flat;
        } else out[i] = 'runtime error';
      }
      driver.setInput(null);
      return out;
    };
    return { step, results, emitted: () => driver.runTotal() };
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
      this.#driver.setReduceInput({ fn, keys, values, rereduce });
      try {
        out = reduceScript.runInContext(this.#context, { timeout });
        break;
      } catch (e) {
        if (!isTimeout(e)) throw new Error(describeOutside(e));
        if (timeout === this.#retryTimeoutMs) throw new SandboxTimeoutError('timeout');
      } finally {
        this.#driver.setReduceInput(null);
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
