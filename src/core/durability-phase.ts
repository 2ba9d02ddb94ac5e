/**
 * The second phase of stores and deletes with persistTo/replicateTo: once every command of a
 * call has its response, the keys that succeeded are polled (one observe batch per round for
 * all of them) until durable. A key whose durability fails carries that failure in its own
 * result (rc set, `success` false, the mutation's CAS kept) as well as in its error.
 * @internal
 * @module
 */
import type { CouchbaseError } from '../errors/index.js';
import type { KeyOp } from '../kv/context.js';
import type { Result } from '../results.js';
import type { ConnectionCore, ExecuteDone } from './core.js';

/** Runs the phase, then `done`; returns a cancel function. */
export function durabilityPhase<R extends Result>(
  core: ConnectionCore,
  ops: readonly KeyOp<R>[],
  results: R[],
  errors: Array<CouchbaseError | undefined>,
  done: ExecuteDone<R>,
): () => void {
  // One multi call usually has one requirement; group by it so that each group polls as one.
  const groups = new Map<string, number[]>();
  for (let i = 0; i < ops.length; i++) {
    const d = ops[i]!.durability;
    if (!d || errors[i] || !results[i]!.success) continue;
    const id = `${d.persistTo}/${d.replicateTo}/${d.checkRemoved}`;
    (groups.get(id) ?? groups.set(id, []).get(id)!).push(i);
  }
  if (groups.size === 0) {
    done(results, errors);
    return () => {};
  }
  let remaining = groups.size;
  const subscriptions = [...groups.values()].map((idx) => {
    const d = ops[idx[0]!]!.durability!;
    const targets = idx.map((i) => ({ key: ops[i]!.key, cas: results[i]!.cas }));
    return core.endure(targets, d).subscribe({
      next: ({ index, error }) => {
        if (!error) return;
        const i = idx[index]!;
        results[i]!.rc = error.rc;
        error.result = results[i];
        errors[i] = error;
      },
      error: (error: CouchbaseError) => {
        for (const i of idx) {
          if (errors[i]) continue;
          results[i]!.rc = error.rc;
          errors[i] = error;
        }
        if (--remaining === 0) done(results, errors);
      },
      complete: () => {
        if (--remaining === 0) done(results, errors);
      },
    });
  });
  return () => {
    for (const s of subscriptions) s.unsubscribe();
  };
}
