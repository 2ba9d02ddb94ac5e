/**
 * Keys and values on their way to and from the wire: key validation and encoding, value
 * encoding and decoding through the connection's transcoder, raw bytes on request.
 * @internal
 * @module
 */
import { ArgumentError, CouchbaseError, LcbStatus, ValueFormatError } from './errors/index.js';
import { argError, checkKey } from './options.js';
import { Transcoder } from './transcoder.js';

// The default transcoder's methods: when a transcoder has not replaced them, keys and JSON/UTF-8
// values stay strings until the batch is packed.
const DEFAULT_ENCODE_KEY = Transcoder.prototype.encodeKey;
const DEFAULT_ENCODE_VALUE = Transcoder.prototype.encodeValue;

export class Codec {
  constructor(
    /** The transcoder in use; swapped by `cb.transcoder = …`. */
    public transcoder: Transcoder,
    /** Return raw bytes from gets, never decode. */
    public dataPassthrough: boolean,
  ) {}

  /**
   * Validates a key and encodes it (ArgumentError on a bad key or a transcoder that misbehaves).
   * With the default key encoding the key stays a string, written into the batch as UTF-8.
   */
  encodeKey(where: string, key: unknown): Buffer | string {
    checkKey(where, key);
    if (this.transcoder.encodeKey === DEFAULT_ENCODE_KEY) return key;
    let k: unknown;
    try {
      k = this.transcoder.encodeKey(key);
    } catch (error) {
      if (error instanceof CouchbaseError) throw error;
      throw new ArgumentError(`${where}: transcoder.encodeKey failed: ${(error as Error)?.message ?? error}`, { key, innerCause: error });
    }
    if (!Buffer.isBuffer(k)) throw argError(`${where}: transcoder.encodeKey must return a Buffer`, key);
    checkKey(where, key, k);
    return k;
  }

  /** Encodes `key`'s value into bytes and flags (ValueFormatError naming the key when it cannot be). */
  encodeValue(value: unknown, format: number, key?: string): [Buffer | string, number] {
    const transcoder = this.transcoder;
    let out: unknown;
    try {
      if (transcoder.encodeValue === DEFAULT_ENCODE_VALUE) return transcoder.encodeValueText(value, format);
      out = transcoder.encodeValue(value, format);
    } catch (error) {
      if (error instanceof CouchbaseError) {
        error.key ??= key;
        throw error;
      }
      throw new ValueFormatError(`transcoder.encodeValue failed: ${(error as Error)?.message ?? error}`, { key, innerCause: error, objextra: value });
    }
    if (!Array.isArray(out) || out.length !== 2 || !(out[0] instanceof Uint8Array) || typeof out[1] !== 'number' || !Number.isInteger(out[1])) {
      throw new ValueFormatError('transcoder.encodeValue must return [Buffer | Uint8Array, integer flags]', { key, objextra: out });
    }
    const bytes = out[0] as Uint8Array;
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return [buf, (out[1] as number) >>> 0];
  }

  /** Decodes a value; raw bytes with `noFormat` or `dataPassthrough`. */
  decode(key: string, data: Buffer, flags: number, noFormat: boolean): unknown {
    // `data` is a view into the batch's response buffer: raw bytes handed to the user are copied
    // (so one small value never pins a whole batch); the transcoder gets the view.
    if (noFormat || this.dataPassthrough) return Buffer.from(data);
    try {
      return this.transcoder.decodeValue(data, flags);
    } catch (error) {
      if (error instanceof CouchbaseError) {
        error.key ??= key;
        throw error;
      }
      throw CouchbaseError.fromRc(LcbStatus.LCB_ERR_DECODING_FAILURE, {
        message: `Failed to decode bytes: ${(error as Error)?.message ?? error}`, key, innerCause: error, objextra: Buffer.from(data),
      });
    }
  }
}
