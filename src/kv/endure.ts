/**
 * endure() and endureMulti(): wait until mutations are persisted and replicated, polling
 * observe through the core's endure poller. Every key's outcome is in its own result.
 * @internal
 * @module
 */
import type { ConnectionCore } from '../core/core.js';
import { multiError } from '../core/core.js';
import { refuseOnMemcached } from '../core/memcached.js';
import { CouchbaseError } from '../errors/index.js';
import { checkDuplicateKeys, multiEntries } from '../multi.js';
import type { CallSite, Op } from '../op.js';
import { argError, checkOptions, readBool, readCas, readDurability, readSeconds } from '../options.js';
import { MultiResult, OperationResult, Result } from '../results.js';
import { ENDURE_OPTS, type EndureOptions } from './context.js';
import { DEFAULT_BACKOFF, type Backoff, type EndureTarget, type PollSpec } from './endure-poll.js';

const BACKOFF_OPTS = ['initial', 'factor', 'max'];

/** Reads the backoff of endure options: `backoff`, or the seed's fixed `interval` as its initial delay. */
export function readBackoff(where: string, o: Partial<EndureOptions>): Backoff {
  const b = checkOptions<Backoff>(`${where} backoff`, o.backoff, BACKOFF_OPTS);
  const initial = readSeconds(where, 'interval', o.interval, readSeconds(where, 'backoff.initial', b.initial, DEFAULT_BACKOFF.initial));
  const factor = b.factor ?? DEFAULT_BACKOFF.factor;
  if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1 || factor > 100) throw argError(`${where}: 'backoff.factor' must be a number from 1 to 100`, factor);
  const max = readSeconds(where, 'backoff.max', b.max, Math.max(initial, DEFAULT_BACKOFF.max));
  if (max < initial) throw argError(`${where}: 'backoff.max' must not be below the initial delay`, max);
  return { initial, factor, max };
}

/** Validates endure options and keys into the poller's targets and spec. */
function readEndure(core: ConnectionCore, where: string, keys: unknown, options: EndureOptions | undefined): { targets: EndureTarget[]; spec: PollSpec } {
  const opts = checkOptions<EndureOptions>(where, options, ENDURE_OPTS);
  const d = readDurability(where, opts);
  const spec: PollSpec = {
    ...d,
    checkRemoved: readBool(where, 'checkRemoved', opts.checkRemoved, false),
    timeout: readSeconds(where, 'timeout', opts.timeout, 5),
    backoff: readBackoff(where, opts),
  };
  const cas = readCas(where, opts.cas);
  if (spec.persistTo === 0 && spec.replicateTo === 0) throw argError(`${where}: give persistTo and/or replicateTo`, opts);
  if (core.memcached) refuseOnMemcached(where, 'durability requirements');
  const targets = multiEntries(where, keys, false).map((e) => {
    core.encodeKey(where, e.key);
    return { key: e.key, cas: e.item ? e.item.cas : e.v instanceof Result ? e.v.cas : e.v === undefined ? cas : readCas(where, e.v) };
  });
  checkDuplicateKeys(where, targets.map((t) => t.key));
  return { targets, spec };
}

/** endureMulti(keys | Record/Map key → cas | results of a …Multi store | items, options). */
export function endureMulti(core: ConnectionCore, site: CallSite, keys: unknown, options: EndureOptions | undefined): Op<MultiResult<OperationResult>> {
  const where = 'endureMulti';
  return core.op<MultiResult<OperationResult>, ReturnType<typeof readEndure>>(site, where, () => readEndure(core, where, keys, options), ({ targets, spec }, sink, fail) => {
    const results = targets.map((t) => new OperationResult(t.key, 0, t.cas));
    const errors = new Array<CouchbaseError | undefined>(targets.length);
    const subscription = core.endure(targets, spec).subscribe({
      next: ({ index, error }) => {
        if (!error) return;
        results[index]!.rc = error.rc;
        error.result = results[index];
        errors[index] = error;
      },
      error: (e: CouchbaseError) => fail(e),
      complete: () => {
        const mr = new MultiResult<OperationResult>(results.map((r) => [r.key, r]));
        const e = multiError(where, targets.length, errors, mr);
        if (e) return fail(e);
        sink.next(mr);
        sink.complete();
      },
    });
    return () => subscription.unsubscribe();
  });
}

/** endure(key, options): the single-key form; its error is the key's own. */
export function endure(core: ConnectionCore, site: CallSite, key: string, options: EndureOptions | undefined): Op<OperationResult> {
  return core.op<OperationResult, ReturnType<typeof readEndure>>(site, 'endure', () => readEndure(core, 'endure', [key], options), ({ targets, spec }, sink, fail) => {
    const result = new OperationResult(key, 0, targets[0]!.cas);
    const subscription = core.endure(targets, spec).subscribe({
      next: ({ error }) => {
        if (!error) return;
        result.rc = error.rc;
        error.result = result;
        fail(error);
      },
      error: (e: CouchbaseError) => fail(e),
      complete: () => {
        if (!result.success) return;
        sink.next(result);
        sink.complete();
      },
    });
    return () => subscription.unsubscribe();
  });
}
