/**
 * What the operators use of the connection core. The real ConnectionCore satisfies it; the
 * marble tests' fake core (marbles/helpers/fake-core.ts) implements it over cold() replies.
 * @internal
 * @module
 */
import type { Cancellable, Command, ResponseHandler } from '../../batcher.js';
import { coreOf, type Couchbase } from '../../connection.js';
import type { ConnectionCore } from '../../core/core.js';
import type { KvContext } from '../../kv/context.js';

export interface OperatorCore extends KvContext {
  /** memcached:// connections have no replicas, observe or durability. */
  readonly memcached: boolean;
  /** Commands enqueued in one tick go out as one native batch. */
  readonly batcher: { enqueue(cmd: Command, handler: ResponseHandler): Cancellable };
  settle: ConnectionCore['settle'];
  endure: ConnectionCore['endure'];
}

/** The core behind a connection, as the operators see it. */
export function operatorCore(cb: Couchbase): OperatorCore {
  return coreOf(cb);
}
