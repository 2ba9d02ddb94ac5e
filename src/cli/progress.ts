/**
 * Progress of a long load: on a terminal one line redrawn in place (a bar, the count, the rate,
 * the time left); anywhere else (a log, a pipe, CI) a plain line about once a second.
 * @module
 */

/** Where a load reports each document as it completes. */
export interface Progress {
  /** One more document done (`ok` false: it failed). */
  tick(ok: boolean): void;
  /** The last report, once everything is done. */
  finish(): void;
}

/** Counts and times that a progress line shows. */
export interface ProgressState {
  done: number;
  failed: number;
  total: number;
  elapsedMs: number;
}

function rate(s: ProgressState): number {
  return s.elapsedMs > 0 ? (s.done * 1000) / s.elapsedMs : 0;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.ceil(seconds);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** `[=========>          ] 3,200/7,303 docs  1,523/s  ETA 3s  (2 failed)`, `width` columns of bar. */
export function barLine(s: ProgressState, width = 30): string {
  const fraction = s.total > 0 ? Math.min(1, s.done / s.total) : 1;
  const filled = Math.floor(fraction * width);
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  const perSecond = rate(s);
  // The first second's rate says little about the rest: no estimate before it.
  const eta = s.done >= s.total ? 'done' : `ETA ${duration(perSecond > 0 && s.elapsedMs >= 1000 ? (s.total - s.done) / perSecond : Infinity)}`;
  const failed = s.failed ? `  (${count(s.failed)} failed)` : '';
  return `[${bar}] ${count(s.done)}/${count(s.total)} docs  ${count(Math.round(perSecond))}/s  ${eta}${failed}`;
}

/** `loaded 3,200/7,303 docs (1,523/s, 2 failed)`. */
export function plainLine(s: ProgressState): string {
  const failed = s.failed ? `, ${count(s.failed)} failed` : '';
  return `loaded ${count(s.done)}/${count(s.total)} docs (${count(Math.round(rate(s)))}/s${failed})`;
}

interface Clock {
  now(): number;
}

function tracker(total: number, clock: Clock, report: (s: ProgressState, last: boolean) => void, everyMs: number): Progress {
  const start = clock.now();
  let done = 0;
  let failed = 0;
  let lastReport = start;
  const state = (): ProgressState => ({ done, failed, total, elapsedMs: clock.now() - start });
  return {
    tick(ok) {
      done++;
      if (!ok) failed++;
      const now = clock.now();
      if (now - lastReport >= everyMs) {
        lastReport = now;
        report(state(), false);
      }
    },
    finish() {
      report(state(), true);
    },
  };
}

/** A bar redrawn in place on `stream` (a TTY), about ten times a second. */
export function progressBar(total: number, stream: { write(s: string): unknown }, clock: Clock = Date): Progress {
  return tracker(total, clock, (s, last) => stream.write(`\r${barLine(s)}\x1b[K${last ? '\n' : ''}`), 100);
}

/** Plain lines through `write`, about once a second and at the end. */
export function progressLines(total: number, write: (line: string) => void, clock: Clock = Date): Progress {
  return tracker(total, clock, (s) => write(plainLine(s)), 1000);
}
