import { randomBytes } from "node:crypto";
import { describe, expect, test } from "vitest";
import * as snappy from "snappyjs";
import {
  S2FormatError,
  S2StreamReader,
  S2StreamWriter,
  S2_STREAM_IDENTIFIER,
  decodeS2Block,
  maskedCrc32c,
} from "../../src/shared/compression/index.js";

/** Deterministic pseudo-random bytes (xorshift), so a failure replays. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Text-like bytes with repeats, so compression really finds matches. */
function compressible(size: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const words = ["LMSG ", "foo.bar ", "reply.", "_INBOX.", "payload ", "\r\n", "12345 ", "nats "];
  const out = Buffer.alloc(size);
  let at = 0;
  while (at < size) at += out.write(words[rnd() % words.length], at, "latin1");
  return out;
}

/** Splits bytes at random points, as TCP reads would. */
function randomChunks(data: Buffer, seed: number, max = 50): Buffer[] {
  const rnd = prng(seed);
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; ) {
    const n = 1 + (rnd() % max);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

function readAll(reader: S2StreamReader, chunks: Buffer[]): Buffer {
  return Buffer.concat(chunks.flatMap((c) => reader.push(c)));
}

/** A framing chunk: type, 3-byte length, body. */
function chunk(type: number, body: Buffer): Buffer {
  const h = Buffer.from([type, body.length & 0xff, (body.length >> 8) & 0xff, (body.length >> 16) & 0xff]);
  return Buffer.concat([h, body]);
}

function dataChunk(type: 0 | 1, decoded: Buffer, encoded = decoded): Buffer {
  const crc = Buffer.alloc(4);
  crc.writeUInt32LE(maskedCrc32c(decoded));
  return chunk(type, Buffer.concat([crc, encoded]));
}

describe("S2 block decoder", () => {
  test("decodes Snappy blocks of every size class (literals, copy1, copy2, copy4 from snappyjs)", () => {
    for (const size of [0, 1, 59, 60, 61, 255, 256, 65535, 65536, 65537, 150_000]) {
      for (const data of [compressible(size, size + 1), randomBytes(Math.min(size, 70_000))]) {
        expect(decodeS2Block(snappy.compress(data)).equals(data)).toBe(true);
      }
    }
  });

  // Hand-made vectors for S2's repeat-offset extension (a copy with 1-byte offset whose offset
  // is 0 repeats the last offset; the 3 length bits give 4..8, or 8 + 1 byte, 260 + 2 bytes,
  // 65540 + 3 bytes). Each is annotated element by element; the expected output is written out.
  test.each([
    {
      name: "repeat with length in the tag (4)",
      // len 13 | lit "ab" | copy2 len 6 off 2 | lit "Z" | repeat len 4 (off 2)
      block: [0x0d, 0x04, 0x61, 0x62, 0x16, 0x02, 0x00, 0x00, 0x5a, 0x01, 0x00],
      expected: Buffer.from("ababababZbZbZ"),
    },
    {
      name: "repeat with 8 + 1 byte length (code 5)",
      // len 17 | lit "ab" | copy1 len 4 off 2 | repeat len 8+3
      block: [0x11, 0x04, 0x61, 0x62, 0x01, 0x02, 0x15, 0x00, 0x03],
      expected: Buffer.from("ababababababababa"),
    },
    {
      name: "repeat with 260 + 2 bytes length (code 6)",
      // len 270 | lit "hello" | copy1 len 5 off 5 | repeat len 260+0
      block: [0x8e, 0x02, 0x10, ...Buffer.from("hello"), 0x05, 0x05, 0x19, 0x00, 0x00, 0x00],
      expected: Buffer.from("hello".repeat(54)),
    },
    {
      name: "repeat with 65540 + 3 bytes length (code 7)",
      // len 65545 | lit "x" | copy1 len 4 off 1 | repeat len 65540+0
      block: [0x89, 0x80, 0x04, 0x00, 0x78, 0x01, 0x01, 0x1d, 0x00, 0x00, 0x00, 0x00],
      expected: Buffer.alloc(65545, "x"),
    },
    {
      name: "repeat with code 6 and a non-zero 2-byte length, after a copy1 with high offset bits",
      // len 300+4+262 | lit 300 bytes (0..299 mod 256) | copy1 len 4 off 257 (high bits 1) | repeat len 260+2
      block: [0xb6, 0x04, 0xf4, 0x2b, 0x01, ...Array.from({ length: 300 }, (_, i) => i & 0xff), 0x21, 0x01, 0x19, 0x00, 0x02, 0x00],
      expected: (() => {
        const out = Buffer.alloc(566);
        for (let i = 0; i < 300; i++) out[i] = i & 0xff;
        for (let i = 300; i < 566; i++) out[i] = out[i - 257];
        return out;
      })(),
    },
    {
      name: "copy4 then a repeat of its offset",
      // len 10 | lit "abc" | copy4 len 3 off 3 | repeat len 4
      block: [0x0a, 0x08, 0x61, 0x62, 0x63, 0x0b, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00],
      expected: Buffer.from("abcabcabca"),
    },
  ])("$name", ({ block, expected }) => {
    expect(decodeS2Block(Buffer.from(block))).toEqual(expected);
  });

  test.each([
    ["a repeat before any copy", [0x05, 0x00, 0x61, 0x01, 0x00]],
    ["a copy reaching before the start", [0x05, 0x00, 0x61, 0x01, 0x02]],
    ["a literal past the end of the block", [0x05, 0x10, 0x61]],
    ["output longer than announced", [0x01, 0x04, 0x61, 0x62]],
    ["output shorter than announced", [0x03, 0x00, 0x61]],
    ["a truncated copy2", [0x05, 0x00, 0x61, 0x06, 0x01]],
    ["a truncated repeat length", [0x09, 0x00, 0x61, 0x01, 0x01, 0x19, 0x00, 0x00]],
    ["a truncated varint", [0x80, 0x80]],
    ["a varint over 32 bits", [0xff, 0xff, 0xff, 0xff, 0x7f]],
  ])("rejects %s with an S2FormatError", (_name, bytes) => {
    expect(() => decodeS2Block(Buffer.from(bytes))).toThrow(S2FormatError);
  });

  test("refuses a block announcing more than the limit before allocating it", () => {
    // 0xffffffff announced, 4 bytes given.
    expect(() => decodeS2Block(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x61]))).toThrow(/exceeds the maximum/);
  });

  test("random bytes never crash the decoder: they decode or throw S2FormatError", () => {
    const rnd = prng(7);
    for (let i = 0; i < 3000; i++) {
      const bytes = Buffer.alloc(1 + (rnd() % 64));
      for (let j = 0; j < bytes.length; j++) bytes[j] = rnd() & 0xff;
      try {
        decodeS2Block(bytes, 1 << 16);
      } catch (e) {
        expect(e).toBeInstanceOf(S2FormatError);
      }
    }
  });
});

