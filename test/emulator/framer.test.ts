import test from 'ava';
import { Framer, type FrameSink } from '../../emulator/kv/framer.js';
import { encodeRequest } from '../../emulator/testing/kv-client.js';

function collect(maxBody?: number): { sink: FrameSink; frames: Buffer[]; oversize: number[]; malformed: string[] } {
  const frames: Buffer[] = [];
  const oversize: number[] = [];
  const malformed: string[] = [];
  return {
    frames,
    oversize,
    malformed,
    sink: {
      frame(buf, off) {
        frames.push(Buffer.from(buf.subarray(off, off + 24 + buf.readUInt32BE(off + 8))));
      },
      oversize(buf, off) {
        oversize.push(buf.readUInt32BE(off + 12));
      },
      malformed(reason) {
        malformed.push(reason);
      },
    },
  };
}

const stream = Buffer.concat([
  encodeRequest({ opcode: 0x00, key: 'a' }, 1),
  encodeRequest({ opcode: 0x01, key: 'key-two', extras: Buffer.alloc(8), value: 'x'.repeat(100) }, 2),
  encodeRequest({ opcode: 0x0a }, 3),
  encodeRequest({ opcode: 0x01, key: 'k3', extras: Buffer.alloc(8), value: Buffer.alloc(3000, 7) }, 4),
]);

function opaques(frames: Buffer[]): number[] {
  return frames.map((f) => f.readUInt32BE(12));
}

test('whole stream in one chunk', (t) => {
  const c = collect();
  new Framer().push(stream, c.sink);
  t.deepEqual(opaques(c.frames), [1, 2, 3, 4]);
  t.deepEqual(Buffer.concat(c.frames), stream);
});

test('split at every offset into two chunks', (t) => {
  for (let i = 0; i <= stream.length; i++) {
    const c = collect();
    const f = new Framer();
    f.push(stream.subarray(0, i), c.sink);
    f.push(stream.subarray(i), c.sink);
    t.deepEqual(Buffer.concat(c.frames), stream, `split at ${i}`);
    t.false(f.pending);
  }
});

test('split at every pair of offsets into three chunks (first frames)', (t) => {
  const head = stream.subarray(0, 200);
  for (let i = 0; i <= head.length; i++) {
    for (let j = i; j <= head.length; j += 7) {
      const c = collect();
      const f = new Framer();
      f.push(head.subarray(0, i), c.sink);
      f.push(head.subarray(i, j), c.sink);
      f.push(head.subarray(j), c.sink);
      f.push(stream.subarray(200), c.sink);
      t.deepEqual(opaques(c.frames), [1, 2, 3, 4]);
    }
  }
});

test('chunks of every size from 1 to 128 bytes', (t) => {
  for (let size = 1; size <= 128; size++) {
    const c = collect();
    const f = new Framer();
    for (let o = 0; o < stream.length; o += size) f.push(stream.subarray(o, o + size), c.sink);
    t.deepEqual(Buffer.concat(c.frames), stream, `size ${size}`);
  }
});

test('oversize body is reported and skipped, framing continues', (t) => {
  const big = encodeRequest({ opcode: 0x01, key: 'big', extras: Buffer.alloc(8), value: Buffer.alloc(500) }, 9);
  const after = encodeRequest({ opcode: 0x0a }, 10);
  const all = Buffer.concat([big, after]);
  for (let i = 0; i <= all.length; i += 13) {
    const c = collect();
    const f = new Framer(100);
    f.push(all.subarray(0, i), c.sink);
    f.push(all.subarray(i), c.sink);
    t.deepEqual(c.oversize, [9]);
    t.deepEqual(opaques(c.frames), [10]);
  }
});

test('bad magic stops the framer', (t) => {
  const c = collect();
  const f = new Framer();
  t.false(f.push(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), c.sink));
  t.is(c.malformed.length, 1);
  t.false(f.push(stream, c.sink));
  t.is(c.frames.length, 0);
});

test('hostile body length closes', (t) => {
  const c = collect();
  const h = encodeRequest({ opcode: 0x01 }, 1);
  h.writeUInt32BE(0xffffffff, 8);
  const f = new Framer(100, 1000);
  t.false(f.push(h, c.sink));
  t.is(c.malformed.length, 1);
});

test('large frame arriving in small chunks is assembled as the bytes come', (t) => {
  const big = encodeRequest({ opcode: 0x01, key: 'big', extras: Buffer.alloc(8), value: Buffer.from(Array.from({ length: 300_000 }, (_, i) => i & 0xff)) }, 5);
  const all = Buffer.concat([encodeRequest({ opcode: 0x0a }, 4), big, encodeRequest({ opcode: 0x0a }, 6)]);
  for (const size of [1000, 4093, 65536, 70000]) {
    const c = collect();
    const f = new Framer();
    for (let o = 0; o < all.length; o += size) f.push(all.subarray(o, o + size), c.sink);
    t.deepEqual(opaques(c.frames), [4, 5, 6]);
    t.deepEqual(c.frames[1], big);
  }
});
