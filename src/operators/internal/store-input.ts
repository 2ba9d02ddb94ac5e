/**
 * The inputs of storeEach: `[key, value]` pairs or Items, each turned into a store KeyOp with
 * the operator's options (an Item's own CAS applies, as in the …Multi calls with items).
 * Durability is left out of the op: the operators wait for it through the durability gate.
 * @internal
 * @module
 */
import { Item } from '../../items.js';
import type { KeyOp, KvContext, StoreOptions } from '../../kv/context.js';
import { storeOp, type StoreMode } from '../../kv/store.js';
import { argError } from '../../options.js';
import type { OperationResult } from '../../results.js';

/** One document for storeEach. */
export type StoreInput<V = unknown> = readonly [key: string, value: V] | Item<V>;

/** The store options applied to every input (no durability, no CAS: an Item brings its own). */
export type StoreCommon = Pick<StoreOptions, 'ttl' | 'format'>;

export function storeInputOp(ctx: KvContext, mode: StoreMode, where: string, input: unknown, o: StoreCommon): KeyOp<OperationResult> {
  if (input instanceof Item) return storeOp(ctx, mode, where, input.key, input.value, o, input);
  if (!Array.isArray(input) || input.length !== 2) throw argError(`${where}: expected [key, value] pairs or Items`, input);
  return storeOp(ctx, mode, where, input[0] as string, input[1], o);
}
