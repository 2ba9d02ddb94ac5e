/**
 * Inputs of the `…Multi` calls: iterables of keys, Records/Maps of key → value or options,
 * [key, value] pairs, and item collections, normalised to one list of entries.
 * @internal
 * @module
 */
import { Item, ItemCollection, type ItemOptions } from './items.js';
import { LcbStatus } from './errors/index.js';
import { argError, checkOptions } from './options.js';

/** Option names accepted per item in an ItemOptionDict. */
export const ITEM_OPTS = ['cas', 'ignoreCas', 'format', 'ttl', 'fragment', 'persistTo', 'replicateTo'];

/** One key of a multi call. */
export interface MultiEntry {
  key: string;
  /** The value (stores), fragment (append), or per-key options/shorthand. */
  v: unknown;
  item?: Item;
  itemOpts?: ItemOptions;
}

/** True for object literals (prototype Object.prototype or null). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const p = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}


/**
 * Normalises a multi input into [key, value, item?, itemOptions?] entries.
 * `valued`: the input maps keys to values (set family, append) rather than to options.
 */
export function multiEntries(where: string, input: unknown, valued: boolean): MultiEntry[] {
  const out: MultiEntry[] = [];
  if (input instanceof ItemCollection) {
    for (const [item, opts] of input.entries()) {
      if (!(item instanceof Item)) throw argError(`${where}: item collections must hold Item objects`, item);
      checkOptions(`${where} item ${JSON.stringify(item.key)}`, opts, ITEM_OPTS);
      out.push({ key: item.key, v: item.value, item, itemOpts: opts });
    }
    return out;
  }
  if (typeof input === 'string') throw argError(`${where}: pass a list of keys, not a single string`, input);
  if (input instanceof Map) {
    for (const [k, v] of input) out.push({ key: k, v });
    return out;
  }
  if (input !== null && typeof input === 'object' && Symbol.iterator in input) {
    for (const e of input as Iterable<unknown>) {
      if (valued) {
        if (!Array.isArray(e) || e.length !== 2) throw argError(`${where}: expected [key, value] pairs, a Record or a Map`, e);
        out.push({ key: e[0] as string, v: e[1] });
      } else {
        out.push({ key: e as string, v: undefined });
      }
    }
    return out;
  }
  if (isPlainObject(input)) {
    for (const k of Object.keys(input)) out.push({ key: k, v: input[k] });
    return out;
  }
  throw argError(`${where}: expected ${valued ? 'a Record/Map of key → value' : 'an iterable of keys'} or an item collection, got ${input === null ? 'null' : typeof input}`, input);
}

/** Per-key value of a keyed multi input: an options object, or a shorthand scalar for `shorthand`. */
export function perKey(where: string, v: unknown, allowed: string[], shorthand?: string): Record<string, unknown> {
  if (v === undefined || v === null) return {};
  if (isPlainObject(v)) return checkOptions(where, v, allowed) as Record<string, unknown>;
  if (shorthand) return { [shorthand]: v };
  throw argError(`${where}: per-key value must be an options object`, v);
}

/** One key twice in one call is an ArgumentError (libcouchbase's DUPLICATE_COMMANDS), never a crash. */
export function checkDuplicateKeys(where: string, keys: Iterable<string>): void {
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) throw argError(`${where}: duplicate key ${JSON.stringify(k)} in one call`, k, LcbStatus.LCB_ERR_DUPLICATE_COMMANDS);
    seen.add(k);
  }
}
