import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { S2FormatError, S2StreamReader, decodeS2Block } from "../../src/shared/compression/index.js";

// Vectors written by Go's s2 package (the encoder nats-server uses) with fixtures/s2-go/generate.go:
// blocks from s2.Encode/EncodeBetter/EncodeBest (hundreds of repeat-offset copies each, checked
// when they were made: e.g. 953 repeats in protocol.block-fast, 119 in runs.block-best, some
// with 2-byte repeat lengths), streams from each writer level, and a stream of many flushes
// with the writer reset and closed each time, as a Go server writes a compressed connection.

const dir = join(import.meta.dirname, "fixtures", "s2-go");
const load = (name: string) => gunzipSync(readFileSync(join(dir, `${name}.gz`)));

/** Deterministic split points, as TCP reads would cut the stream. */
function pieces(data: Buffer, max: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 1; at < data.length; i++) {
    const n = 1 + ((i * 7919) % max);
    out.push(data.subarray(at, at + n));
    at += n;
  }
  return out;
}

describe.each(["protocol", "runs"])("Go s2 vectors: %s", (name) => {
  const input = load(`${name}.input`);

  test.each(["fast", "better", "best"])("block encoded by Go (%s) decodes to the input", (level) => {
    expect(decodeS2Block(load(`${name}.block-${level}.s2`)).equals(input)).toBe(true);
  });

  test.each(["fast", "better", "best", "uncompressed", "flushes"])("stream written by Go (%s) reads back in any chunking", (variant) => {
    const stream = load(`${name}.stream-${variant}.s2`);
    for (const max of [stream.length, 4096, 7]) {
      const reader = new S2StreamReader();
      const out = Buffer.concat(pieces(stream, max).flatMap((p) => reader.push(p)));
      expect(out.length).toBe(input.length);
      expect(out.equals(input)).toBe(true);
    }
  });

  test("a flipped byte anywhere in a Go stream is an S2FormatError or a checksum mismatch, never wrong data", () => {
    const stream = load(`${name}.stream-better.s2`);
    for (let i = 10; i < stream.length; i += Math.max(1, Math.floor(stream.length / 300))) {
      const bad = Buffer.from(stream);
      bad[i] ^= 0x5a;
      let out: Buffer | undefined;
      try {
        out = Buffer.concat(new S2StreamReader().push(bad));
      } catch (e) {
        expect(e).toBeInstanceOf(S2FormatError);
        continue;
      }
      // A flipped length can leave a chunk waiting for bytes that never come: what was
      // returned is then a prefix of the input, never different data.
      expect(out.equals(input.subarray(0, out.length))).toBe(true);
    }
  });
});
