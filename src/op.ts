/**
 * Op<T>: what every operation returns. A cold Observable that emits once and completes,
 * and is also PromiseLike: `await op` runs it once; each `subscribe` runs it again;
 * unsubscribing before the reply drops interest in it (nothing is resent).
 * @module
 */
import { Observable, type Subscriber, type TeardownLogic } from 'rxjs';
import { CouchbaseError } from './errors/index.js';

/**
 * Call-site stacks. By default a single-key operation records nothing when it is called (a
 * capture costs more than the operation's own work): when it is awaited and fails, its error's
 * stack is taken again inside the promise chain, where V8 lists the async functions awaiting it
 * (`at async loadUser (app.ts:12:10)`), at no cost when it succeeds. Multi-key calls, views,
 * design documents, operators and `connect` record `frames` at the call (5 by default).
 *
 * `setCallSiteFrames(n)` with n > 0 makes single-key operations record n frames at the call as
 * well — for code that subscribes to them or passes callbacks to `then`, where no async function
 * awaits. A recording is shared by the calls of one method until the microtasks queued so far
 * have run (the 1,000 `cb.get(k)` of one `Promise.all(keys.map(...))` share the first one's);
 * `everyCall: true` records every call exactly. 0 turns recording off everywhere.
 */
export function setCallSiteFrames(frames: number, options?: { everyCall?: boolean }): void {
  if (!Number.isInteger(frames) || frames < 0 || frames > 100) throw new RangeError('setCallSiteFrames: an integer 0..100');
  if (options !== undefined && (typeof options !== 'object' || options === null)) throw new TypeError('setCallSiteFrames: options must be an object');
  CallSite.depth = frames;
  CallSite.perOperation = frames > 0;
  if (options?.everyCall !== undefined) CallSite.everyCall = Boolean(options.everyCall);
  shared.clear();
}

/** Call sites captured in this synchronous run, by method; cleared at the next microtask. */
const shared = new Map<Function, CallSite>();
let clearing = false;
const clearShared = (): void => {
  clearing = false;
  shared.clear();
};

/** Captures the user's call site; errors delivered later get this stack. @internal */
export class CallSite {
  /**
   * The call site of a call to `method` (frames above it): captured once per method per
   * synchronous run, unless {@link CallSite.everyCall}.
   */
  static of(method: Function): CallSite {
    if (CallSite.everyCall || CallSite.depth <= 0) return new CallSite(method);
    let site = shared.get(method);
    if (site === undefined) {
      site = new CallSite(method);
      shared.set(method, site);
      if (!clearing) {
        clearing = true;
        queueMicrotask(clearShared);
      }
    }
    return site;
  }

  /** A single-key operation's call site: nothing recorded unless {@link CallSite.perOperation}. */
  static ofOperation(method: Function): CallSite {
    return CallSite.perOperation ? CallSite.of(method) : UNRECORDED;
  }

  /** Capture at every call (see setCallSiteFrames). */
  static everyCall = false;

  /** Whether single-key operations record their call site (see setCallSiteFrames). */
  static perOperation = false;

  // The stack is captured structurally here and only formatted if an error needs it.
  #holder: { stack?: string } = {};
  /** Whether a stack was captured (false: errors get the awaiting code's stack instead). */
  readonly recorded: boolean;
  constructor(skip: Function | undefined) {
    const depth = CallSite.depth;
    this.recorded = skip !== undefined && depth > 0;
    if (!this.recorded) return;
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = depth;
    Error.captureStackTrace(this.#holder, skip);
    Error.stackTraceLimit = limit;
  }

  /**
   * Frames kept per call site. Capturing costs microseconds per operation, so it is bounded;
   * 0 turns call-site stacks off. Set through {@link setCallSiteFrames}.
   */
  static depth = 5;

  /** The captured stack text (formatted on first access). */
  get stack(): string | undefined {
    return this.#holder.stack;
  }

  /** Rewrites an error's stack to point at the call site (keeps its name and message). */
  apply<E extends Error>(error: E): E {
    if (!this.recorded) return error;
    const stack = this.stack;
    if (!stack) return error;
    const frames = stack.slice(stack.indexOf('\n') + 1);
    error.stack = `${error.name}: ${error.message}\n${frames}`;
    return error;
  }
}

const UNRECORDED = new CallSite(undefined);

/**
 * Takes a failed operation's stack again inside the promise chain that leads to the awaiting
 * code, where V8 appends the awaiting async functions (its zero-cost async stack traces): the
 * operation recorded nothing at the call, and the stack it was created with is the SDK's
 * dispatch loop. Runs on failure only (ThenSink).
 */
function withAwaitersStack(error: unknown): never {
  if (error instanceof Error) Error.captureStackTrace(error, withAwaitersStack);
  throw error;
}

/**
 * A single operation's outcome. Cold: nothing happens until it is subscribed to or awaited.
 *
 * ```ts
 * const r = await cb.get('k');                  // runs once
 * cb.get('k').pipe(retry(2)).subscribe(...)     // each subscription runs it again
 * ```
 */
export class Op<T> extends Observable<T> implements PromiseLike<T> {
  #run: ((sink: Sink<T>) => TeardownLogic) | undefined;
  /** Where the operation was called (errors get its stack). @internal */
  protected readonly site: CallSite | undefined;

