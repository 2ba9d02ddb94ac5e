/**
 * stats(name?): one command, one response per stat per server.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Command, Response } from '../batcher.js';
import { CouchbaseError, describeRc } from '../errors/index.js';
import type { StatsResult } from '../results.js';
import type { ConnectionCore } from '../core/core.js';
import type { CallSite, Op } from '../op.js';
import { argError } from '../options.js';

/** The command for a stat group ('' = the default group). */
export function statsCommand(name: string): Command {
  return { op: NativeOp.Stats, key: Buffer.from(name, 'utf8') };
}

/** Accumulates stats responses into `result[statName][server]`. */
export class StatsCollector {
  readonly result: StatsResult = {};
  #ok = false;
  #rc = 0;

  /** Adds one response; on the final one returns the result or the error. */
  add(r: Response): StatsResult | CouchbaseError | undefined {
    if (r.rc !== 0) this.#rc ||= r.rc;
    else {
      this.#ok = true;
      if (r.text) {
        const tab = r.text.indexOf('\t');
        if (tab >= 0) (this.result[r.text.slice(tab + 1)] ??= {})[r.text.slice(0, tab)] = r.data.toString('utf8');
      }
    }
    if (!r.final) return undefined;
    if (!this.#ok && this.#rc !== 0) return CouchbaseError.fromRc(this.#rc, { message: `stats: ${describeRc(this.#rc, undefined, r.text)}` });
    return this.result;
  }
}

/** stats(name?): `result[statName][server] = value`. */
export function stats(core: ConnectionCore, site: CallSite, name: string): Op<StatsResult> {
  return core.op<StatsResult, Command>(site, 'stats', () => {
    if (typeof name !== 'string') throw argError('stats: name must be a string', name);
    return statsCommand(name);
  }, (cmd, sink, fail) => {
    const collector = new StatsCollector();
    return core.batcher.enqueue(cmd, (r) => {
      const out = collector.add(r);
      if (out === undefined) return;
      if (out instanceof CouchbaseError) return fail(out);
      sink.next(out);
      sink.complete();
    });
  });
}
