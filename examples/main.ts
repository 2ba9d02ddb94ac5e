/**
 * `npm run examples`: the seed's programs, one after another, on the embedded emulator (or on the
 * cluster named by COUCHBASE_CONNSTR).
 */
import { countersAndAppend } from './counters-and-append.js';
import { crud } from './crud.js';
import { designDocs } from './design-docs.js';
import { durability } from './durability.js';
import { encodings } from './encodings.js';
import { errorHandling } from './error-handling.js';
import { helloCouchbase } from './hello-couchbase.js';
import { items } from './items.js';
import { locking } from './locking.js';
import { openTarget, type Target } from './support/target.js';
import { transcoders } from './transcoders.js';
import { views } from './views.js';

const programs: Array<[string, (target: Target) => Promise<void>]> = [
  ['Hello Couchbase', helloCouchbase],
  ['CRUD Example', crud],
  ['Encoding and Serialization', encodings],
  ['Error Handling', errorHandling],
  ['Counters, Append/Prepend, Expiration', countersAndAppend],
  ['Locking', locking],
  ['Custom Transcoders and Bypassing Conversion', transcoders],
  ['Item API', items],
  ['Durability and Replicas', durability],
  ['Querying Views', views],
  ['Design Document Management', designDocs],
];

const target = await openTarget();
let failed = 0;
try {
  for (const [title, program] of programs) {
    console.log(`\n=== ${title} ===`);
    try {
      await program(target);
    } catch (error) {
      failed++;
      console.log(`!!! ${title} failed:`, error);
    }
  }
} finally {
  await target.close();
}
console.log(failed ? `\n${failed} of ${programs.length} programs failed` : `\nAll ${programs.length} programs ran.`);
process.exitCode = failed ? 1 : 0;
