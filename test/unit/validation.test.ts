import test from 'ava';
import { ArgumentError, FMT_JSON, FMT_UTF8, ValueFormatError, LcbStatus } from '../../src/index.js';
import { fakeConnect, freshKey } from './helpers.js';

test('empty, non-string and too-long keys are ArgumentErrors that never reach native', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const e1 = await t.throwsAsync(cb.get(''), { instanceOf: ArgumentError });
  t.is(e1!.rc, LcbStatus.LCB_ERR_EMPTY_KEY);
  await t.throwsAsync(cb.get(42 as unknown as string), { instanceOf: ArgumentError, message: /key must be a string/ });
  await t.throwsAsync(cb.set('x'.repeat(251), 1), { instanceOf: ArgumentError, message: /251 bytes/ });
  await t.throwsAsync(cb.set('é'.repeat(126), 1), { instanceOf: ArgumentError, message: /252 bytes/ });
  await t.notThrowsAsync(cb.set('x'.repeat(250), 1));
  t.is(cluster.submits.length, 1);
  await cb.close();
});

test('bad TTLs and amounts', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const k = freshKey();
  for (const ttl of [-1, 1.5, NaN, Infinity, '10', 2 ** 32]) {
    await t.throwsAsync(cb.set(k, 1, { ttl: ttl as number }), { instanceOf: ArgumentError, message: /'ttl'/ });
  }
  for (const amount of [-1, 0.5, NaN, -1n]) {
    await t.throwsAsync(cb.incr(k, { amount: amount as number }), { instanceOf: ArgumentError, message: /'amount'/ });
  }
  await t.throwsAsync(cb.incr(k, { initial: -5 }), { instanceOf: ArgumentError, message: /'initial'/ });
  await t.throwsAsync(cb.touch(k, { ttl: -3 }), { instanceOf: ArgumentError });
  t.is(cluster.submits.length, 0);
  await cb.close();
});

test('values the format cannot encode are ValueFormatErrors', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const k = freshKey();
  const e = await t.throwsAsync(cb.set(k, 10n), { instanceOf: ValueFormatError });
  t.truthy(e!.innerCause);
  t.is(e!.objextra, 10n);
  t.is(e!.key, k, 'the error names the key');
  const m = await t.throwsAsync(cb.setMulti({ [`${k}-ok`]: 1, [`${k}-bad`]: { big: 1n } }), { instanceOf: ValueFormatError });
  t.is(m!.key, `${k}-bad`);
  await t.throwsAsync(cb.set(k, undefined), { instanceOf: ValueFormatError });
  await t.throwsAsync(cb.set(k, () => 1), { instanceOf: ValueFormatError });
  await t.throwsAsync(cb.set(k, { a: 1 }, { format: FMT_UTF8 }), { instanceOf: ValueFormatError, message: /FMT_UTF8 needs a string/ });
  const cyc: Record<string, unknown> = {};
  cyc.self = cyc;
  await t.throwsAsync(cb.set(k, cyc, { format: FMT_JSON }), { instanceOf: ValueFormatError });
  t.is(cluster.submits.length, 0);
  await cb.close();
});

test('append/prepend with JSON format is an ArgumentError', async (t) => {
  const { cb } = await fakeConnect();
  await t.throwsAsync(cb.append(freshKey(), 'x', { format: FMT_JSON }), { instanceOf: ArgumentError, message: /FMT_UTF8 or FMT_BYTES/ });
  await t.throwsAsync(cb.prepend(freshKey(), 'x', { format: FMT_JSON }), { instanceOf: ArgumentError });
  await cb.close();
});

test('unlock without CAS', async (t) => {
  const { cb } = await fakeConnect();
  await t.throwsAsync(cb.unlock(freshKey(), undefined as unknown as bigint), { instanceOf: ArgumentError, message: /'cas' is required/ });
  await t.throwsAsync(cb.unlock(freshKey(), 0n), { instanceOf: ArgumentError });
  await cb.close();
});

test('duplicate keys in one multi call', async (t) => {
  const { cb, cluster } = await fakeConnect();
  const e = await t.throwsAsync(cb.getMulti(['a', 'b', 'a']), { instanceOf: ArgumentError, message: /duplicate key "a"/ });
  t.is(e!.rc, LcbStatus.LCB_ERR_DUPLICATE_COMMANDS);
  await t.throwsAsync(cb.setMulti([['a', 1], ['a', 2]]), { instanceOf: ArgumentError });
  await t.throwsAsync(cb.getMulti('abc' as unknown as string[]), { instanceOf: ArgumentError, message: /not a single string/ });
  t.is(cluster.submits.length, 0);
  await cb.close();
});

test('seed spellings get a hint; unknown options are rejected', async (t) => {
  const { cb } = await fakeConnect();
  await t.throwsAsync(cb.set(freshKey(), 1, { persist_to: 1 } as object), { instanceOf: ArgumentError, message: /did you mean 'persistTo'/ });
  await t.throwsAsync(cb.get(freshKey(), { no_format: true } as object), { instanceOf: ArgumentError, message: /did you mean 'noFormat'/ });
  await t.throwsAsync(cb.set(freshKey(), 1, { replicate_to: 1 } as object), { instanceOf: ArgumentError, message: /replicateTo/ });
  await t.throwsAsync(cb.set(freshKey(), 1, { bogus: 1 } as object), { instanceOf: ArgumentError, message: /unknown option 'bogus'/ });
  await t.throwsAsync(cb.get(freshKey(), { quiet: 'yes' } as object), { instanceOf: ArgumentError, message: /'quiet' must be a boolean/ });
  await t.throwsAsync(cb.set(freshKey(), 1, { persistTo: 5 }), { instanceOf: ArgumentError });
  await cb.close();
});

test('connect validates options and host strings', async (t) => {
  const bad = [
    { host: 'bad host' }, { host: 'a/b' }, { host: 'h:0' }, { host: 'h:99999' }, { host: [] }, { host: 'x?y' },
    { timeout: 0 }, { timeout: -1 }, { timeout: 'x' }, { bucket: '' }, { connectionString: 'foo://h' },
    { connectionString: 'nonsense' }, { unlock_gil: false }, { default_format: 0 },
  ];
  for (const opts of bad) {
    await t.throwsAsync(fakeConnect(opts as object), { instanceOf: ArgumentError }, JSON.stringify(opts));
  }
  const e = await t.throwsAsync(fakeConnect({ data_passthrough: true } as object));
  t.regex(e!.message, /dataPassthrough/);
});

test('lockmode and unlockGil are accepted and ignored', async (t) => {
  const { cb } = await fakeConnect({ lockmode: 2, unlockGil: false });
  t.false(cb.closed);
  await cb.close();
});
