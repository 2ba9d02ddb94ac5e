/**
 * One client's process for one workload: connects, runs a pass whenever the harness asks,
 * and reports its peak RSS (maxRSS) when told to exit. Alone in its process, so the RSS and
 * the CPU time it reports are the client's own.
 * @module
 */
import { performance } from 'node:perf_hooks';
import type { Client, Open } from '../clients/client.js';
import { PROBE, type ChildArgs, type ChildMessage, type NodeClient, type ParentMessage } from './protocol.js';
import { percentile } from './stats.js';
import { WORKLOADS } from './workloads.js';

const args = JSON.parse(process.argv[2]!) as ChildArgs;

/** Static imports, so that the harness can bundle this process (runner.ts): only the client asked for is loaded. */
const CLIENT_MODULES: Record<NodeClient, () => Promise<{ open: Open }>> = {
  'couchbase-rx': () => import('../clients/couchbase-rx.js'),
  'couchbase@4.7.1': () => import('../clients/couchbase4.js'),
  'couchbase@3.2.7': () => import('../clients/couchbase3.js'),
  memjs: () => import('../clients/memjs.js'),
  'bare socket': () => import('../clients/bare-socket.js'),
};
const send = (m: ChildMessage) => process.send!(m);

/** Why the client cannot run `needs`, or undefined when it can. */
function lacks(client: Client, needs: keyof Client): string | undefined {
  const has = needs === 'sameTick' ? client.sameTick : client[needs] !== undefined;
  return has ? undefined : client.missing[needs] ?? `${args.client} has no ${needs}`;
}

async function main(): Promise<void> {
  const { open } = await CLIENT_MODULES[args.client]();
  const opened = await open(args.target);
  if (args.workload === PROBE) {
    const na: Record<string, string> = {};
    for (const w of WORKLOADS) {
      const why = 'na' in opened ? opened.na : lacks(opened, w.needs);
      if (why !== undefined) na[w.id] = why;
    }
    if (!('na' in opened)) await opened.close();
    send({ type: 'caps', na });
    process.disconnect();
    return;
  }
  const workload = WORKLOADS.find((w) => w.id === args.workload);
  if (!workload) throw new Error(`no workload ${args.workload}`);
  if ('na' in opened) {
    send({ type: 'na', reason: opened.na });
    process.disconnect();
    return;
  }
  const client: Client = opened;
  const why = lacks(client, workload.needs);
  if (why !== undefined) {
    send({ type: 'na', reason: why });
    await client.close();
    process.disconnect();
    return;
  }
  process.on('message', (m: ParentMessage) => {
    void (async () => {
      try {
        if (m === 'exit') {
          await client.close();
          send({ type: 'done', maxRssMb: process.resourceUsage().maxRSS / 1024 });
          process.disconnect();
          return;
        }
        const cpu = process.cpuUsage();
        const start = performance.now();
        const r = await workload.run(client, args.sizes);
        const ms = performance.now() - start;
        const used = process.cpuUsage(cpu);
        const sorted = r.latencies?.sort((a, b) => a - b);
        send({
          type: 'pass', ops: r.ops, ms, cpuMs: (used.user + used.system) / 1000,
          p50Us: sorted && percentile(sorted, 0.5), p99Us: sorted && percentile(sorted, 0.99),
        });
      } catch (error) {
        send({ type: 'error', message: String((error as Error)?.stack ?? error) });
      }
    })();
  });
  send({ type: 'ready' });
}

main().catch((error) => {
  send({ type: 'error', message: String((error as Error)?.stack ?? error) });
  process.disconnect();
});
