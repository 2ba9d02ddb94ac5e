/**
 * The RxJS side of getEach/storeEach: feeds a BulkWindow from the source and emits what it
 * releases. A pullable source (an Observable that is also an AsyncIterable: a View, or
 * `pullable(...)`) is pulled one input per free slot, so it is read no faster than results
 * drain; a push source cannot be slowed, and what it pushes beyond the free slots waits in a
 * queue. Teardown is synchronous: the source is released, in-flight inputs are dropped.
 * @internal
 * @module
 */
import { Observable, takeWhile, type OperatorFunction, type Subscription } from 'rxjs';
import type { CallSite } from '../../op.js';
import { BulkWindow, type Start } from './bulk-window.js';
import { InputQueue } from './input-queue.js';

export interface BulkSpec {
  concurrency: number;
  ordered: boolean;
  /** Applied to the operator's own errors so that their stacks point at the user's pipe. */
  site: CallSite;
}

/** Per subscription: how inputs start, and what to release on teardown. */
export interface BulkRun<I, R> {
  start: Start<I, R>;
  dispose?: () => void;
}

/** Where the inputs come from. */
interface Feed {
  /** Subscribes to (or opens) the source. */
  begin(): void;
  /** Called whenever a slot may have come free. */
  refill(): void;
  /** Nothing received and not yet started. */
  readonly idle: boolean;
  close(): void;
}

/** An Observable the bulk operators can pull from. */
export function isPullable<T>(source: Observable<T>): source is Observable<T> & AsyncIterable<T> {
  return typeof (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] === 'function';
}

export function bulkOperator<I, R>(spec: BulkSpec, run: () => BulkRun<I, R>): OperatorFunction<I, R> {
  return (source) => new Observable<R>((subscriber) => {
    const { start, dispose } = run();
    let sourceDone = false;
    const finish = (): void => {
      if (sourceDone && window.occupied === 0 && feed.idle) subscriber.complete();
    };
    const window: BulkWindow<I, R> = new BulkWindow<I, R>(start, spec.ordered, (result) => {
      subscriber.next(result);
      feed.refill();
      finish();
    }, (error) => subscriber.error(error instanceof Error ? spec.site.apply(error) : error));

    const feed = isPullable(source) ? pullFeed(source) : pushFeed(source);

    /** Pulls the next input whenever a slot is free and no pull is pending. */
    function pullFeed(src: AsyncIterable<I>): Feed {
      let it: AsyncIterator<I> | undefined;
      let pulling = false;
      const refill = (): void => {
        if (pulling || sourceDone || subscriber.closed || window.occupied >= spec.concurrency) return;
        pulling = true;
        let next: Promise<IteratorResult<I>>;
        try {
          next = it!.next();
        } catch (error) {
          return subscriber.error(error);
        }
        next.then((r) => {
          pulling = false;
          if (subscriber.closed) return;
          if (r.done) {
            sourceDone = true;
            return finish();
          }
          window.push(r.value);
          refill();
        }, (error: unknown) => {
          pulling = false;
          subscriber.error(error);
        });
      };
      return {
        begin: () => {
          it = src[Symbol.asyncIterator]();
          refill();
        },
        refill,
        get idle() {
          return !pulling;
        },
        close: () => {
          // A pending next() is answered first; return() then runs the source's finally blocks.
          if (it?.return) void it.return().catch(() => {});
        },
      };
    }

    /** Starts inputs as they come while slots are free; queues the rest. */
    function pushFeed(src: Observable<I>): Feed {
      const queue = new InputQueue<I>();
      let refilling = false;
      let again = false;
      // Trampolined: a synchronous reply must not recurse once per queued input.
      const refill = (): void => {
        if (refilling) {
          again = true;
          return;
        }
        refilling = true;
        do {
          again = false;
          while (!subscriber.closed && !queue.empty && window.occupied < spec.concurrency) window.push(queue.shift());
        } while (again && !subscriber.closed);
        refilling = false;
      };
      let subscription: Subscription | undefined;
      return {
        begin: () => {
          // takeWhile: a source still pushing synchronously when the window fails (before this
          // subscribe function has even returned its teardown) stops at its next value.
          subscription = src.pipe(takeWhile(() => !subscriber.closed)).subscribe({
            next: (input) => {
              if (queue.empty && window.occupied < spec.concurrency) window.push(input);
              else queue.push(input);
            },
            error: (error: unknown) => subscriber.error(error),
            complete: () => {
              sourceDone = true;
              finish();
            },
          });
        },
        refill,
        get idle() {
          return queue.empty;
        },
        close: () => {
          subscription?.unsubscribe();
          queue.clear();
        },
      };
    }

    try {
      feed.begin();
    } catch (error) {
      subscriber.error(error);
    }
    return () => {
      feed.close();
      window.close();
      dispose?.();
    };
  });
}
