/**
 * stats(name?): one command, one response per stat per server.
 * @internal
 * @module
 */
import { NativeOp } from '../binding.js';
import type { Command, Response } from '../batcher.js';
import { CouchbaseError, describeRc } from '../errors/index.js';
import type { StatsResult } from '../results.js';

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
