/**
 * The emulator's injectable clock (cf. gocaves `mocktime.Chrono`). Expiry and lock timeouts
 * are judged against `now()`, which is wall time plus an offset that `advance` moves forward.
 */
export class Clock {
  private offsetMs = 0;
  private readonly listeners = new Set<() => void>();

  /** Milliseconds since the epoch, as the emulator sees it. */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** Seconds since the epoch (integer), as used by expiry. */
  nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** Moves time forward and tells listeners (expiry sweeps). */
  advance(seconds: number): void {
    if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError('seconds must be a non-negative number');
    this.offsetMs += seconds * 1000;
    for (const l of this.listeners) l();
  }

  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
