/**
 * View queries and design-document HTTP requests straight on the NativeAddon (viewQuery, http),
 * against the embedded emulator: beer-sample on 3 nodes for results and errors, and a 1-node
 * cluster with a 200,000-row view for what happens mid-stream (cancel, close, a worker
 * terminated, the views node stopped). The results are compared with what the emulator's views
 * port answers to a plain HTTP request.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';

import test from 'ava';

import { startEmulator, type Emulator } from '../../emulator/index.js';
import { NativeOp, type NativeHttpSpec, type NativeRequest, type NativeViewEnd, type NativeViewSpec } from '../../src/binding.js';
import { startMemcached } from '../helpers/memcached.js';
import { native, RC, TestConnection } from './_support.js';

const ADDON = new URL('../../build/Release/couchbase_rx.node', import.meta.url).pathname;
const BEER = ['/work/shared/datasets/beer-sample', path.resolve('../shared/datasets/beer-sample'), path.resolve('shared/datasets/beer-sample')]
  .find((p) => fs.existsSync(path.join(p, 'docs')));
const BIG_ROWS = 200_000;
/** lcb statuses of view and HTTP failures. */
const VIEW_NOT_FOUND = 701;
const HTTP_FAILED = 1053;

interface ViewRun {
  rows: Array<{ id?: string; key: unknown; value: unknown }>;
  /** Rows per onRows call. */
  deliveries: number[];
  end: NativeViewEnd;
}

/** Runs a query to its end. */
function query(c: TestConnection, spec: NativeViewSpec): Promise<ViewRun> {
  return new Promise((resolve) => {
    const run: Omit<ViewRun, 'end'> = { rows: [], deliveries: [] };
    c.conn.viewQuery(spec, (text, end) => {
      const rows = JSON.parse(text) as ViewRun['rows'];
      run.deliveries.push(rows.length);
      for (const row of rows) run.rows.push(row);
      if (end) resolve({ ...run, end });
    });
  });
}

/** Starts a query whose calls are only counted; `onDelivery` sees each one. */
function stream(c: TestConnection, spec: NativeViewSpec, onDelivery: (calls: number, rows: number, handle: NativeRequest) => void = () => {}) {
  const seen = { calls: 0, rows: 0, end: undefined as NativeViewEnd | undefined };
  const handle: NativeRequest = c.conn.viewQuery(spec, (text, end) => {
    seen.calls++;
    seen.rows += (JSON.parse(text) as unknown[]).length;
    seen.end = end;
    onDelivery(seen.calls, seen.rows, handle);
  });
  return { handle, seen };
}

