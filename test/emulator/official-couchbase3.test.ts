// Conformance: the official couchbase@3.2.7 Node SDK, unchanged, against a 3-node,
// 1-replica emulator. The cases live in test/official/cases.ts; see docs/conformance.md.
import test from 'ava';
import { registerOfficialSuite } from '../official/cases.js';

registerOfficialSuite(test, 'couchbase3');
