/**
 * Like counters ("Food for thought": like and unlike a beer or a brewery). Each lives in its own
 * counter document beside the one liked, changed with incr/decr: a like never conflicts with an
 * edit of the document, and concurrent likes all count.
 */
import type { Couchbase } from '../../src/index.js';

export function likesKey(id: string): string {
  return `${id}::likes`;
}

/** The count a counter document read back as, 0 when there is none yet. */
export function likesFrom(result: { success: boolean; value?: unknown } | undefined): number {
  const n = Number(result?.success ? result.value : 0);
  return Number.isFinite(n) ? n : 0;
}

export async function like(db: Pick<Couchbase, 'incr'>, id: string): Promise<number> {
  return Number((await db.incr(likesKey(id), { initial: 1 })).value);
}

/** Counters stop at 0 (the server never takes them below), so an extra unlike does nothing. */
export async function unlike(db: Pick<Couchbase, 'decr'>, id: string): Promise<number> {
  return Number((await db.decr(likesKey(id), { initial: 0 })).value);
}