  /** @internal `run` may be left out by a subclass that overrides {@link Op.run}. */
  constructor(run: ((sink: Sink<T>) => TeardownLogic) | undefined, site?: CallSite) {
    super();
    this.#run = run;
    this.site = site;
  }

  /** Runs the operation once for `sink` (a subscriber, or a promise's sink). @internal */
  protected run(sink: Sink<T>): TeardownLogic {
    return this.#run!(sink);
  }

  /** What RxJS's Observable calls for each subscription (not in its typings). @internal */
  protected _subscribe(subscriber: Subscriber<T>): TeardownLogic {
    return this.run(subscriber);
  }

  /**
   * Runs the operation once; the returned promise settles with what `onfulfilled` or
   * `onrejected` returns (called asynchronously, never inside `then`), or with the
   * operation's value or error when the callback is left out.
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    const promise = new Promise<R1 | R2>(capture);
    const sink = new ThenSink<T, R1, R2>(captured.resolve, captured.reject, onfulfilled, onrejected, this.site?.recorded === false);
    try {
      this.run(sink);
    } catch (error) {
      sink.error(error);
    }
    sink.started();
    return promise;
  }

  /** Same as `then(undefined, onrejected)`. */
  catch<R = never>(onrejected?: ((reason: any) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.then(undefined, onrejected);
  }

  /** Runs the operation once as a Promise (without the cost of an RxJS subscription). */
  override toPromise(): Promise<T> {
    return this.then();
  }
}

/** The executor of toPromise: one shared function instead of a closure per operation. */
const captured: { resolve: (v: unknown) => void; reject: (e: unknown) => void } = { resolve: () => {}, reject: () => {} };
function capture(resolve: (v: any) => void, reject: (e: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

/**
 * The sink of `then`: settles once, and calls the callbacks given to `then` itself (one promise
 * per run, where `toPromise().then(…)` made two and a job between them). `await op` passes the
 * await's own resolving functions, which are safe to call from anywhere; a callback of the
 * user's runs from the operation's delivery, or in a microtask when the operation settled
 * inside `then` (a closed connection, bad input).
 */
class ThenSink<T, R1, R2> implements Sink<T> {
  #done = false;
  #inThen = true;
  #settleLater: (() => void) | undefined;
  constructor(
    private readonly resolve: (v: unknown) => void,
    private readonly reject: (e: unknown) => void,
    private readonly onfulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
    private readonly onrejected: ((reason: any) => R2 | PromiseLike<R2>) | null | undefined,
    /** Fail through withAwaitersStack (nothing was recorded at the call). */
    private readonly awaitersStack: boolean,
  ) {}

  /** `then` has returned: a settlement that happened inside it runs now, in a microtask. */
  started(): void {
    this.#inThen = false;
    const later = this.#settleLater;
    if (later !== undefined) queueMicrotask(later);
  }

  next(v: T): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#inThen) this.#settleLater = () => this.#call(this.onfulfilled, v, this.resolve);
    else this.#call(this.onfulfilled, v, this.resolve);
  }

  error(e: unknown): void {
    if (this.#done) return;
    this.#done = true;
    if (this.awaitersStack) return this.#failWithAwaitersStack(e);
    if (this.#inThen) this.#settleLater = () => this.#call(this.onrejected, e, this.reject);
    else this.#call(this.onrejected, e, this.reject);
  }

  complete(): void {
    if (!this.#done) this.error(new CouchbaseError('operation completed without a result'));
  }

  /** Settles the promise with what `callback` makes of `outcome`, or passes `outcome` on when there is no callback. */
  #call(callback: ((x: any) => unknown) | null | undefined, outcome: unknown, passOn: (x: unknown) => void): void {
    if (typeof callback !== 'function') return passOn(outcome);
    try {
      this.resolve(callback(outcome));
    } catch (error) {
      this.reject(error);
    }
  }

  #failWithAwaitersStack(e: unknown): void {
    // The callbacks are chained on the rethrowing promise before its source is rejected: so
    // when withAwaitersStack runs, V8 finds the chain to the awaiting code. Only failures pay
    // for the extra promises.
    let rejectSource!: (e: unknown) => void;
    const source = new Promise<never>((_, reject) => {
      rejectSource = reject;
    });
    this.resolve(source.then(undefined, withAwaitersStack).then(this.onfulfilled, this.onrejected));
    rejectSource(e);
  }
}

/** What an operation reports to: an RxJS Subscriber or the promise path's light sink. @internal */
export interface Sink<T> {
  next(value: T): void;
  error(error: unknown): void;
  complete(): void;
}

/** An Op that fails with `error` on each subscription. @internal */
export function failedOp<T>(error: unknown, site?: CallSite): Op<T> {
  const e = site && error instanceof CouchbaseError ? site.apply(error) : error;
  return new Op<T>((s) => s.error(e), site);
}
