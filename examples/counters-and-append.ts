/** The seed's counters, append/prepend and expiration. */
import { Couchbase, FMT_UTF8, NotFoundError } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

export async function countersAndAppend(target: Target): Promise<void> {
  const c = await Couchbase.connect(target.bucket('default'));
  try {
    await c.delete('counter', { quiet: true });
    try {
      const result = await c.get('counter');
      await c.set('counter', (result.value as number) + 1);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      await c.add('counter', 10);
    }
    console.log('counter after get/set:', (await c.get('counter')).value);
    console.log('counter after incr:', (await c.incr('counter', { initial: 10 })).value);
    console.log('counter after decr by 5:', (await c.decr('counter', { amount: 5 })).value);

    await c.set('greeting', 'Hello', { format: FMT_UTF8 });
    await c.append('greeting', ' World!');
    console.log((await c.get('greeting')).value);
    await c.prepend('greeting', 'Why, ');
    console.log((await c.get('greeting')).value);

    await c.set('short_lived', 'gone soon', { ttl: 60 });
    await c.touch('short_lived', { ttl: 0 });
    console.log('touch with ttl 0 keeps', JSON.stringify((await c.get('short_lived')).value), 'forever');
  } finally {
    await c.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(countersAndAppend);
