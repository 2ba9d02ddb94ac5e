/**
 * One key op through the batcher, outside the core's multi machinery: each key settles on its
 * own (the operators emit in completion order), and the durability phase is the operators'
 * own (see durability-gate.ts), so the KeyOps given here carry none.
 * @internal
 * @module
 */
import type { Cancellable, Response } from '../../batcher.js';
import { checkMemcachedOp } from '../../core/memcached.js';
import type { CouchbaseError } from '../../errors/index.js';
import type { KeyOp } from '../../kv/context.js';
import type { Result } from '../../results.js';
import type { OperatorCore } from './core-port.js';

/** Called once per key: its result, and its error unless it succeeded (or was quiet about it). */
export type KeyDone<R> = (result: R, error: CouchbaseError | undefined) => void;

/**
 * Enqueues `op` in this tick's batch; `done` runs once its final response is in. Throws
 * NotSupportedError on memcached:// for what memcached lacks. The handle drops the command
 * (this tick) or the interest in its reply (later).
 */
export function runKeyOp<R extends Result>(core: OperatorCore, where: string, op: KeyOp<R>, done: KeyDone<R>): Cancellable {
  if (core.memcached) checkMemcachedOp(where, op);
  let responses: Response[] | undefined;
  return core.batcher.enqueue(op.cmd, (resp) => {
    if (!resp.final) {
      (responses ??= []).push(resp);
      return;
    }
    const rs = responses ? (responses.push(resp), responses) : [resp];
    responses = undefined;
    const [result, error] = core.settle(op, rs);
    done(result, error);
  });
}
