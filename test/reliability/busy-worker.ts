/**
 * Worker body for the faults suite's scenario (g): connects, starts a view stream and a large
 * setMulti, says 'busy', and is terminated by the test while they are in flight.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '../../src/connection.js';

const job = workerData as { connectionString: string; username: string; password: string };
const cb = await connect({ connectionString: job.connectionString, username: job.username, password: job.password, timeout: 10 });
await cb.designCreate('w', { views: { all: { map: 'function (doc, meta) { for (var i = 0; i < 50; i++) emit(i, null); }' } } }, { useDevmode: false, syncwait: 10 });
await cb.setMulti(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`w${i}`, i])));
cb.query('w', 'all', { stale: false, pageSize: 50_000 }).subscribe({ error: () => {} });
cb.setMulti(Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`x${i}`, i]))).subscribe({ error: () => {} });
parentPort!.postMessage('busy');
