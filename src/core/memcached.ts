/**
 * The one place that knows what a memcached:// connection cannot do: memcached has no
 * GET_LOCKED/UNLOCK (it drops the connection on them), no replicas, no observe and so no
 * durability. Such commands are refused before anything is sent.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import { NotSupportedError } from '../errors/index.js';
import type { KeyOp } from '../kv/context.js';
import type { Result } from '../results.js';

/** What a key op needs that memcached lacks, or undefined. */
function unsupported(op: KeyOp<Result>): string | undefined {
  const code = op.cmd.op;
  if (code === NativeOp.GetAndLock || code === NativeOp.Unlock) return 'locks';
  if (code === NativeOp.GetReplica) return 'replica reads';
  if (code === NativeOp.Observe) return 'observe';
  if (op.durability) return 'persistTo/replicateTo';
  return undefined;
}

/** Throws NotSupportedError when memcached cannot run `op`. */
export function checkMemcachedOp(where: string, op: KeyOp<Result>): void {
  const what = unsupported(op);
  if (what) throw new NotSupportedError(`${where}: ${what} are not supported on a memcached:// connection`, { key: op.key });
}

/** Throws NotSupportedError for the first op memcached cannot run. */
export function checkMemcachedSupport(where: string, ops: readonly KeyOp<Result>[]): void {
  for (const op of ops) checkMemcachedOp(where, op);
}

/** Throws NotSupportedError for a capability memcached lacks as a whole (durability, views). */
export function refuseOnMemcached(where: string, what: string): never {
  throw new NotSupportedError(`${where}: ${what} are not supported on a memcached:// connection`);
}
