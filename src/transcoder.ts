/**
 * Formats and the Transcoder (the seed's "Encoding and Serialization" and "Custom
 * Encodings/Conversions" chapters).
 *
 * Flags written follow Couchbase's common-flags scheme (the top byte: 0x01 private,
 * 0x02 JSON, 0x03 binary, 0x04 string) with the Python SDK's legacy format bits in the
 * low 3 bits, so other SDKs and old Python clients read what this one writes. On read,
 * common flags win; values with only legacy bits (flags 0 = JSON, 2 = bytes, 4 = UTF-8,
 * 1 = pickle) are read too.
 * @module
 */
import { Buffer } from 'node:buffer';
import { converters } from './converters.js';
import { ArgumentError, ValueFormatError, LcbStatus } from './errors/index.js';

/** JSON (the default): anything JSON.stringify accepts. Flags 0x02000000. */
export const FMT_JSON = 0x02000000;
/** Private binary: `node:v8` structured serialisation (Map, Set, Date, BigInt, typed arrays, cycles). Takes the seed's FMT_PICKLE role. */
export const FMT_V8 = 0x01000001;
/** Raw bytes: Buffer or Uint8Array. */
export const FMT_BYTES = 0x03000002;
/** A string stored as UTF-8. */
export const FMT_UTF8 = 0x04000004;
/** Bits used by the built-in formats (common-flags byte + legacy bits). Custom flags go above, e.g. `(FMT_MASK << 1) & ~FMT_MASK`. */
export const FMT_MASK = 0xff000007 | 0;
/** Guess the format from the JS type: string → UTF8, Buffer/Uint8Array → BYTES, plain objects/arrays/numbers/booleans/null → JSON, anything else → V8. */
export const FMT_AUTO = -1;

/** Common-flags format byte values. @internal */
export const COMMON = { MASK: 0xff000000, PRIVATE: 0x01000000, JSON: 0x02000000, BINARY: 0x03000000, STRING: 0x04000000 } as const;
/** Legacy Python SDK 1.x format bits. @internal */
export const LEGACY = { MASK: 0x7, JSON: 0, PICKLE: 1, BYTES: 2, UTF8: 4 } as const;

/** The name of a built-in format (for messages). */
export function formatName(format: number): string {
  switch (format) {
    case FMT_JSON: return 'FMT_JSON';
    case FMT_V8: return 'FMT_V8';
    case FMT_BYTES: return 'FMT_BYTES';
    case FMT_UTF8: return 'FMT_UTF8';
    case FMT_AUTO: return 'FMT_AUTO';
    default: return `0x${(format >>> 0).toString(16)}`;
  }
}

