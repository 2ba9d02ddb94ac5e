/**
 * Delayed work queue for simulated replication and persistence. Work with delay 0 runs
 * synchronously; otherwise one timer serves the whole queue, in due order.
 */
interface Job {
  due: number;
  fn: () => void;
}

export class DelayQueue {
  private readonly jobs: Job[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private closed = false;

  schedule(delayMs: number, fn: () => void): void {
    if (this.closed) return;
    if (!(delayMs > 0)) {
      fn();
      return;
    }
    const due = Date.now() + delayMs;
    const job = { due, fn };
    const n = this.jobs.length;
    if (n === this.head || this.jobs[n - 1].due <= due) {
      this.jobs.push(job);
    } else {
      let i = n;
      while (i > this.head && this.jobs[i - 1].due > due) i--;
      this.jobs.splice(i, 0, job);
    }
    this.arm();
  }

  /** Runs everything queued now (used by flush/stop). */
  drain(): void {
    while (this.head < this.jobs.length) this.jobs[this.head++].fn();
    this.jobs.length = 0;
    this.head = 0;
  }

  clear(): void {
    this.jobs.length = 0;
    this.head = 0;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDue = Infinity;
  }

  close(): void {
    this.clear();
    this.closed = true;
  }

  private arm(): void {
    if (this.head >= this.jobs.length) return;
    const due = this.jobs[this.head].due;
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => this.run(), Math.max(0, due - Date.now()));
  }

  private run(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = Date.now();
    while (this.head < this.jobs.length && this.jobs[this.head].due <= now) {
      const job = this.jobs[this.head++];
      try {
        job.fn();
      } catch {
        // a job never takes the queue down
      }
    }
    if (this.head > 1024 && this.head * 2 > this.jobs.length) {
      this.jobs.splice(0, this.head);
      this.head = 0;
    }
    if (this.head >= this.jobs.length) {
      this.jobs.length = 0;
      this.head = 0;
    }
    this.arm();
  }
}
