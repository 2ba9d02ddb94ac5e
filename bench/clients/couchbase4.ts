/** couchbase@4.7.1 (its prebuilt addon ships in @couchbase/couchbase-linux-x64-napi). @module */
import type { Open } from './client.js';
import { openOfficial } from './official.js';

export const open: Open = (target) => openOfficial('couchbase4', 'couchbase@4.7.1', target);
