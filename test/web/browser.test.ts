/**
 * The app in a real browser (Debian's chromium driven by playwright-core), as a user goes
 * through it: the list and its search box, create, edit, the stale-edit refusal with two pages
 * open at once, delete, a brewery's beers and the search within them, like and unlike.
 * Screenshots of the list, a beer's page and the stale-edit refusal go to test/web/screenshots/.
 */
import test from 'ava';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { useApp } from './_app.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const screenshots = fileURLToPath(new URL('./screenshots/', import.meta.url));

const missing = existsSync(CHROMIUM) ? undefined : `no browser at ${CHROMIUM} (apt-get install -y chromium)`;
const web = useApp(test);
let browser: Browser | undefined;
let base = '';
/** What the pages' scripts logged as errors (a CSP violation would show here too). */
const pageErrors: string[] = [];

test.serial.before(async () => {
  if (missing) return;
  await web().app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(web().app.server.address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  mkdirSync(screenshots, { recursive: true });
});
test.after.always(async () => {
  await browser?.close();
});

async function open(path: string): Promise<Page> {
  const page = await browser!.newPage();
  page.on('pageerror', (e) => pageErrors.push(`${path}: ${e.message}`));
  // Pages answered with a 4xx on purpose (409, 404) are checked by the tests; any other resource
  // that fails (a script, a stylesheet, a fetch) or any other console error is a fault.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(`${path}: ${m.text()}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== 'document') pageErrors.push(`${path}: ${r.status()} for ${r.url()}`);
  });
  await page.goto(base + path);
  return page;
}

const firstCells = (page: Page, table: string) => page.locator(`#${table} tbody tr td:first-child`).allTextContents();

function browserTest(title: string, run: (t: import('ava').ExecutionContext) => Promise<void>): void {
  if (missing) {
    console.log(`skipped "${title}": ${missing}`);
    test.skip(title, () => {});
    return;
  }
  test.serial(title, run);
}

browserTest('the beer list, and its search box filtering as one types', async (t) => {
  const page = await open('/beers');
  t.is((await firstCells(page, 'beer-table')).length, 30);
  await page.screenshot({ path: `${screenshots}beer-list.png`, fullPage: true });

  await page.locator('#beer-search').pressSequentially('Liberty', { delay: 40 });
  await page.waitForSelector('#beer-table[data-searched="Liberty"]');
  const names = await firstCells(page, 'beer-table');
  t.true(names.length > 0);
  t.true(names.every((n) => n.startsWith('Liberty')), names.join(', '));
  await page.locator('#beer-search').pressSequentially(' P', { delay: 40 });
  await page.waitForSelector('#beer-table[data-searched="Liberty P"]');
  t.deepEqual(await firstCells(page, 'beer-table'), ['Liberty Pale Ale', 'Liberty Pale Ale']);
  await page.locator('#beer-search').fill('<script>');
  await page.waitForSelector('#beer-table[data-searched="<script>"]');
  t.is(await page.textContent('#beer-search-status'), 'No matches');
  await page.close();
});

browserTest('create a beer, edit it, and see a stale edit from a second page refused', async (t) => {
  const page = await open('/beers/create');
  await page.fill('#beer_name', 'Browser Test Ale');
  await page.fill('#beer_brewery_id', 'anchor_brewing');
  await page.fill('#beer_abv', '5.5');
  await page.fill('#beer_style', 'Pale Ale');
  await page.click('#save');
  await page.waitForURL(`${base}/beers/show/anchor_brewing-browser_test_ale`);
  t.is(await page.textContent('#name'), 'Browser Test Ale');
  await page.screenshot({ path: `${screenshots}beer-page.png`, fullPage: true });

  await page.click('text=Edit');
  await page.fill('#beer_description', 'Edited in a browser');
  await page.click('#save');
  await page.waitForURL(`${base}/beers/show/anchor_brewing-browser_test_ale`);
  t.true((await page.textContent('#fields'))!.includes('Edited in a browser'));

  const mine = await open('/beers/edit/anchor_brewing-browser_test_ale');
  const theirs = await open('/beers/edit/anchor_brewing-browser_test_ale');
  await theirs.fill('#beer_style', 'Their Style');
  await theirs.click('#save');
  await theirs.waitForURL(`${base}/beers/show/anchor_brewing-browser_test_ale`);
  await mine.fill('#beer_style', 'My Style');
  await mine.click('#save');
  await mine.waitForSelector('#conflict');
  t.true((await mine.textContent('#conflict'))!.includes('Not saved: someone else changed this beer after you opened the form.'));
  t.is(await mine.inputValue('#beer_style'), 'Their Style');
  t.deepEqual(await mine.locator('#conflict-fields tbody td').allTextContents(), ['Style', 'Their Style', 'My Style']);
  await mine.screenshot({ path: `${screenshots}stale-edit.png`, fullPage: true });
  t.is((await web().db.get<{ style: string }>('anchor_brewing-browser_test_ale')).value.style, 'Their Style');

  await mine.fill('#beer_style', 'My Style');
  await mine.click('#save');
  await mine.waitForURL(`${base}/beers/show/anchor_brewing-browser_test_ale`);
  t.is((await web().db.get<{ style: string }>('anchor_brewing-browser_test_ale')).value.style, 'My Style');
  await Promise.all([page.close(), mine.close(), theirs.close()]);
});

browserTest('like and unlike a beer: the counter changes in place and stays changed', async (t) => {
  const page = await open('/beers/show/anchor_brewing-browser_test_ale');
  t.is(await page.textContent('#likes'), '0');
  await page.click('#like');
  await page.waitForSelector('#likes:text-is("1")');
  await page.click('#like');
  await page.waitForSelector('#likes:text-is("2")');
  await page.click('#unlike');
  await page.waitForSelector('#likes:text-is("1")');
  await page.reload();
  t.is(await page.textContent('#likes'), '1');
  await page.close();
});

browserTest('delete the beer: asked to confirm, then gone', async (t) => {
  const page = await open('/beers/show/anchor_brewing-browser_test_ale');
  await page.click('text=Delete');
  await page.waitForURL(`${base}/beers/delete/anchor_brewing-browser_test_ale`);
  await page.click('#confirm-delete');
  await page.waitForURL(`${base}/beers`);
  const gone = await page.goto(`${base}/beers/show/anchor_brewing-browser_test_ale`);
  t.is(gone?.status(), 404);
  await page.close();
});

browserTest("a brewery's beers, the search within them, and the brewery's delete refused", async (t) => {
  const page = await open('/breweries/show/anchor_brewing');
  t.is(await page.textContent('#beer-count'), '19');
  t.is((await firstCells(page, 'brewery-beers')).length, 19);
  await page.locator('#brewery-beer-search').pressSequentially('Old', { delay: 40 });
  await page.waitForSelector('#brewery-beers[data-searched="Old"]');
  t.deepEqual(await firstCells(page, 'brewery-beers'), ['Old Foghorn 1996', 'Old Foghorn 1998', 'Old Foghorn 2001', 'Old Foghorn 2002', 'Old Foghorn 2006']);

  await page.click('text=Delete');
  await page.waitForSelector('#refusal');
  t.true((await page.textContent('#refusal'))!.includes('It still has 19 beers.'));
  t.is(await page.locator('#blocking li').count(), 19);
  await page.close();
});

browserTest('no page logged a script error', async (t) => {
  t.deepEqual(pageErrors, []);
});
