import { describe, expect, test } from "vitest";
import { parseAckReply, parseAckTail, parseGoDuration } from "../../src/consumer/ack-reply.js";

describe("ack reply subjects", () => {
  test("v1 and v2 forms give delivery count, stream and consumer sequences", () => {
    expect(parseAckReply("$JS.ACK.S.C.2.10.7.1700000000000000000.3")).toEqual({ dc: 2, sseq: 10, dseq: 7, pending: 3 });
    expect(parseAckReply("$JS.ACK.dom.HASH.S.C.2.10.7.1700000000000000000.3.tok")).toEqual({ dc: 2, sseq: 10, dseq: 7, pending: 3 });
  });

  test("malformed subjects are refused, never thrown on", () => {
    for (const s of ["", "$JS.ACK", "$JS.ACK.S.C.x.1.1.1.1", "$JS.ACK.S.C.1.1.1.1", "foo.bar", "$JS.ACK.S.C.-1.2.3.4.5"]) {
      expect(parseAckReply(s)).toBeUndefined();
    }
  });

  test("the tail parser reads the numbers after a known prefix", () => {
    const prefix = "$JS.ACK.ORDERS.worker.";
    expect(parseAckTail(`${prefix}1.42.40.1700000000000000000.0`, prefix.length)).toEqual({ dc: 1, sseq: 42, dseq: 40 });
    expect(parseAckTail(`${prefix}1.42`, prefix.length)).toBeUndefined();
    expect(parseAckTail(`${prefix}1.4x.40.1.0`, prefix.length)).toBeUndefined();
    expect(parseAckTail(`${prefix}..40.1.0`, prefix.length)).toBeUndefined();
  });

  test("Go durations for -NAK delays", () => {
    expect(parseGoDuration("1s")).toBe(1e9);
    expect(parseGoDuration("1.5s")).toBe(1.5e9);
    expect(parseGoDuration("2m30s")).toBe(150e9);
    expect(parseGoDuration("250ms")).toBe(250e6);
    expect(parseGoDuration("0")).toBe(0);
    expect(() => parseGoDuration("soon")).toThrow(/invalid duration/);
    expect(() => parseGoDuration("")).toThrow();
  });
});