describe("S2 stream", () => {
  test("round trips through random chunking, compressed and uncompressed", () => {
    for (const uncompressed of [false, true]) {
      const writer = new S2StreamWriter({ uncompressed, blockSize: 70_000 });
      const flushes = [compressible(10), compressible(150_000, 3), randomBytes(5000), Buffer.alloc(0), compressible(1)];
      const stream = Buffer.concat(flushes.map((f) => writer.frame([f.subarray(0, f.length >> 1), f.subarray(f.length >> 1)])));
      for (const seed of [1, 2, 3]) {
        expect(readAll(new S2StreamReader(), randomChunks(stream, seed, seed === 1 ? 16 : 5000)).equals(Buffer.concat(flushes))).toBe(true);
      }
    }
  });

  test("each flush is a whole stream starting with the S2 identifier; compressible data shrinks", () => {
    const data = compressible(100_000, 9);
    const frame = new S2StreamWriter().frame([data]);
    expect(frame.subarray(0, 10)).toEqual(S2_STREAM_IDENTIFIER);
    expect(frame.subarray(4, 10).toString()).toBe("S2sTwO");
    expect(frame.length).toBeLessThan(data.length / 2);
    expect(frame[10]).toBe(0x00);
    const plain = new S2StreamWriter({ uncompressed: true }).frame([data]);
    expect(plain[10]).toBe(0x01);
    expect(plain.length).toBe(data.length + 10 + 8);
  });

  test("incompressible data goes in uncompressed chunks", () => {
    const data = randomBytes(10_000);
    const frame = new S2StreamWriter().frame([data]);
    expect(frame[10]).toBe(0x01);
    expect(new S2StreamReader().push(frame)).toEqual([data]);
  });

  test("reads Snappy framed streams, padding and skippable chunks, repeated identifiers", () => {
    const a = Buffer.from("hello hello hello hello hello hello");
    const b = Buffer.from("world");
    const stream = Buffer.concat([
      chunk(0xff, Buffer.from("sNaPpY")),
      dataChunk(0, a, snappy.compress(a)),
      chunk(0xfe, Buffer.alloc(100)),
      chunk(0x80, Buffer.from("skip me")),
      chunk(0x99, Buffer.alloc(0)),
      S2_STREAM_IDENTIFIER,
      dataChunk(1, b),
    ]);
    expect(readAll(new S2StreamReader(), randomChunks(stream, 4, 7)).toString()).toBe(a.toString() + "world");
  });

  test("a Snappy stream may not carry blocks over 64 KiB, an S2 stream may", () => {
    const big = Buffer.alloc(70_000, "z");
    const s2 = Buffer.concat([S2_STREAM_IDENTIFIER, dataChunk(1, big)]);
    expect(Buffer.concat(new S2StreamReader().push(s2))).toEqual(big);
    const sn = Buffer.concat([chunk(0xff, Buffer.from("sNaPpY")), dataChunk(1, big)]);
    expect(() => new S2StreamReader().push(sn)).toThrow(/out of bounds/);
  });

  test.each([
    ["a stream without identifier", () => dataChunk(1, Buffer.from("x")), /does not start with a stream identifier/],
    ["an unknown identifier", () => chunk(0xff, Buffer.from("abcdef")), /unknown stream identifier/],
    ["an identifier of the wrong length", () => chunk(0xff, Buffer.from("S2sTwO!")), /identifier of 7 bytes/],
    ["a reserved unskippable chunk", () => Buffer.concat([S2_STREAM_IDENTIFIER, chunk(0x02, Buffer.from("x"))]), /reserved unskippable S2 chunk type 0x02/],
    [
      "a checksum mismatch",
      () => {
        const c = dataChunk(1, Buffer.from("payload"));
        c[5] ^= 0xff;
        return Buffer.concat([S2_STREAM_IDENTIFIER, c]);
      },
      /checksum mismatch/,
    ],
    [
      "a flipped bit in a compressed block",
      () => {
        const data = compressible(2000);
        const c = dataChunk(0, data, snappy.compress(data));
        c[c.length - 30] ^= 0x10;
        return Buffer.concat([S2_STREAM_IDENTIFIER, c]);
      },
      /checksum mismatch|corrupt S2 block/,
    ],
    ["a chunk too large", () => Buffer.concat([S2_STREAM_IDENTIFIER, Buffer.from([0x01, 0xff, 0xff, 0xff])]), /out of bounds/],
    ["a data chunk without checksum", () => Buffer.concat([S2_STREAM_IDENTIFIER, chunk(0x01, Buffer.from("ab"))]), /out of bounds/],
  ])("rejects %s with a clear error, then refuses further input", (_name, make, message) => {
    const reader = new S2StreamReader();
    expect(() => reader.push(make())).toThrow(message);
    expect(() => reader.push(S2_STREAM_IDENTIFIER)).toThrow(S2FormatError);
  });

  test("random garbage after a valid start never crashes the reader", () => {
    const rnd = prng(11);
    for (let i = 0; i < 500; i++) {
      const junk = Buffer.alloc(1 + (rnd() % 200));
      for (let j = 0; j < junk.length; j++) junk[j] = rnd() & 0xff;
      const reader = new S2StreamReader();
      try {
        reader.push(Buffer.concat([S2_STREAM_IDENTIFIER, junk]));
      } catch (e) {
        expect(e).toBeInstanceOf(S2FormatError);
      }
    }
  });

  test("a chunk split across reads is returned only once complete, and only once", () => {
    const reader = new S2StreamReader();
    const frame = new S2StreamWriter().frame([compressible(1000)]);
    const out: Buffer[] = [];
    for (let i = 0; i < frame.length; i++) out.push(...reader.push(frame.subarray(i, i + 1)));
    expect(out.length).toBe(1);
    expect(out[0]).toEqual(compressible(1000));
  });
});
