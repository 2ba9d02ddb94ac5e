/**
 * View key collation, as Couchbase's view engine orders keys (couchstore
 * `src/views/collate_json.cc`, CouchDB "View collation"):
 *
 *   null < false < true < numbers < strings < arrays < objects
 *
 * - numbers compare as doubles;
 * - strings compare with the ICU root collator at its defaults (tertiary strength,
 *   non-ignorable punctuation): case-insensitive and accent-insensitive first, then
 *   accents, then case with lowercase before uppercase ("a" < "A" < "b");
 * - arrays compare element by element, a prefix before the longer array;
 * - objects compare member by member in their own order (key, then value), fewer
 *   members first, exactly as couchstore walks the JSON text.
 *
 * Rows with equal keys are ordered by document id, compared as raw UTF-8 bytes
 * (couchstore `view_key_cmp` → `ebin_cmp`).
 */

/** ICU root collation ("en" has no tailoring), pinned so the host locale cannot change it. */
const collator = new Intl.Collator('en', {
  usage: 'sort',
  sensitivity: 'variant',
  ignorePunctuation: false,
  numeric: false,
  caseFirst: 'false',
});

const compareStrings = collator.compare;

function typeRank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  switch (typeof v) {
    case 'boolean':
      return v ? 2 : 1;
    case 'number':
      return 3;
    case 'string':
      return 4;
    default:
      return Array.isArray(v) ? 5 : 6;
  }
}

/** Compares two JSON values by view collation: negative, 0 or positive. */
export function collate(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ta = typeRank(a);
  const tb = typeRank(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (ta) {
    case 3:
      return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
    case 4: {
      const r = compareStrings(a as string, b as string);
      return r < 0 ? -1 : r > 0 ? 1 : 0;
    }
    case 5: {
      const x = a as unknown[];
      const y = b as unknown[];
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const r = collate(x[i], y[i]);
        if (r !== 0) return r;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    case 6: {
      const x = Object.entries(a as object);
      const y = Object.entries(b as object);
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        let r = compareStrings(x[i][0], y[i][0]);
        if (r !== 0) return r < 0 ? -1 : 1;
        r = collate(x[i][1], y[i][1]);
        if (r !== 0) return r;
      }
      return x.length === y.length ? 0 : x.length < y.length ? -1 : 1;
    }
    default:
      return 0; // null/null, false/false, true/true
  }
}

/**
 * Compares document ids as raw UTF-8 bytes. For strings without surrogate pairs that is
 * UTF-16 code unit order; with them, code point order.
 */
export function compareDocIds(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (D800–DFFF) encode code points above FFFF: they sort after E000–FFFF.
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
}
