/**
 * Process-wide value converters used by the default transcoder for FMT_JSON and FMT_V8
 * (the seed's `set_json_converters` / `set_pickle_converters`).
 * @module
 */
import { serialize, deserialize } from 'node:v8';

/** Encodes a JS value to JSON text. Must throw (or return undefined) for values it cannot encode. */
export type JsonEncoder = (value: unknown) => string | Buffer | undefined;
/** Decodes JSON text (UTF-8) to a JS value. */
export type JsonDecoder = (text: string) => unknown;
/** Serialises a JS value to bytes (FMT_V8). */
export type V8Serializer = (value: unknown) => Buffer | Uint8Array;
/** Deserialises FMT_V8 bytes. */
export type V8Deserializer = (bytes: Buffer) => unknown;

/** @internal */
export const converters = {
  jsonEncode: ((v: unknown) => JSON.stringify(v)) as JsonEncoder,
  jsonDecode: ((s: string) => JSON.parse(s)) as JsonDecoder,
  v8Serialize: ((v: unknown) => serialize(v)) as V8Serializer,
  v8Deserialize: ((b: Buffer) => deserialize(b)) as V8Deserializer,
};

/**
 * Replaces the JSON converters used by FMT_JSON for the whole process (e.g. a faster codec,
 * or a reviver). Returns the previous pair so it can be restored.
 * @example setJsonConverters(v => JSON.stringify(v), s => JSON.parse(s, reviver))
 */
export function setJsonConverters(encode: JsonEncoder, decode: JsonDecoder): [JsonEncoder, JsonDecoder] {
  if (typeof encode !== 'function' || typeof decode !== 'function') {
    throw new TypeError('setJsonConverters(encode, decode): both must be functions');
  }
  const previous: [JsonEncoder, JsonDecoder] = [converters.jsonEncode, converters.jsonDecode];
  converters.jsonEncode = encode;
  converters.jsonDecode = decode;
  return previous;
}

/**
 * Replaces the serialiser pair used by FMT_V8 (the seed's pickle converters) for the whole
 * process. Returns the previous pair.
 */
export function setV8Converters(serializeFn: V8Serializer, deserializeFn: V8Deserializer): [V8Serializer, V8Deserializer] {
  if (typeof serializeFn !== 'function' || typeof deserializeFn !== 'function') {
    throw new TypeError('setV8Converters(serialize, deserialize): both must be functions');
  }
  const previous: [V8Serializer, V8Deserializer] = [converters.v8Serialize, converters.v8Deserialize];
  converters.v8Serialize = serializeFn;
  converters.v8Deserialize = deserializeFn;
  return previous;
}
