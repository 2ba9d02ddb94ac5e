/**
 * A FIFO of inputs a push source sent while every slot was taken: amortised O(1) shift (an
 * array with a head index, compacted as it drains).
 * @internal
 * @module
 */
export class InputQueue<T> {
  #items: T[] = [];
  #head = 0;

  get empty(): boolean {
    return this.#head === this.#items.length;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest input; call only when not empty. */
  shift(): T {
    const item = this.#items[this.#head]!;
    this.#items[this.#head++] = undefined as T;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}
