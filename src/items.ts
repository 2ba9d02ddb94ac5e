/**
 * The Item API (seed "Item API"): application objects that `…Multi` calls write their
 * results into, instead of returning new Result objects.
 * @module
 */
import { ValueResult } from './results.js';

/** Per-item options for {@link ItemOptionDict.add}. */
export interface ItemOptions {
  /** CAS to use instead of the item's own. */
  cas?: bigint;
  /** Ignore the item's CAS (store unconditionally). */
  ignoreCas?: boolean;
  /** Format for storing this item's value. */
  format?: number;
  /** TTL in seconds for this item. */
  ttl?: number;
  /** The fragment for appendItems / prependItems. */
  fragment?: unknown;
  /** Nodes that must have persisted this item's mutation (0..4). */
  persistTo?: number;
  /** Replicas that must hold this item's mutation (0..3). */
  replicateTo?: number;
}

/**
 * A document as an application object; a subclass of ValueResult whose fields the SDK
 * fills in (value, cas, flags, rc). Subclass it freely.
 *
 * ```ts
 * const itm = new Item('simple_key', 'Hello World');
 * await cb.setMulti(new ItemSequence([itm]), { format: FMT_UTF8 });
 * ```
 */
export class Item<T = unknown> extends ValueResult<T> {
  constructor(key = '', value?: T) {
    super(key, 0, 0n, value, 0);
  }
}

/** Base of the collections the `…Multi` calls accept. */
export abstract class ItemCollection {
  /** Every item with its options. */
  abstract entries(): Iterable<[Item, ItemOptions]>;
  /** Number of items. */
  abstract get size(): number;
}

/** A collection of items without per-item options. */
export class ItemSequence extends ItemCollection {
  /** The items, in order. */
  readonly items: Item[];
  constructor(items: Iterable<Item> = []) {
    super();
    this.items = [...items];
  }
  *entries(): Iterable<[Item, ItemOptions]> {
    for (const item of this.items) yield [item, {}];
  }
  get size(): number {
    return this.items.length;
  }
}

/** A collection of items, each with its own options (cas, format, fragment, …). */
export class ItemOptionDict extends ItemCollection {
  /** Each item with its options. */
  readonly dict = new Map<Item, ItemOptions>();
  constructor(entries?: Iterable<[Item, ItemOptions]>) {
    super();
    if (entries) for (const [item, opts] of entries) this.add(item, opts);
  }
  /** Adds (or replaces) an item with its options. Returns this. */
  add(item: Item, options: ItemOptions = {}): this {
    this.dict.set(item, { ...options });
    return this;
  }
  /** Adds several items with the same options. */
  create(items: Iterable<Item>, options: ItemOptions = {}): this {
    for (const item of items) this.add(item, options);
    return this;
  }
  entries(): Iterable<[Item, ItemOptions]> {
    return this.dict.entries();
  }
  get size(): number {
    return this.dict.size;
  }
}
