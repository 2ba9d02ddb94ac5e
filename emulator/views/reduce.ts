/**
 * Reductions: the built-in `_count`, `_sum` and `_stats` (couchstore `src/views/reducers.cc`,
 * couchdb `couch_set_view_mapreduce.erl`) and custom JavaScript reduce functions with rereduce.
 *
 * Couchbase keeps reductions in the inner nodes of its B-tree, so a JavaScript reduce sees
 * `reduce(keys, values, false)` over runs of rows and `reduce(null, reductions, true)` over the
 * results. The emulator reproduces that shape with runs of REDUCE_CHUNK rows. As in couchstore,
 * `keys` holds the emitted keys only (no document ids).
 */
import type { Sandbox } from './sandbox.js';
import type { IndexRow } from './indexer.js';

/** Rows fed to one reduce call before results are rereduced (a B-tree leaf's worth). */
export const REDUCE_CHUNK = 64;

/** A reduction failed: reported in the response's `errors` list, as Couchbase does. */
export class ReduceError extends Error {
  override readonly name = 'ReduceError';
}

export type BuiltinReduce = '_count' | '_sum' | '_stats';

export const BUILTIN_REDUCES: ReadonlySet<string> = new Set(['_count', '_sum', '_stats']);

/** Reduces rows[from..to) (in the order given) to the JSON text of the reduction. */
export type Reducer = (rows: readonly IndexRow[], from: number, to: number) => string;

/** printf("%.15g"), which couchstore uses for `_sum` results. */
export function formatSum(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n) && Math.abs(n) < 1e15) return String(n);
  const p = Number(n.toPrecision(15));
  const exp = p === 0 ? 0 : Math.floor(Math.log10(Math.abs(p)));
  if (exp < -4 || exp >= 15) {
    // %g exponent form: mantissa without trailing zeros, exponent with at least 2 digits.
    const [m, e] = p.toExponential(14).split('e');
    const mantissa = m.includes('.') ? m.replace(/\.?0+$/, '') : m;
    const ev = Number(e);
    return `${mantissa}e${ev < 0 ? '-' : '+'}${String(Math.abs(ev)).padStart(2, '0')}`;
  }
  return String(p);
}

function numericValue(row: IndexRow, builtin: string): number {
  const v = JSON.parse(row.valueJson) as unknown;
  if (typeof v !== 'number') {
    throw new ReduceError(`Builtin ${builtin} function requires map values to be numbers`);
  }
  return v;
}

export function builtinReducer(name: BuiltinReduce): Reducer {
  switch (name) {
    case '_count':
      return (_rows, from, to) => String(to - from);
    case '_sum':
      return (rows, from, to) => {
        let total = 0;
        for (let i = from; i < to; i++) total += numericValue(rows[i], '_sum');
        return formatSum(total);
      };
    case '_stats':
      return (rows, from, to) => {
        if (to <= from) return '{}';
        let sum = 0;
        let sumsqr = 0;
        let min = Infinity;
        let max = -Infinity;
        for (let i = from; i < to; i++) {
          const v = numericValue(rows[i], '_stats');
          sum += v;
          sumsqr += v * v;
          if (v < min) min = v;
          if (v > max) max = v;
        }
        return `{"sum":${sum},"count":${to - from},"min":${min},"max":${max},"sumsqr":${sumsqr}}`;
      };
  }
}

/** A reducer running custom function `fn` of `sandbox`, with rereduce over chunks. */
export function jsReducer(sandbox: Sandbox, fn: number): Reducer {
  return (rows, from, to) => {
    const run = (keys: string, values: string, rereduce: boolean): string => {
      try {
        return sandbox.reduce(fn, keys, values, rereduce);
      } catch (e) {
        throw new ReduceError((e as Error).message);
      }
    };
    let partials: string[] = [];
    for (let start = from; start < to; start += REDUCE_CHUNK) {
      const end = Math.min(to, start + REDUCE_CHUNK);
      const keys: string[] = [];
      const values: string[] = [];
      for (let i = start; i < end; i++) {
        keys.push(rows[i].keyJson);
        values.push(rows[i].valueJson);
      }
      partials.push(run(`[${keys.join(',')}]`, `[${values.join(',')}]`, false));
    }
    if (partials.length === 0) return run('[]', '[]', false);
    while (partials.length > 1) {
      const next: string[] = [];
      for (let i = 0; i < partials.length; i += REDUCE_CHUNK) {
        next.push(run('null', `[${partials.slice(i, i + REDUCE_CHUNK).join(',')}]`, true));
      }
      partials = next;
    }
    return partials[0];
  };
}
