import { lastValueFrom, retry } from 'rxjs';
import { NotFoundError, TemporaryFailError, TimeoutError } from '../../src/index.js';
import { freshKey, serverSuite } from '../helpers/harness.js';

const emu = serverSuite('emulator');

emu.test('a silent server gives TimeoutError with the call site in the stack; timeout is settable', async (t, { server }) => {
  const cb = await server.connect({ timeout: 0.3 });
  try {
    const k = freshKey();
    await cb.set(k, 1);
    const e = server.emulator as { inject(f: object): Promise<void> };
    await e.inject({ opcode: 0x00, key: k, count: 1, action: 'silence' });
    const t0 = Date.now();
    const readIt = async () => await cb.get(k);
    const err = await t.throwsAsync(readIt(), { instanceOf: TimeoutError });
    t.true(Date.now() - t0 < 3000);
    t.regex(err!.stack!.split('\n')[1]!, /at async readIt .*timeout-cancel\.test\.ts/);
    t.true(err!.isTransient);
    // the connection is still fine afterwards
    t.is((await cb.get(k)).value, 1);
    cb.timeout = 5;
    t.is(cb.timeout, 5);
  } finally {
    await cb.close();
  }
});

emu.test('an injected temporary failure ends in success with retry() (whether libcouchbase or RxJS retries)', async (t, { cb, server }) => {
  const k = freshKey();
  await cb.set(k, 'v');
  const e = server.emulator as { inject(f: object): Promise<void> };
  await e.inject({ opcode: 0x00, key: k, count: 2, action: 'error', status: 0x86 }); // ETMPFAIL
  let attempts = 0;
  const op = cb.get(k);
  const r = await lastValueFrom(op.pipe(retry({ count: 5, delay: (err) => { attempts++; if (!(err instanceof TemporaryFailError)) throw err; return Promise.resolve(); } })));
  t.is(r.value, 'v');
  t.true(attempts >= 0);
});

emu.test('unsubscribing before the reply drops interest; the connection keeps working', async (t, { cb }) => {
  const k = freshKey();
  let delivered = 0;
  for (let i = 0; i < 50; i++) {
    const sub = cb.set(`${k}-${i}`, i).subscribe({ next: () => delivered++, error: () => delivered++ });
    if (i % 2 === 0) sub.unsubscribe();
  }
  await new Promise((r) => setTimeout(r, 200));
  t.is(delivered, 25);
  t.is(cb.batchStats.outstanding, 0);
  const got = await cb.getMulti(Array.from({ length: 50 }, (_, i) => `${k}-${i}`), { quiet: true });
  // odd ones were stored; even ones were never sent (unsubscribed in the same tick)
  t.is([...got.values()].filter((r) => r.success).length, 25);
  await t.throwsAsync(cb.get(`${k}-0`), { instanceOf: NotFoundError });
});