function isPlain(value: unknown): boolean {
  if (value === null) return true;
  const t = typeof value;
  if (t === 'number' || t === 'boolean') return Number.isFinite(value as number) || t === 'boolean';
  if (t !== 'object') return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The format FMT_AUTO picks for a value. */
export function guessFormat(value: unknown): number {
  if (typeof value === 'string') return FMT_UTF8;
  if (value instanceof Uint8Array) return FMT_BYTES;
  if (isPlain(value)) return FMT_JSON;
  return FMT_V8;
}

function toBuffer(b: Buffer | Uint8Array | string): Buffer {
  if (typeof b === 'string') return Buffer.from(b, 'utf8');
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

function encodeFailure(value: unknown, format: number, cause: unknown, what: string): ValueFormatError {
  return new ValueFormatError(`Couldn't encode value as ${formatName(format)}: ${what}`, {
    rc: LcbStatus.LCB_ERR_ENCODING_FAILURE,
    innerCause: cause,
    objextra: value,
  });
}

function decodeFailure(bytes: Buffer, flags: number, cause: unknown, what: string): ValueFormatError {
  return new ValueFormatError(`Failed to decode bytes (flags 0x${(flags >>> 0).toString(16)}): ${what}`, {
    rc: LcbStatus.LCB_ERR_DECODING_FAILURE,
    innerCause: cause,
    objextra: Buffer.from(bytes), // a copy: `bytes` is reused once decodeValue returns
  });
}

/**
 * Converts keys and values to and from their stored form. Subclass it and override the
 * methods you need; pass the class or an instance as the `transcoder` connection option.
 *
 * ```ts
 * const FMT_ZLIB = (FMT_MASK << 1) & ~FMT_MASK;
 * class ZlibTranscoder extends Transcoder {
 *   encodeValue(value, format) {
 *     let [bytes, flags] = super.encodeValue(value, format & FMT_MASK);
 *     if (format & FMT_ZLIB) { flags |= FMT_ZLIB; bytes = deflateSync(bytes); }
 *     return [bytes, flags];
 *   }
 *   decodeValue(bytes, flags) {
 *     if (flags & FMT_ZLIB) { bytes = inflateSync(bytes); flags &= FMT_MASK; }
 *     return super.decodeValue(bytes, flags);
 *   }
 * }
 * ```
 */
export class Transcoder {
  /** Encodes a key to the bytes sent to the server (default: UTF-8). */
  encodeKey(key: string): Buffer {
    if (typeof key !== 'string') throw new ArgumentError(`key must be a string, got ${typeof key}`, { objextra: key });
    return Buffer.from(key, 'utf8');
  }

  /** Decodes key bytes from the server (default: UTF-8). */
  decodeKey(bytes: Buffer): string {
    return bytes.toString('utf8');
  }

  /**
   * Encodes a value for a format. Returns the bytes and the flags stored with them.
   * @throws ValueFormatError when the value cannot be represented in `format`
   */
  encodeValue(value: unknown, format: number): [Buffer, number] {
    const [out, flags] = this.encodeValueText(value, format);
    return [toBuffer(out), flags];
  }

  /**
   * `encodeValue` with JSON and UTF-8 text left as a string: the connection writes it into the
   * batch as UTF-8 at flush, without a Buffer per value. Used when `encodeValue` is not
   * overridden. @internal
   */
  encodeValueText(value: unknown, format: number): [string | Buffer, number] {
    if (format === FMT_AUTO) format = guessFormat(value);
    switch (format) {
      case FMT_JSON: {
        let text: string | Buffer | undefined;
        try {
          text = converters.jsonEncode(value);
        } catch (error) {
          throw encodeFailure(value, format, error, (error as Error)?.message ?? String(error));
        }
        if (text === undefined) throw encodeFailure(value, format, undefined, `${typeof value} is not JSON-serializable`);
        return [typeof text === 'string' ? text : toBuffer(text), FMT_JSON];
      }
      case FMT_UTF8:
        if (typeof value !== 'string') throw encodeFailure(value, format, undefined, `FMT_UTF8 needs a string, got ${typeName(value)}`);
        return [value, FMT_UTF8];
      case FMT_BYTES:
        if (!(value instanceof Uint8Array)) throw encodeFailure(value, format, undefined, `FMT_BYTES needs a Buffer or Uint8Array, got ${typeName(value)}`);
        return [toBuffer(value), FMT_BYTES];
      case FMT_V8: {
        try {
          return [toBuffer(converters.v8Serialize(value)), FMT_V8];
        } catch (error) {
          throw encodeFailure(value, format, error, (error as Error)?.message ?? String(error));
        }
      }
      default:
        throw new ArgumentError(`unknown format ${formatName(format)}; use FMT_JSON, FMT_UTF8, FMT_BYTES, FMT_V8 or FMT_AUTO (custom bits belong to a custom Transcoder)`, { objextra: format });
    }
  }

  /**
   * Decodes stored bytes according to their flags. `bytes` is a view into the connection's
   * response buffer, reused once this returns: copy it (`Buffer.from(bytes)`) if the decoded
   * value keeps it.
   * @throws ValueFormatError when the bytes do not decode
   */
  decodeValue(bytes: Buffer, flags: number): unknown {
    const common = (flags & COMMON.MASK) >>> 0;
    let kind: 'json' | 'utf8' | 'bytes' | 'private';
    if (common !== 0) {
      switch (common) {
        case COMMON.JSON: kind = 'json'; break;
        case COMMON.STRING: kind = 'utf8'; break;
        case COMMON.BINARY: kind = 'bytes'; break;
        case COMMON.PRIVATE: kind = 'private'; break;
        default: throw decodeFailure(bytes, flags, undefined, 'unknown common-flags format');
      }
    } else {
      switch (flags & LEGACY.MASK) {
        case LEGACY.JSON: kind = 'json'; break;
        case LEGACY.UTF8: kind = 'utf8'; break;
        case LEGACY.BYTES: kind = 'bytes'; break;
        case LEGACY.PICKLE: kind = 'private'; break;
        default: throw decodeFailure(bytes, flags, undefined, 'unknown legacy format bits');
      }
    }
    switch (kind) {
      case 'json':
        try {
          return converters.jsonDecode(bytes.toString('utf8'));
        } catch (error) {
          throw decodeFailure(bytes, flags, error, (error as Error)?.message ?? String(error));
        }
      case 'utf8':
        return bytes.toString('utf8');
      case 'bytes':
        // A copy: `bytes` is a view into a response buffer that is reused.
        return Buffer.from(bytes);
      case 'private':
        // node:v8 serialisation starts with the version tag 0xFF; Python pickles do not.
        if (bytes.length === 0 || bytes[0] !== 0xff) {
          throw decodeFailure(bytes, flags, undefined, 'private format that is not node:v8 data (a Python pickle?); read it with noFormat');
        }
        try {
          return converters.v8Deserialize(bytes);
        } catch (error) {
          throw decodeFailure(bytes, flags, error, (error as Error)?.message ?? String(error));
        }
    }
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** The built-in transcoder instance used when no `transcoder` option is given. @internal */
export const defaultTranscoder = new Transcoder();

/** A Transcoder class or instance (the `transcoder` connection option). */
export type TranscoderLike = Transcoder | (new () => Transcoder) | {
  /** A key to the bytes sent (default: UTF-8). */
  encodeKey?(key: string): Buffer;
  /** Bytes received back to a key. */
  decodeKey?(bytes: Buffer): string;
  /** A value and the store's format to the bytes stored and their flags. */
  encodeValue(value: unknown, format: number): [Buffer | Uint8Array, number];
  /** The bytes and flags read to a value. `bytes` is reused once this returns: copy what the value keeps. */
  decodeValue(bytes: Buffer, flags: number): unknown;
};

/** Instantiates a class, checks an instance has the methods. @internal */
export function resolveTranscoder(t: TranscoderLike | undefined | null): Transcoder {
  if (t === undefined || t === null) return defaultTranscoder;
  let inst: unknown = t;
  if (typeof t === 'function') {
    try {
      inst = new (t as new () => Transcoder)();
    } catch (error) {
      throw new ArgumentError(`transcoder: could not instantiate ${(t as { name?: string }).name ?? 'class'}`, { innerCause: error });
    }
  }
  const o = inst as Partial<Transcoder>;
  if (typeof o !== 'object' || typeof o.encodeValue !== 'function' || typeof o.decodeValue !== 'function') {
    throw new ArgumentError('transcoder must be a Transcoder class or instance (encodeValue/decodeValue methods)', { objextra: t });
  }
  if (typeof o.encodeKey !== 'function' || typeof o.decodeKey !== 'function') {
    // Duck-typed objects may omit the key methods: fill in the defaults.
    const base = o as Transcoder;
    return Object.assign(Object.create(base), {
      encodeKey: o.encodeKey?.bind(o) ?? defaultTranscoder.encodeKey,
      decodeKey: o.decodeKey?.bind(o) ?? defaultTranscoder.decodeKey,
    }) as Transcoder;
  }
  return o as Transcoder;
}
