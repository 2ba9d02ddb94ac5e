/**
 * `npm run examples` as a user runs it: every seed program on a fresh embedded emulator, in a child
 * process. The CRUD section must print what the seed's CRUD example prints, CAS values aside
 * (our flags are Couchbase's common flags, and errors print in this SDK's form).
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

const crudExpected = `Setting key demo_key with value demo_value
... OperationResult<RC=0x0, Key=demo_key, CAS=0x#>

Getting value for key demo_key
... ValueResult<RC=0x0, Key=demo_key, Value='demo_value', CAS=0x#, Flags=0x2000000>

Creating new key demo_key with value 'new_value'
This will fail as 'demo_key' already exists
KeyExistsError: <Key="demo_key", RC=0x131[LCB_ERR_DOCUMENT_EXISTS: Document already exists]>
Replacing existing key demo_key with new value
... OperationResult<RC=0x0, Key=demo_key, CAS=0x#>

Getting new value for key demo_key
... ValueResult<RC=0x0, Key=demo_key, Value='new value', CAS=0x#, Flags=0x2000000>

Deleting key demo_key
... OperationResult<RC=0x0, Key=demo_key, CAS=0x#>

Getting value for key demo_key. This will fail as it has been deleted
NotFoundError: <Key="demo_key", RC=0x12D[LCB_ERR_DOCUMENT_NOT_FOUND: Document is not found]>

Creating new key demo_key with value 'added_value'
... OperationResult<RC=0x0, Key=demo_key, CAS=0x#>
Getting the new value
... ValueResult<RC=0x0, Key=demo_key, Value='added_value', CAS=0x#, Flags=0x2000000>`;

test('npm run examples runs every seed program on the embedded emulator', async (t) => {
  const env = { ...process.env };
  delete env.COUCHBASE_CONNSTR;
  const { stdout } = await run(process.execPath, ['--import=tsx', 'examples/main.ts'], { cwd: root, env, timeout: 110_000 });
  t.regex(stdout, /All 11 programs ran\.\n$/);

  const crud = stdout.split('=== CRUD Example ===\n')[1]?.split('\n\n=== ')[0] ?? '';
  t.is(crud.replace(/CAS=0x[0-9a-f]+/g, 'CAS=0x#'), crudExpected);

  t.regex(stdout, /=== Hello Couchbase ===\nJuleøl, ABV: 5\.9\nOperationResult<RC=0x0, Key=aass_brewery-juleol, CAS=0x[0-9a-f]+>/);
  t.regex(stdout, /'Hello World'\n'Hello World \.\.again'\nHello World \.\.again/);
  t.regex(stdout, /friends of mark: anna, bob, carol/);
  t.regex(stdout, /=== Querying Views ===\nMapped key: \["21st_amendment_brewery_cafe"\]\nEmitted value: null\nDocument ID: 21st_amendment_brewery_cafe\n[^]*\.\.\. 7300 more rows\n/);
  t.regex(stdout, /\n30 beers listed, the first: \.38 Special Bitter \(brewery sullivan_s_black_forest_brew_haus_grill\)\n/);
  t.regex(stdout, /styles\/by_style: American Rye Ale or Lager: 11, [^]*querying a deleted design document: HTTP 404/);
});
