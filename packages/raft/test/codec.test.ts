import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { CodecError, decodeMessage, encodeMessage } from "../src/runtime/codec.js";
import type { Entry, Message } from "../src/core/types.js";

const entry = (index: number, term: number, text: string): Entry => ({ index, term, type: "normal", data: new TextEncoder().encode(text) });

const samples: Message[] = [
  { type: "vote", term: 7, from: "a", to: "b", pre: true, lastIndex: 100, lastTerm: 6, force: false },
  { type: "voteResp", term: 7, from: "b", to: "a", pre: false, granted: true },
  { type: "append", term: 9, from: "a", to: "c", prevIndex: 41, prevTerm: 8, commit: 40, leaderLast: 43, entries: [entry(42, 9, "foo"), entry(43, 9, "")] },
  { type: "appendResp", term: 9, from: "c", to: "a", index: 41, reject: true, hint: 30 },
  { type: "heartbeat", term: 9, from: "a", to: "c", commit: 43 },
  { type: "heartbeatResp", term: 9, from: "c", to: "a" },
  { type: "snapshot", term: 9, from: "a", to: "c", meta: { index: 40, term: 8, membership: { voters: ["a", "b", "c"], observers: ["o"] } }, offset: 4, total: 10, data: new Uint8Array([1, 2, 3]), done: false },
  { type: "snapshotResp", term: 9, from: "c", to: "a", index: 40, offset: 7, reject: false },
  { type: "timeoutNow", term: 9, from: "a", to: "b" },
];

// Buffers serialize through toJSON before a replacer sees them; map both forms to arrays.
const normalize = (m: Message): unknown =>
  JSON.parse(JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? [...v] : v?.type === "Buffer" && Array.isArray(v.data) ? v.data : v)));

describe("message codec", () => {
  test("TestNRGAppendEntryEncode: every message type encodes to bytes", () => {
    for (const m of samples) expect(encodeMessage(m).length).toBeGreaterThan(2);
  });

  test("TestNRGAppendEntryDecode: decoding gives back the encoded message", () => {
    for (const m of samples) expect(normalize(decodeMessage(encodeMessage(m)))).toEqual(normalize(m));
  });

  test("TestNRGVoteResponseEncoding: vote responses keep term, peer and grant", () => {
    for (const granted of [true, false]) {
      const m: Message = { type: "voteResp", term: 2 ** 40, from: "peer-1", to: "x", pre: true, granted };
      expect(decodeMessage(encodeMessage(m))).toEqual(m);
    }
  });

  test("TestNRGAppendEntryDecodeTruncatedEntryLength: every truncation of a message is rejected", () => {
    for (const m of samples) {
      const buf = encodeMessage(m);
      for (let cut = 0; cut < buf.length; cut++) expect(() => decodeMessage(buf.subarray(0, cut))).toThrow(CodecError);
    }
  });

  test("TestNRGMalformedAppendEntryResponse: malformed responses are rejected, not half-read", () => {
    const buf = Buffer.from(encodeMessage(samples[3]));
    buf[buf.length - 7] = 9; // reject flag that is not a boolean
    expect(() => decodeMessage(buf)).toThrow(CodecError);
    expect(() => decodeMessage(Buffer.concat([encodeMessage(samples[3]), Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeMessage(Buffer.from([200]))).toThrow(/unknown message type/);
  });

  test("random bytes never crash the decoder", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeMessage(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("bit flips in valid messages either decode or raise CodecError", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: samples.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 7 }), (i, pos, bit) => {
        const buf = Buffer.from(encodeMessage(samples[i]));
        buf[pos % buf.length] ^= 1 << bit;
        try {
          decodeMessage(buf);
        } catch (err) {
          expect(err).toBeInstanceOf(CodecError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
