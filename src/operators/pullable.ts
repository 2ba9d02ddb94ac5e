/**
 * pullable: an Observable over an iterable that getEach/storeEach pull from instead of
 * letting it push, so that a large or endless source runs in bounded memory.
 * @module
 */
import { Observable, from } from 'rxjs';

/**
 * An Observable that is also an AsyncIterable. Subscribed to, it pushes like `from(iterable)`;
 * getEach and storeEach instead pull one item per free slot, so the iterable is read no faster
 * than results drain (the same holds for a view, which is pullable too).
 */
export class Pullable<T> extends Observable<T> implements AsyncIterable<T> {
  readonly #input: Iterable<T> | AsyncIterable<T>;

  constructor(input: Iterable<T> | AsyncIterable<T>) {
    super((subscriber) => from(input).subscribe(subscriber));
    this.#input = input;
  }

  /** An iterator over the items, one pulled per `next()`. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    const input = this.#input;
    if (Symbol.asyncIterator in input) return input[Symbol.asyncIterator]();
    const it = input[Symbol.iterator]();
    return {
      next: async () => it.next(),
      return: async (value?: unknown) => it.return?.(value as T) ?? { done: true, value: value as T },
    };
  }
}

/**
 * Wraps an iterable (a generator, a readline interface, an array...) so that the bulk
 * operators pull from it.
 *
 * Items are pulled one at a time, only while the operator has a free slot. A generator object
 * can be iterated once: a second subscription continues where the first stopped, so call
 * `pullable(gen())` again for a fresh run.
 *
 * ## Example
 * ```ts
 * import { take } from 'rxjs';
 * import { pullable, storeEach } from 'couchbase-rx/operators';
 * function* docs() { for (let i = 0; ; i++) yield [`log:${i}`, { i }] as const; }
 * pullable(docs()).pipe(storeEach(cb), take(1_000_000)).subscribe();   // bounded memory
 * ```
 *
 * @param input the items
 * @return an Observable of the items that getEach/storeEach pull from
 */
export function pullable<T>(input: Iterable<T> | AsyncIterable<T>): Pullable<T> {
  return new Pullable(input);
}
