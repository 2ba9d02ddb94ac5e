/**
 * TestScheduler wired to ava: marble expectations compare with t.deepEqual, errors by class,
 * message and key (stacks differ from run to run).
 */
import type { ExecutionContext } from 'ava';
import { TestScheduler } from 'rxjs/testing';

function plain(value: unknown): unknown {
  if (value instanceof Error) return { error: value.constructor.name, message: value.message, key: (value as { key?: unknown }).key };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** A TestScheduler whose assertions go through `t`. */
export function marbleScheduler(t: ExecutionContext): TestScheduler {
  return new TestScheduler((actual, expected) => t.deepEqual(plain(actual), plain(expected)));
}
