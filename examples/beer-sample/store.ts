/** Reading a beer or brewery document, its version (CAS) and its like counter in one batch. */
import { ArgumentError, type Couchbase } from '../../src/index.js';
import type { Kind } from './kinds.js';
import { likesFrom, likesKey } from './likes.js';
import { Problem } from './problems.js';

export type Doc = Record<string, unknown>;

export interface Loaded {
  id: string;
  doc: Doc;
  cas: bigint;
  likes: number;
}

function isKind(value: unknown, kind: Kind): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && (value as Doc).type === kind.type;
}

/**
 * The document `id` if it is one of `kind`; else a 404 Problem. An id that cannot be a key at
 * all (too long, say) is no different to a user from one that is not there.
 */
export async function load(db: Couchbase, kind: Kind, id: string): Promise<Loaded> {
  let found;
  try {
    found = await db.getMulti([id, likesKey(id)], { quiet: true });
  } catch (e) {
    if (e instanceof ArgumentError) throw notFound(kind, id);
    throw e;
  }
  const result = found.get(id);
  if (!result?.success || !isKind(result.value, kind)) throw notFound(kind, id);
  return { id, doc: result.value, cas: result.cas, likes: likesFrom(found.get(likesKey(id))) };
}

/** The name of the document `id`, or undefined when there is none of `kind`. */
export async function nameOf(db: Couchbase, kind: Kind, id: string): Promise<string | undefined> {
  try {
    const r = await db.get(id, { quiet: true });
    return r.success && isKind(r.value, kind) ? String(r.value.name ?? id) : undefined;
  } catch (e) {
    if (e instanceof ArgumentError) return undefined;
    throw e;
  }
}

export function notFound(kind: Kind, id: string): Problem {
  return new Problem(404, `No such ${kind.type} '${id}'`);
}
