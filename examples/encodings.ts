/** The seed's "Encoding and Serialization": JSON by default, FMT_V8 (pickle's role), bytes, UTF-8, default format. */
import { inspect } from 'node:util';
import { Couchbase, FMT_BYTES, FMT_UTF8, FMT_V8 } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

export async function encodings(target: Target): Promise<void> {
  const client = await Couchbase.connect(target.bucket('default'));
  try {
    const value = {
      'this is a': 'dictionary',
      'and this is a list': ['with', 'some', 'elements'],
      'you can also use floats': 3.14,
      integers: 42,
      strings: 'hello',
      unicode: 'שלום!',
      blobs: '\x00',
      'or a null': null,
    };
    await client.set('a_key', value);
    const result = await client.get('a_key');
    console.log(inspect(result.value, { sorted: true }));
    console.log((result.value as typeof value).unicode);

    console.log('');
    console.log('Other formats: FMT_V8 keeps what JSON cannot (Map, Set, Date, BigInt, cycles)');
    await client.set('a_js_set', new Set([1, 2, 3]), { format: FMT_V8 });
    await client.set('a_js_map', new Map<string, unknown>([['when', new Date(0)], ['big', 2n ** 70n]]), { format: FMT_V8 });
    console.log(inspect((await client.get('a_js_set')).value));
    console.log(inspect((await client.get('a_js_map')).value));

    await client.set('blob', Buffer.from([1, 2, 3, 4]), { format: FMT_BYTES });
    console.log(inspect((await client.get('blob')).value));

    await client.set('EXCALIBUR', '\u03EE', { format: FMT_UTF8 });
    console.log(String(await client.get('EXCALIBUR')));

    console.log('');
    console.log('Setting the default format');
    client.defaultFormat = FMT_UTF8;
    await client.set('plain_text', 'stored as UTF-8, not as a JSON string');
    const raw = await client.get('plain_text', { noFormat: true });
    console.log(inspect(raw.value));
  } finally {
    await client.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(encodings);
