/**
 * Where the wall-clock time of one operation at a time goes, phase by phase: CPU samples
 * (`perf`'s cpu-clock, which needs no hardware counters) sorted by the system calls around
 * them. Instruction counts (seq-get-callgrind.ts) say what a get costs; this says which part of
 * that cost the next request waits for.
 *
 *   CG=0 perf record -e cpu-clock -F 25000 -e syscalls:sys_enter_write,syscalls:sys_enter_read,\
 *     syscalls:sys_exit_read,syscalls:sys_enter_epoll_pwait,syscalls:sys_exit_epoll_pwait \
 *     -o /tmp/p.data node --perf-basic-prof .tmp/sg.mjs rx 60000 21999 20000   # rx | bare, see seq-get-callgrind.ts
 *   perf script -i /tmp/p.data -F tid,time,event,trace,ip,sym,dso > /tmp/p.txt
 *   npx tsx bench/critical-path.ts /tmp/p.txt [top=30]
 *
 * The phases of one request on the main thread, from the `write` of the request on the socket:
 * - D, write → the first `epoll_pwait`: the write itself (the kernel hands the bytes to the
 *   server) and what the process does after it; on the critical path only while it outlasts the
 *   server's answer.
 * - E, asleep in `epoll_pwait` (no samples while it sleeps).
 * - R, wakeup → the `read` of the reply returns.
 * - A, the reply read → the next request's `write`: decoding, the caller's code, scheduling the
 *   next request. Always on the critical path.
 * Prints samples per 1,000 requests per phase (at 25 kHz one sample is 40 µs), and the top
 * symbols of A and D. Samples are inflated by perf's own tracepoints: compare clients, not µs.
 * @module
 */
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: critical-path.ts <perf script output> [top]');
const top = Number(topArg ?? 30);
const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');

const count = <K>(m: Map<K, number>, k: K, by = 1) => m.set(k, (m.get(k) ?? 0) + by);
const mostCommon = <K>(m: Map<K, number>) => [...m].sort((a, b) => b[1] - a[1]);
const fdOf = (l: string) => /fd: 0x([0-9a-f]+)/.exec(l)?.[1];

const threads = new Map<string, number>();
for (const l of lines) count(threads, l.trim().split(/\s+/)[0]!);
const main = mostCommon(threads)[0]![0];
const writes = new Map<string, number>();
for (const l of lines) if (l.includes('sys_enter_write')) count(writes, fdOf(l) ?? '');
const socket = mostCommon(writes)[0]![0];

type Phase = '?' | 'A' | 'D' | 'E' | 'R';
let phase: Phase = '?';
let readFd: string | undefined;
let requests = 0;
const perPhase = new Map<Phase, number>();
const symbols = { A: new Map<string, number>(), D: new Map<string, number>() };
for (const l of lines) {
  const [tid, , event] = l.trim().split(/\s+/);
  if (tid !== main) continue;
  if (event!.startsWith('cpu-clock')) {
    count(perPhase, phase);
    if (phase === 'A' || phase === 'D') {
      const m = /^\s*\S+\s+\S+\s+\S+\s+\S+\s+(.*) \((.*)\)$/.exec(l);
      if (m) count(symbols[phase], `${m[2]!.split('/').at(-1)!.slice(0, 18).padEnd(18)} ${m[1]!.replace(/\+0x[0-9a-f]+$/, '').slice(0, 90)}`);
    }
  } else if (event!.includes('sys_enter_write') && fdOf(l) === socket) {
    phase = 'D';
    requests++;
  } else if (event!.includes('sys_enter_epoll_pwait')) {
    if (phase === 'D') phase = 'E';
  } else if (event!.includes('sys_exit_epoll_pwait')) {
    if (phase === 'E') phase = 'R';
  } else if (event!.includes('sys_enter_read')) {
    readFd = fdOf(l);
  } else if (event!.includes('sys_exit_read') && readFd === socket && phase === 'R') {
    phase = 'A';
  }
}
const per1000 = (n: number) => ((n * 1000) / requests).toFixed(1).padStart(7);
console.log(`${requests} requests on fd 0x${socket}; samples per 1,000 requests:`,
  (['A', 'R', 'D', 'E', '?'] as const).map((p) => `${p} ${per1000(perPhase.get(p) ?? 0).trim()}`).join(', '));
for (const p of ['A', 'D'] as const) {
  console.log(`\nphase ${p}, top ${top}:`);
  for (const [s, n] of mostCommon(symbols[p]).slice(0, top)) console.log(`${per1000(n)} ${s}`);
}
