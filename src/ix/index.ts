/**
 * couchbase-rx/ix: the bulk operators for pull pipelines on IxJS async iterables.
 * @module couchbase-rx/ix
 */
export { getEach } from './get-each.js';
export { storeEach } from './store-each.js';
export type { GetEachOptions } from '../operators/get-each.js';
export type { StoreEachOptions, StoreInput } from '../operators/store-each.js';
