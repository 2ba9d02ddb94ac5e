/**
 * memjs (a pure-JS binary-protocol memcached client) on memcached: plain calls through its
 * promise API, values JSON-encoded and decoded by the caller as an application would.
 * @module
 */
import { createRequire } from 'node:module';
import type { Client, Doc, Open, Target } from './client.js';

interface MemjsClient {
  get(key: string): Promise<{ value: Buffer | null; flags: Buffer | null }>;
  set(key: string, value: string, options: { expires?: number }): Promise<boolean>;
  quit(): void;
}

export const open: Open = async (target: Target) => {
  if (target.server !== 'memcached') return { na: 'memjs talks to memcached only (no SASL bucket auth or vBucket map)' };
  let memjs: { Client: { create(servers: string, options: object): MemjsClient } };
  try {
    memjs = createRequire(import.meta.url)('memjs');
  } catch (error) {
    return { na: `memjs is not installed (${(error as Error).message.split('\n')[0]})` };
  }
  const mc = memjs.Client.create(`${target.host}:${target.port}`, { retries: 0, timeout: 30, logger: { log() {} } });
  const noMulti = 'memjs has no multi-key calls';
  const client: Client = {
    sameTick: true,
    get: async (key) => {
      const { value } = await mc.get(key);
      if (value === null) throw new Error(`memjs: ${key} not found`);
      return JSON.parse(value.toString('utf8'));
    },
    set: (key, doc: Doc) => mc.set(key, JSON.stringify(doc.value), {}),
    missing: {
      getMulti: noMulti, setMulti: noMulti,
      getEach: 'memjs has no reactive operators', storeEach: 'memjs has no reactive operators', bufferTimeGetMulti: 'memjs has no reactive operators',
      durableSetWindow: 'memcached has no replicas or persistence',
    },
    close: async () => mc.quit(),
  };
  return client;
};
