/**
 * vBucket hashing and placement. Keys hash as libcouchbase does (lcbvb `vbc_map_key`, CRC):
 * `((~crc32(key)) >> 16) & 0x7fff`, modulo the number of vBuckets.
 */
export const NUM_VBUCKETS = 1024;

const TABLE = (() => {
  const t = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[i] = c;
  }
  return t;
})();

/** Standard IEEE CRC-32 of `buf[start, end)`. */
export function crc32(buf: Uint8Array, start = 0, end = buf.length): number {
  let c = -1;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** The vBucket of a key (bytes, or a latin1 string holding them). */
export function vbucketOf(key: Uint8Array | string, numVbuckets = NUM_VBUCKETS): number {
  const bytes = typeof key === 'string' ? Buffer.from(key, 'latin1') : key;
  return ((crc32(bytes) >>> 16) & 0x7fff) % numVbuckets;
}

/**
 * Places vBuckets on nodes: row i is [active, replica1, ...] as node ids, -1 for a missing copy.
 * Actives rotate over the nodes; replica j of a vBucket sits on the (j+1)-th next node.
 */
export function buildVbucketMap(nodeIds: readonly number[], replicas: number, numVbuckets = NUM_VBUCKETS): number[][] {
  const n = nodeIds.length;
  const map: number[][] = [];
  for (let vb = 0; vb < numVbuckets; vb++) {
    const row: number[] = [];
    if (n === 0) {
      for (let j = 0; j <= replicas; j++) row.push(-1);
    } else {
      const a = vb % n;
      // Spread replicas so a failed node's actives land on different nodes.
      const shift = n > 1 ? Math.floor(vb / n) % (n - 1) : 0;
      row.push(nodeIds[a]);
      for (let j = 1; j <= replicas; j++) {
        row.push(j < n ? nodeIds[(a + ((shift + j - 1) % (n - 1)) + 1) % n] : -1);
      }
    }
    map.push(row);
  }
  return map;
}