function http(c: TestConnection, spec: NativeHttpSpec): Promise<{ rc: number; status: number; body: string }> {
  return new Promise((resolve) => c.conn.http(spec, (rc, status, body) => resolve({ rc, status, body })));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Established client sockets of this process to the emulator's views ports (from /proc/net/tcp). */
function viewSockets(emu: Emulator): number {
  const ports = new Set(emu.nodes.map((n) => n.views));
  const rows = fs.readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  return rows.filter((row) => {
    const [, , remote, state] = row.trim().split(/\s+/);
    return state === '01' && ports.has(parseInt(remote.split(':')[1], 16));
  }).length;
}

async function waitFor(check: () => boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

async function connected(emu: Emulator, bucket: string): Promise<TestConnection> {
  const c = new TestConnection(`${emu.connectionString}/${bucket}`, { username: emu.username, password: emu.password });
  const { rc, detail } = await c.connect();
  if (rc !== 0) throw new Error(`connect ${rc} ${detail}`);
  return c;
}

/** What the emulator's views port answers to a plain GET or POST (node 0). */
async function direct(emu: Emulator, bucket: string, pathAndQuery: string, body?: string): Promise<any> {
  const auth = 'Basic ' + Buffer.from(`${emu.username}:${emu.password}`).toString('base64');
  const res = await fetch(`http://127.0.0.1:${emu.nodes[0].views}/${bucket}/${pathAndQuery}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: auth, 'content-type': 'application/json' },
    body,
  });
  return res.json();
}

let beer: Emulator | undefined;
let big: Emulator;
let c: TestConnection | undefined;

test.before(async () => {
  big = await startEmulator({ nodes: 1 });
  const setup = await connected(big, 'default');
  await setup.run(Array.from({ length: BIG_ROWS / 10_000 }, (_, n) => ({ op: NativeOp.Set, key: `big:${n}`, value: JSON.stringify({ n }) })));
  const map = 'function (doc, meta) { for (var i = 0; i < 10000; i++) emit(doc.n * 10000 + i, null); }';
  const put = await http(setup, { type: 'view', method: 'PUT', path: '_design/big', body: JSON.stringify({ views: { rows: { map } } }) });
  if (put.status !== 201) throw new Error(`design doc: ${put.status} ${put.body}`);
  const built = await query(setup, { design: 'big', view: 'rows', options: 'stale=false&limit=1' });
  if (built.end.rc !== 0) throw new Error(`index build: ${JSON.stringify(built.end)}`);
  await setup.close();
  if (BEER) {
    beer = await startEmulator({ nodes: 3, replicas: 1, buckets: ['beer-sample'], samples: { 'beer-sample': BEER } });
    c = await connected(beer, 'beer-sample');
  }
});

test.after.always(async () => {
  await c?.close();
  await beer?.stop();
  await big?.stop();
});

/** A test on beer-sample, skipped with its reason when the dataset is not there. */
function beerTest(title: string, body: (t: import('ava').ExecutionContext, c: TestConnection, emu: Emulator) => Promise<void>) {
  test(title, async (t) => {
    if (!beer || !c) {
      t.log('skipped: the beer-sample dataset is not in ../shared/datasets/beer-sample');
      t.pass();
      return;
    }
    await body(t, c, beer);
  });
}

// --- mid-stream, on the big view (serial: they count sockets and stop the node) -------------

test.serial('200,000 rows arrive whole, in batches (one per loop iteration or per 16 KiB of rows, never one per row)', async (t) => {
  const own = await connected(big, 'default');
  t.teardown(() => own.close());
  const run = await query(own, { design: 'big', view: 'rows' });
  t.is(run.end.rc, 0);
  t.is(run.end.httpStatus, 200);
  t.is(JSON.parse(run.end.meta).total_rows, BIG_ROWS);
  t.is(run.rows.length, BIG_ROWS);
  t.deepEqual(run.rows.slice(0, 2), [{ id: 'big:0', key: 0, value: null }, { id: 'big:0', key: 1, value: null }]);
  t.true(run.rows.every((row, i) => row.key === i));
  t.log(`${BIG_ROWS} rows in ${run.deliveries.length} calls`);
  // About 8 MB of rows, in batches of 16 KiB or what one loop iteration read (which can be a
  // few rows): some 500 calls at most, most of them with hundreds of rows.
  t.true(run.deliveries.length < 600);
  const median = [...run.deliveries].sort((a, b) => a - b)[run.deliveries.length >> 1]!;
  t.true(median >= 100, `median batch: ${median} rows`);
});

test.serial('cancel mid-stream: no callback after it, the socket is closed', async (t) => {
  const own = await connected(big, 'default');
  t.teardown(() => own.close());
  const before = viewSockets(big);
  let during = -1;
  const { seen } = stream(own, { design: 'big', view: 'rows' }, (calls, _rows, handle) => {
    if (calls !== 1) return;
    during = viewSockets(big);
    handle.cancel();
    handle.cancel(); // twice is harmless
  });
  t.true(await waitFor(() => seen.calls > 0));
  await sleep(300);
  t.is(seen.calls, 1);
  t.true(seen.rows < BIG_ROWS);
  t.is(seen.end, undefined);
  t.is(during, before + 1);
  t.true(await waitFor(() => viewSockets(big) === before), `sockets: ${viewSockets(big)} (before: ${before})`);
  // the connection goes on
  t.is((await query(own, { design: 'big', view: 'rows', options: 'limit=3' })).rows.length, 3);
});

test.serial('cancel before the first row: no callback at all; http() cancels too', async (t) => {
  const own = await connected(big, 'default');
  t.teardown(() => own.close());
  const { handle, seen } = stream(own, { design: 'big', view: 'rows' });
  handle.cancel();
  let answered = false;
  own.conn.http({ type: 'view', method: 'GET', path: '_design/big' }, () => (answered = true)).cancel();
  await sleep(300);
  t.is(seen.calls, 0);
  t.false(answered);
});

test.serial('close with a query and an HTTP request in flight: both end with rc 202, then close is done', async (t) => {
  const own = await connected(big, 'default');
  const order: string[] = [];
  const { seen } = stream(own, { design: 'big', view: 'rows' }, (calls, _rows, _handle) => {
    if (calls === 1) order.push('rows');
    if (seen.end) order.push(`end ${seen.end.rc}`);
  });
  // the whole view as one HTTP body: still being read when close comes (a design document read
  // may already be answered by then)
  own.conn.http({ type: 'view', method: 'GET', path: '_design/big/_view/rows' }, (rc) => order.push(`http ${rc}`));
  await waitFor(() => seen.calls > 0);
  await own.close();
  order.push('closed');
  t.deepEqual(order.filter((o) => o !== 'rows'), [`end ${RC.REQUEST_CANCELED}`, `http ${RC.REQUEST_CANCELED}`, 'closed']);
  t.true(seen.rows < BIG_ROWS);
  // after close: refused at once, asynchronously
  const after = await query(own, { design: 'big', view: 'rows' });
  t.is(after.end.rc, RC.REQUEST_CANCELED);
  t.deepEqual(after.rows, []);
});

test.serial('a worker terminated mid-stream: no crash, its socket is released', async (t) => {
  const before = viewSockets(big);
  const body = `
    const { parentPort, workerData } = require('node:worker_threads');
    const a = require(workerData.addon);
    const conn = new a.Connection({ connstr: workerData.connstr, username: workerData.username, password: workerData.password,
      operationTimeoutUs: 5e6, configTimeoutUs: 5e6 }, () => {});
    conn.connect((rc) => {
      if (rc) return parentPort.postMessage('connect ' + rc);
      let told = false;
      conn.viewQuery({ design: 'big', view: 'rows' }, () => { if (!told) { told = true; parentPort.postMessage('streaming'); } });
    });`;
  const worker = new Worker(body, {
    eval: true,
    workerData: { addon: ADDON, connstr: `${big.connectionString}/default`, username: big.username, password: big.password },
  });
  const [message] = await new Promise<unknown[]>((resolve) => worker.once('message', (m) => resolve([m])));
  t.is(message, 'streaming');
  t.is(await worker.terminate(), 1);
  t.true(await waitFor(() => viewSockets(big) === before), `sockets: ${viewSockets(big)} (before: ${before})`);
});

test.serial('the views node stopped mid-stream: the query ends with an error rc, never as if complete', async (t) => {
  const own = await connected(big, 'default');
  t.teardown(() => own.close());
  const { seen } = stream(own, { design: 'big', view: 'rows' }, (calls) => {
    if (calls === 1) void big.stopNode(0);
  });
  t.true(await waitFor(() => seen.end !== undefined, 10_000));
  t.not(seen.end!.rc, 0);
  t.log(`ended with ${seen.end!.rc} (${native.strerror(seen.end!.rc).name}) after ${seen.rows} rows`);
  t.true(seen.rows < BIG_ROWS);
  await big.startNode(0);
});

// --- results and errors, on beer-sample ----------------------------------------------------

beerTest('brewery_beers: every row, as the views port gives them', async (t, c, emu) => {
  const run = await query(c, { design: 'beer', view: 'brewery_beers', options: 'stale=false' });
  const expected = await direct(emu, 'beer-sample', '_design/beer/_view/brewery_beers?stale=false');
  t.is(run.end.rc, 0);
  t.is(run.end.httpStatus, 200);
  t.is(JSON.parse(run.end.meta).total_rows, 7303);
  t.deepEqual(run.rows, expected.rows);
  t.log(`7303 rows in ${run.deliveries.length} calls: ${run.deliveries.join(', ')}`);
  t.true(run.deliveries.length < 30);
});

beerTest('by_location grouped, with the options string used as given', async (t, c, emu) => {
  const options = 'group_level=2&startkey=%5B%22United%20States%22%5D&limit=5';
  const run = await query(c, { design: 'beer', view: 'by_location', options });
  t.is(run.end.rc, 0);
  t.deepEqual(run.rows, (await direct(emu, 'beer-sample', `_design/beer/_view/by_location?${options}`)).rows);
  t.is(run.rows.length, 5);
  t.deepEqual(run.rows[0].key, ['United States']);
});

beerTest('3,000 keys in a POST body', async (t, c, emu) => {
  const all = await query(c, { design: 'beer', view: 'brewery_beers', options: 'stale=false' });
  const keys = all.rows.filter((_, i) => i % 2 === 0).slice(0, 3000).map((row) => row.key).reverse();
  const body = JSON.stringify({ keys });
  const run = await query(c, { design: 'beer', view: 'brewery_beers', body });
  t.is(run.end.rc, 0);
  t.is(run.rows.length, 3000);
  t.deepEqual(run.rows.map((row) => row.key), keys);
  t.deepEqual(run.rows, (await direct(emu, 'beer-sample', '_design/beer/_view/brewery_beers', body)).rows);
});

beerTest('an unknown view, an unknown design document, a bad parameter: rc, HTTP status, the server error', async (t, c) => {
  const view = await query(c, { design: 'beer', view: 'nope' });
  t.deepEqual([view.end.rc, view.end.httpStatus, view.end.errorCode], [VIEW_NOT_FOUND, 404, 'not_found']);
  t.is(JSON.parse(view.end.meta).error, 'not_found');
  t.regex(view.end.errorMessage ?? '', /nope/);
  t.deepEqual(view.rows, []);
  const design = await query(c, { design: 'nothing_here', view: 'v' });
  t.deepEqual([design.end.rc, design.end.httpStatus], [VIEW_NOT_FOUND, 404]);
  const bad = await query(c, { design: 'beer', view: 'by_location', options: 'group_level=x' });
  t.deepEqual([bad.end.rc, bad.end.httpStatus, bad.end.errorCode], [HTTP_FAILED, 400, 'query_parse_error']);
  t.regex(JSON.parse(bad.end.meta).reason, /integer/);
});

beerTest('a map-only view asked to reduce: the server error', async (t, c) => {
  const run = await query(c, { design: 'beer', view: 'brewery_beers', options: 'reduce=true' });
  t.not(run.end.rc, 0);
  t.is(run.end.httpStatus, 400);
  t.truthy(JSON.parse(run.end.meta).reason);
});

beerTest('design documents through http(): PUT, GET (views and management), DELETE', async (t, c, emu) => {
  const name = `dev_native_${process.pid}`;
  const doc = { views: { names: { map: 'function (doc, meta) { if (doc.name) emit(doc.name, null); }' } } };
  const put = await http(c, { type: 'view', method: 'PUT', path: `_design/${name}`, body: JSON.stringify(doc), contentType: 'application/json' });
  t.deepEqual([put.rc, put.status], [0, 201]);
  const got = await http(c, { type: 'view', method: 'GET', path: `_design/${name}` });
  t.deepEqual([got.rc, got.status], [0, 200]);
  t.deepEqual(JSON.parse(got.body).views, doc.views);
  const listing = await http(c, { type: 'management', method: 'GET', path: `/pools/default/buckets/beer-sample/ddocs` });
  t.is(listing.status, 200);
  t.true((JSON.parse(listing.body).rows as Array<{ doc: { meta: { id: string } } }>).some((r) => r.doc.meta.id === `_design/${name}`));
  const rows = await query(c, { design: name, view: 'names', options: 'stale=false&limit=2&full_set=true' });
  t.is(rows.end.rc, 0);
  t.is(rows.rows.length, 2);
  const del = await http(c, { type: 'view', method: 'DELETE', path: `_design/${name}` });
  t.deepEqual([del.rc, del.status], [0, 200]);
  const gone = await http(c, { type: 'view', method: 'GET', path: `_design/${name}` });
  t.deepEqual([gone.rc, gone.status], [0, 404]);
  t.is(JSON.parse(gone.body).error, 'not_found');
  t.is((await direct(emu, 'beer-sample', `_design/${name}`)).error, 'not_found');
});

// --- refusals and misuse --------------------------------------------------------------------

test('before connect and on memcached://: an rc delivered asynchronously, no crash', async (t) => {
  const early = new TestConnection(`${big.connectionString}/default`, { username: big.username, password: big.password });
  let called = false;
  const refused = new Promise<NativeViewEnd | undefined>((resolve) =>
    early.conn.viewQuery({ design: 'big', view: 'rows' }, (_rows, end) => {
      called = true;
      resolve(end);
    }),
  );
  t.false(called);
  t.is((await refused)!.rc, RC.NO_CONFIGURATION);
  await early.close();

  const mc = await startMemcached();
  t.teardown(() => mc.stop());
  const m = new TestConnection(mc.connectionString);
  t.is((await m.connect()).rc, 0);
  const view = await query(m, { design: 'd', view: 'v' });
  t.not(view.end.rc, 0);
  t.is(view.end.httpStatus, 0);
  t.log(`memcached viewQuery: ${view.end.rc} (${native.strerror(view.end.rc).name})`);
  for (const type of ['view', 'management'] as const) {
    const r = await http(m, { type, method: 'GET', path: '_design/d' });
    t.not(r.rc, 0, type);
    t.is(r.status, 0, type);
  }
  await m.close();
});

test('malformed specs throw TypeError and start nothing', (t) => {
  const conn = new native.Connection({ connstr: 'couchbase://127.0.0.1:1', operationTimeoutUs: 1000, configTimeoutUs: 1000 }, () => {});
  const noop = () => {};
  const bad: Array<[unknown, unknown]> = [
    [undefined, noop],
    [{ design: 'd', view: 'v' }, undefined],
    [{ design: 1, view: 'v' }, noop],
    [{ design: 'd' }, noop],
    [{ design: 'd', view: 'v', options: 5 }, noop],
    [{ design: 'd', view: 'v', body: {} }, noop],
    [{ design: 'd', view: 'v', timeoutUs: -1 }, noop],
  ];
  for (const [spec, cb] of bad) t.throws(() => conn.viewQuery(spec as NativeViewSpec, cb as never), { instanceOf: TypeError }, JSON.stringify(spec));
  const badHttp: unknown[] = [
    { type: 'query', method: 'GET', path: '/' },
    { type: 'view', method: 'PATCH', path: '/' },
    { type: 'view', method: 'GET' },
    { type: 'view', method: 'GET', path: '/', body: 3 },
  ];
  for (const spec of badHttp) t.throws(() => conn.http(spec as NativeHttpSpec, noop), { instanceOf: TypeError }, JSON.stringify(spec));
  // a handle made from JS is bound to nothing
  const handle = conn.viewQuery({ design: 'd', view: 'v' }, noop);
  const Ctor = (handle as object).constructor as new () => NativeRequest;
  t.notThrows(() => new Ctor().cancel());
  handle.cancel();
  return new Promise<void>((resolve) => conn.close(resolve));
});
