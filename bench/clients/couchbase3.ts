/** couchbase@3.2.7 (its addon built by test/official/ensure-couchbase3.mjs). @module */
import type { Open } from './client.js';
import { openOfficial } from './official.js';

export const open: Open = (target) => openOfficial('couchbase3', 'couchbase@3.2.7', target);
