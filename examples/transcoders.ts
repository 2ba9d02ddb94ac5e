/** The seed's zlib Transcoder (a custom flag above FMT_MASK) and bypassing conversion. */
import { deflateSync, inflateSync } from 'node:zlib';
import { Couchbase, FMT_BYTES, FMT_MASK, Transcoder } from '../src/index.js';
import { isMain, runStandalone, type Target } from './support/target.js';

/** Our own flag, the first bit above the built-in formats. */
export const FMT_ZLIB = (FMT_MASK << 1) & ~FMT_MASK;

export class ZlibTranscoder extends Transcoder {
  override encodeValue(value: unknown, format: number): [Buffer, number] {
    let [converted, flags] = super.encodeValue(value, format & FMT_MASK);
    if (format & FMT_ZLIB) {
      flags |= FMT_ZLIB;
      converted = deflateSync(converted);
    }
    return [converted, flags];
  }

  override decodeValue(value: Buffer, flags: number): unknown {
    if (flags & FMT_ZLIB) {
      value = inflateSync(value);
      flags &= ~FMT_ZLIB;
    }
    return super.decodeValue(value, flags);
  }
}

export async function transcoders(target: Target): Promise<void> {
  const c = await Couchbase.connect({ ...target.bucket('default'), transcoder: new ZlibTranscoder() });
  try {
    const stored = await c.set('foo', Buffer.from('long value'.repeat(1000)), { format: FMT_BYTES | FMT_ZLIB });
    const raw = await c.get('foo', { noFormat: true });
    const back = await c.get('foo');
    console.log(`stored with flags 0x${raw.flags.toString(16)}: ${(raw.value as Buffer).length} bytes on the server`);
    console.log(`read back: ${(back.value as Buffer).length} bytes, starts with '${(back.value as Buffer).subarray(0, 20)}'`);
    console.log(String(stored));
  } finally {
    await c.close();
  }

  const p = await Couchbase.connect(target.bucket('default'));
  try {
    await p.set('a_dict', { foo: 'bar' });
    p.dataPassthrough = true;
    const value = (await p.get('a_dict')).value as Buffer;
    console.log('dataPassthrough:', value, value.equals(Buffer.from('{"foo":"bar"}')));
  } finally {
    await p.close();
  }
}

if (isMain(import.meta.url)) await runStandalone(transcoders);
