/**
 * The IxJS side of getEach/storeEach: pulls the source one input per free slot and yields
 * results as the consumer asks for them. A slot is held from the input's start until its
 * result is yielded, so a slow consumer slows the source end to end. Leaving the loop
 * (break, throw, return, abort) drops what is in flight and closes the source.
 * @internal
 * @module
 */
import { throwIfAborted } from 'ix/aborterror';
import { AsyncIterableX } from 'ix/asynciterable';
import { wrapWithAbort } from 'ix/asynciterable/operators/withabort';
import type { CallSite } from '../../op.js';
import type { BulkRun } from '../../operators/internal/bulk-operator.js';
import { BulkWindow } from '../../operators/internal/bulk-window.js';
import { InputQueue } from '../../operators/internal/input-queue.js';

export interface BulkIterableSpec {
  concurrency: number;
  ordered: boolean;
  site: CallSite;
}

export class BulkAsyncIterable<I, R> extends AsyncIterableX<R> {
  readonly #source: AsyncIterable<I>;
  readonly #spec: BulkIterableSpec;
  readonly #run: () => BulkRun<I, R>;

  constructor(source: AsyncIterable<I>, spec: BulkIterableSpec, run: () => BulkRun<I, R>) {
    super();
    this.#source = source;
    this.#spec = spec;
    this.#run = run;
  }

  async *[Symbol.asyncIterator](signal?: AbortSignal): AsyncGenerator<R, void, undefined> {
    throwIfAborted(signal);
    const { concurrency, ordered, site } = this.#spec;
    const { start, dispose } = this.#run();
    const ready = new InputQueue<R>();
    let failure: { error: unknown } | undefined;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const window = new BulkWindow<I, R>(start, ordered, (result) => {
      ready.push(result);
      notify();
    }, (error) => {
      failure ??= { error: error instanceof Error ? site.apply(error) : error };
      notify();
    });
    const it = wrapWithAbort(this.#source, signal)[Symbol.asyncIterator]();
    let pulling = false;
    let sourceDone = false;
    const pull = (): void => {
      pulling = true;
      Promise.resolve(it.next()).then((r) => {
        pulling = false;
        if (r.done) sourceDone = true;
        else window.push(r.value);
        notify();
      }, (error: unknown) => {
        pulling = false;
        failure ??= { error };
        notify();
      });
    };
    signal?.addEventListener('abort', notify);
    try {
      for (;;) {
        throwIfAborted(signal);
        if (failure) throw failure.error;
        if (!pulling && !sourceDone && window.occupied + ready.length < concurrency) pull();
        if (!ready.empty) {
          yield ready.shift();
          continue;
        }
        if (sourceDone && !pulling && window.occupied === 0) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
      }
    } finally {
      signal?.removeEventListener('abort', notify);
      window.close();
      dispose?.();
      // A pending next() is answered first; return() then runs the source's finally blocks.
      if (it.return) void Promise.resolve(it.return()).catch(() => {});
    }
  }
}
