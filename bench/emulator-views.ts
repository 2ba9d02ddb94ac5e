/**
 * Views engine throughput on beer-sample: first build of _design/beer, then view rows/s
 * streamed over HTTP through the capi handler (full brewery_beers scans, key-range queries,
 * by_location group_level reductions), and the incremental update cost after mutations.
 *
 *   npx tsx bench/emulator-views.ts [path/to/beer-sample] [--seconds N]
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { createCapiHandler, createViewService } from '../emulator/views/index.js';
import { MemoryViewSource } from '../emulator/views/memory-source.js';

const args = process.argv.slice(2);
const secondsAt = args.indexOf('--seconds');
const seconds = secondsAt >= 0 ? Number(args[secondsAt + 1]) : 3;
const dataset = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--seconds') ?? '/work/shared/datasets/beer-sample';

function load(): MemoryViewSource {
  const source = new MemoryViewSource();
  const dir = path.join(dataset, 'docs');
  for (const file of fs.readdirSync(dir)) {
    if (file.endsWith('.json')) source.setRaw(file.slice(0, -5), fs.readFileSync(path.join(dir, file)));
  }
  return source;
}

async function main(): Promise<void> {
  const source = load();
  const service = createViewService(source);
  const ddoc = JSON.parse(fs.readFileSync(path.join(dataset, 'design_docs', 'beer.json'), 'utf8'));
  service.putDesignDoc('beer', ddoc);
  const server = http.createServer(
    createCapiHandler({ bucket: (n) => (n === 'beer-sample' ? service : undefined), authenticate: () => true }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/beer-sample/_design/beer/_view`;
  const get = (url: string) =>
    new Promise<{ bytes: number; rows: number }>((resolve, reject) => {
      http
        .get(url, { agent }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => {
            // Rows are counted, not parsed, so the figure is the server's: one row per line.
            const body = Buffer.concat(parts);
            let rows = 0;
            for (let i = body.indexOf('\n{'); i >= 0; i = body.indexOf('\n{', i + 2)) rows++;
            resolve({ bytes: body.length, rows });
          });
        })
        .on('error', reject);
    });

  console.log(`beer-sample: ${source.size} documents from ${dataset}`);
  let t = performance.now();
  await get(`${base}/brewery_beers?limit=1`);
  console.log(`first build (both views of _design/beer) + query: ${(performance.now() - t).toFixed(0)} ms`);

  async function run(name: string, urls: () => string, concurrency = 1): Promise<void> {
    let rows = 0;
    let queries = 0;
    let bytes = 0;
    const deadline = performance.now() + seconds * 1000;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const r = await get(urls());
          rows += r.rows;
          bytes += r.bytes;
          queries++;
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    console.log(
      `${name.padEnd(44)} ${Math.round(rows / elapsed).toLocaleString('en').padStart(10)} rows/s ` +
        `${(queries / elapsed).toFixed(1).padStart(8)} q/s ${((bytes / elapsed) / 1e6).toFixed(1).padStart(6)} MB/s`,
    );
  }

  await run('brewery_beers full scan (7,303 rows)', () => `${base}/brewery_beers`);
  await run('brewery_beers full scan, 4 clients', () => `${base}/brewery_beers`, 4);
  const breweries = [...source.documents()]
    .filter((d) => (JSON.parse(d.value.toString()) as { type?: string }).type === 'brewery')
    .map((d) => d.id);
  let n = 0;
  await run('brewery_beers one brewery (key range)', () => {
    const id = breweries[n++ % breweries.length];
    return `${base}/brewery_beers?startkey=${encodeURIComponent(JSON.stringify([id]))}&endkey=${encodeURIComponent(JSON.stringify([id, '\uefff']))}`;
  });
  await run('by_location group_level=2', () => `${base}/by_location?group_level=2`);
  await run('by_location reduce=false&limit=100&skip=500', () => `${base}/by_location?reduce=false&limit=100&skip=500`);

  // Incremental update: touch 100 documents, then a stale=false query.
  const docs = [...source.documents()].slice(0, 100);
  t = performance.now();
  const rounds = 20;
  for (let r = 0; r < rounds; r++) {
    for (const d of docs) source.setRaw(d.id, d.value);
    await get(`${base}/brewery_beers?stale=false&limit=1`);
  }
  console.log(`stale=false after 100 mutations: ${((performance.now() - t) / rounds).toFixed(1)} ms per query`);

  // A rebuild from scratch (as after a flush), timed in-process.
  t = performance.now();
  service.reset();
  await get(`${base}/brewery_beers?limit=1`);
  console.log(`rebuild after reset(): ${(performance.now() - t).toFixed(0)} ms`);

  agent.destroy();
  service.close();
  server.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
