/**
 * Option readers shared by the operators.
 * @internal
 * @module
 */
import { MAX_OUTSTANDING } from '../../batcher.js';
import { argError } from '../../options.js';

/** Keys in flight by default: as many as the native connection keeps in libcouchbase at once. */
export const DEFAULT_CONCURRENCY = MAX_OUTSTANDING;

/** A positive integer `concurrency`, or the default. */
export function readConcurrency(where: string, v: unknown): number {
  if (v === undefined) return DEFAULT_CONCURRENCY;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 1_000_000) {
    throw argError(`${where}: 'concurrency' must be an integer from 1 to 1,000,000, got ${String(v)}`, v);
  }
  return v;
}

/** One of `choices`, or the first of them. */
export function readChoice<T extends string>(where: string, name: string, v: unknown, choices: readonly T[]): T {
  if (v === undefined) return choices[0]!;
  if (typeof v !== 'string' || !choices.includes(v as T)) {
    throw argError(`${where}: '${name}' must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${JSON.stringify(v)}`, v);
  }
  return v as T;
}
