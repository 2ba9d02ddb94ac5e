/**
 * ViewRow: one row of a view result (the seed's `ViewRow`): the emitted key and value, the id of
 * the document that emitted it, and the document itself with `includeDocs`.
 * @module
 */
import { inspect } from 'node:util';
import type { ValueResult } from '../results.js';

/**
 * One row of a view: what the map function emitted, and which document emitted it.
 * `String(row)` prints `ViewRow<Key=[ 'abbaye_de_leffe' ], Value=null, DocID=abbaye_de_leffe>`.
 */
export class ViewRow<K = unknown, V = unknown, D = unknown> {
  constructor(
    /** The key emitted by the map function (the group key of a reduce row). */
    readonly key: K,
    /** The value emitted (the reduced value of a reduce row). */
    readonly value: V,
    /** The id of the document that emitted the row; undefined on reduce rows. */
    readonly docid: string | undefined,
    /**
     * With `includeDocs`: the document as a get returns it. A document deleted since it was
     * indexed gives a failed result (`success` false), not a failed query.
     */
    public doc?: ValueResult<D>,
  ) {}

  /** Same as `docid` (the seed's `vr.id`). */
  get id(): string | undefined {
    return this.docid;
  }

  /** The row in the seed's printed form. */
  toString(): string {
    const f = (v: unknown) => inspect(v, { breakLength: Infinity, depth: 3 });
    return `ViewRow<Key=${f(this.key)}, Value=${f(this.value)}, DocID=${this.docid ?? ''}${this.doc ? `, Doc=${String(this.doc)}` : ''}>`;
  }

  /** node:util.inspect (and console.log) show the same form as toString. */
  [inspect.custom](): string {
    return this.toString();
  }
}
