/** The seed's Item API: a subclassed Item stored, appended to with appendItems, read back. */
import { inspect } from 'node:util';
import { Couchbase, FMT_UTF8, Item, ItemOptionDict, ItemSequence } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

class MyItem extends Item {
  printValue(): void {
    console.log(inspect(this.value));
  }
}

export async function items(target: Target): Promise<void> {
  const cb = await Couchbase.connect(target.bucket('default'));
  try {
    const itm = new MyItem();
    itm.key = 'simple_key';
    itm.value = 'Hello World';

    await cb.setMulti(new ItemSequence([itm]), { format: FMT_UTF8 });
    itm.printValue();

    const itmcoll = new ItemOptionDict();
    itmcoll.add(itm, { fragment: ' ..again' });
    await cb.appendItems(itmcoll, { format: FMT_UTF8 });
    itm.printValue();

    console.log((await cb.get(itm.key)).value);
  } finally {
    await cb.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(items);
