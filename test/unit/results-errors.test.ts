import test from 'ava';
import {
  ArgumentError, AuthError, BucketNotFoundError, ConnectError, CouchbaseError, DeltaBadvalError, DurabilityError, ERROR_CODES,
  HttpError, KeyExistsError, LcbStatus, MultiResult, NetworkError, NotFoundError, NotSupportedError, ObserveResult,
  OperationResult, TemporaryFailError, TimeoutError, TooBigError, ValueFormatError, ValueResult, isTransientRc, rcToExctype,
} from '../../src/index.js';

test('toString in the seed form', (t) => {
  t.is(String(new ValueResult('demo_key', 0, 0x2fbbf239b45e0400n, 'demo_value', 0x4)),
    "ValueResult<RC=0x0, Key=demo_key, Value='demo_value', CAS=0x2fbbf239b45e0400, Flags=0x4>");
  t.is(String(new OperationResult('demo_key', 0, 0x2fbbf239b45e0400n)), 'OperationResult<RC=0x0, Key=demo_key, CAS=0x2fbbf239b45e0400>');
  t.is(String(new ValueResult('EXCALIBUR', 0, 0x6552956a925e0400n, '\u03ee', 0x4)),
    "ValueResult<RC=0x0, Key=EXCALIBUR, Value='\u03ee', CAS=0x6552956a925e0400, Flags=0x4>");
  t.is(String(new OperationResult('k', 0x12d, 0n)), 'OperationResult<RC=0x12d, Key=k, CAS=0x0>');
  t.regex(String(new ObserveResult('k', 0, [{ status: 1, cas: 5n, master: true, server: 'h:1' }])), /^ObserveResult<RC=0x0, Key=k, Value=\[M:0x1\/0x5\]>$/);
});

test('Result properties', (t) => {
  const r = new ValueResult('k', 0, 12n, { a: 1 }, 0x02000000);
  t.true(r.success);
  t.is(typeof r.cas, 'bigint');
  t.false(new OperationResult('k', 301).success);
  const mr = new MultiResult([['a', r], ['b', new ValueResult('b', 301)]]);
  t.true(mr instanceof Map);
  t.false(mr.allOk);
  mr.delete('b');
  t.true(mr.allOk);
});

test('rcToExctype follows the generated libcouchbase table', (t) => {
  const cases: Array<[number, typeof CouchbaseError]> = [
    [LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND, NotFoundError],
    [LcbStatus.LCB_ERR_DOCUMENT_EXISTS, KeyExistsError],
    [LcbStatus.LCB_ERR_CAS_MISMATCH, KeyExistsError],
    [LcbStatus.LCB_ERR_TEMPORARY_FAILURE, TemporaryFailError],
    [LcbStatus.LCB_ERR_DOCUMENT_LOCKED, TemporaryFailError],
    [LcbStatus.LCB_ERR_TIMEOUT, TimeoutError],
    [LcbStatus.LCB_ERR_DECODING_FAILURE, ValueFormatError],
    [LcbStatus.LCB_ERR_INVALID_ARGUMENT, ArgumentError],
    [LcbStatus.LCB_ERR_EMPTY_KEY, ArgumentError],
    [LcbStatus.LCB_ERR_INVALID_DELTA, DeltaBadvalError],
    [LcbStatus.LCB_ERR_VALUE_TOO_LARGE, TooBigError],
    [LcbStatus.LCB_ERR_AUTHENTICATION_FAILURE, AuthError],
    [LcbStatus.LCB_ERR_BUCKET_NOT_FOUND, BucketNotFoundError],
    [LcbStatus.LCB_ERR_CONNECTION_REFUSED, ConnectError],
    [LcbStatus.LCB_ERR_SOCKET_SHUTDOWN, NetworkError],
    [LcbStatus.LCB_ERR_HTTP, HttpError],
    [LcbStatus.LCB_ERR_DURABILITY_TOO_MANY, DurabilityError],
    [LcbStatus.LCB_ERR_UNSUPPORTED_OPERATION, NotSupportedError],
    [LcbStatus.LCB_ERR_GENERIC, CouchbaseError],
    [99999, CouchbaseError],
  ];
  for (const [rc, cls] of cases) t.is(rcToExctype(rc), cls, `rc ${rc}`);
  t.is(CouchbaseError.rcToExctype(301), NotFoundError);
  for (const c of ERROR_CODES) {
    if (c.rc === 0) continue;
    t.true(rcToExctype(c.rc).prototype instanceof Error, c.name);
  }
});

test('error table and transient set come from the generated codes', (t) => {
  t.true(ERROR_CODES.length > 100);
  t.is(ERROR_CODES.find((c) => c.name === 'LCB_ERR_TIMEOUT')!.rc, 201);
  t.true(isTransientRc(LcbStatus.LCB_ERR_TIMEOUT));
  t.true(isTransientRc(LcbStatus.LCB_ERR_TEMPORARY_FAILURE));
  t.true(isTransientRc(LcbStatus.LCB_ERR_DOCUMENT_LOCKED));
  t.false(isTransientRc(LcbStatus.LCB_ERR_DOCUMENT_NOT_FOUND));
});

test('errors carry rc, key, innerCause, objextra and a name', (t) => {
  const cause = new SyntaxError('x');
  const e = CouchbaseError.fromRc(301, { key: 'k', innerCause: cause, objextra: 1 });
  t.true(e instanceof NotFoundError);
  t.true(e instanceof CouchbaseError);
  t.is(e.name, 'NotFoundError');
  t.is(e.rc, 301);
  t.is(e.key, 'k');
  t.is(e.innerCause, cause);
  t.is(e.objextra, 1);
  t.is(e.rcName, 'LCB_ERR_DOCUMENT_NOT_FOUND');
  t.regex(e.message, /RC=0x12D\[LCB_ERR_DOCUMENT_NOT_FOUND: Document is not found\]/);
  t.is(new TimeoutError().rc, 201);
  t.true(new TemporaryFailError().isTransient);
});

test('errors print in the seed form', (t) => {
  const e = CouchbaseError.fromRc(301, { key: 'demo_key' });
  t.is(String(e), 'NotFoundError: <Key="demo_key", RC=0x12D[LCB_ERR_DOCUMENT_NOT_FOUND: Document is not found]>');
  const v = new ValueFormatError("Couldn't encode value", { innerCause: new TypeError('x is not JSON serializable'), objextra: 10n });
  t.is(String(v), "ValueFormatError: <Couldn't encode value, RC=0xD4[LCB_ERR_ENCODING_FAILURE], inner_cause=x is not JSON serializable, OBJ=10n>");
  const m = new KeyExistsError(undefined, { key: 'foo', allResults: new MultiResult([['foo', new OperationResult('foo', 305)]]) });
  t.regex(String(m), /Results=1>$/);
});
