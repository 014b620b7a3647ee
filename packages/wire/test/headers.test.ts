import { describe, expect, test } from "vitest";
import {
  MsgHeaders,
  ProtocolError,
  appendHeader,
  decodeHeaders,
  encodeHeaders,
  getHeader,
  removeHeader,
  removeHeaderStatus,
  removeHeadersWithPrefix,
  setHeader,
  sliceHeader,
  statusHeaders,
} from "../src/index.js";

const JSExpectedStream = "Nats-Expected-Stream";
const JSExpectedLastSeq = "Nats-Expected-Last-Sequence";
const JSExpectedLastSubjSeq = "Nats-Expected-Last-Subject-Sequence";
const JSExpectedLastSubjSeqSubj = "Nats-Expected-Last-Subject-Sequence-Subject";
const JSExpectedLastMsgId = "Nats-Expected-Last-Msg-Id";

const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString());
const block = (s: string): Buffer => Buffer.from(s);

describe("MsgHeaders", () => {
  test("multi-valued keys keep insertion order and case", () => {
    const h = new MsgHeaders();
    h.append("X-Tag", "a").append("x-tag", "b").append("X-Tag", "c");
    expect(h.values("X-Tag")).toEqual(["a", "c"]);
    expect(h.values("x-tag")).toEqual(["b"]);
    expect(h.values("X-TAG", true)).toEqual(["a", "c", "b"]);
    expect(h.get("X-Tag")).toBe("a");
    expect(h.get("missing")).toBeUndefined();
    expect(h.keys()).toEqual(["X-Tag", "x-tag"]);
    expect(h.size).toBe(2);
    expect(h.has("x-TAG")).toBe(false);
    expect(h.has("x-TAG", true)).toBe(true);
  });

  test("set replaces, delete removes (exactly or ignoring case)", () => {
    const h = new MsgHeaders().append("A", "1").append("A", "2").append("a", "3");
    h.set("A", "9");
    expect(h.values("A")).toEqual(["9"]);
    expect(h.delete("A")).toBe(true);
    expect(h.keys()).toEqual(["a"]);
    h.append("A", "1");
    expect(h.delete("A", true)).toBe(true);
    expect(h.size).toBe(0);
    expect(h.delete("A")).toBe(false);
  });

  test("values are trimmed; bad keys and CR/LF in values are refused", () => {
    expect(new MsgHeaders().append("A", "  v  ").get("A")).toBe("v");
    for (const key of ["", "a b", "a:b", "a\tb", "a\r"]) expect(() => new MsgHeaders().append(key, "v"), JSON.stringify(key)).toThrow(TypeError);
    expect(() => new MsgHeaders().set("A", "x\r\ny")).toThrow(TypeError);
  });

  test("encodeHeaders writes the version line, optional status and each value on its own line", () => {
    const h = new MsgHeaders().append("Nats-Msg-Id", "1").append("X-Tag", "a").append("X-Tag", "b");
    expect(encodeHeaders(h).toString()).toBe("NATS/1.0\r\nNats-Msg-Id: 1\r\nX-Tag: a\r\nX-Tag: b\r\n\r\n");
    expect(encodeHeaders(new MsgHeaders()).toString()).toBe("NATS/1.0\r\n\r\n");
    expect(encodeHeaders(new MsgHeaders(503)).toString()).toBe("NATS/1.0 503\r\n\r\n");
    expect(encodeHeaders(new MsgHeaders(404, "No Messages")).toString()).toBe("NATS/1.0 404 No Messages\r\n\r\n");
  });

  test("statusHeaders: what Go sends for no responders and JetStream status messages", () => {
    expect(statusHeaders(503).toString()).toBe("NATS/1.0 503\r\n\r\n");
    expect(statusHeaders(100, "Idle Heartbeat").toString()).toBe("NATS/1.0 100 Idle Heartbeat\r\n\r\n");
    expect(statusHeaders(409, "Consumer Deleted").toString()).toBe("NATS/1.0 409 Consumer Deleted\r\n\r\n");
  });
});

describe("decodeHeaders", () => {
  test("status, description and values as Go servers send them", () => {
    const h = decodeHeaders(block("NATS/1.0 408 Request Timeout\r\nNats-Pending-Messages: 1\r\nNats-Pending-Bytes: 0\r\n\r\n"));
    expect(h.status).toBe(408);
    expect(h.description).toBe("Request Timeout");
    expect(h.get("Nats-Pending-Messages")).toBe("1");
    expect(h.get("Nats-Pending-Bytes")).toBe("0");
  });

  test("no-responders block (status only, Nats-Subject header)", () => {
    const h = decodeHeaders(block("NATS/1.0 503\r\nNats-Subject: foo\r\n\r\n"));
    expect([h.status, h.description, h.get("Nats-Subject")]).toEqual([503, undefined, "foo"]);
  });

  test("values keep inner colons and spaces; missing space after the colon is fine", () => {
    const h = decodeHeaders(block("NATS/1.0\r\nA:1\r\nUrl: http://x:80/a b \r\nA:  2\r\n\r\n"));
    expect(h.values("A")).toEqual(["1", "2"]);
    expect(h.get("Url")).toBe("http://x:80/a b");
  });

  test("tolerates a missing final blank line and bare LF line ends", () => {
    expect(decodeHeaders(block("NATS/1.0\r\nA: 1\r\n")).get("A")).toBe("1");
    expect(decodeHeaders(block("NATS/1.0\nA: 1\n\n")).get("A")).toBe("1");
    expect(decodeHeaders(block("NATS/1.0")).size).toBe(0);
  });

  test("accepts a Uint8Array view into a larger message", () => {
    const msg = Buffer.from("xxNATS/1.0\r\nA: 1\r\n\r\npayload");
    const view = new Uint8Array(msg.buffer, msg.byteOffset + 2, 19);
    expect(decodeHeaders(view).get("A")).toBe("1");
  });

  test.each([
    ["HTTP/1.0\r\n\r\n"],
    ["NATS/1.1\r\n\r\n"],
    ["NATS/1.0X\r\n\r\n"],
    ["NATS/1.0 abc\r\n\r\n"],
    ["NATS/1.0 5030\r\n\r\n"],
    ["NATS/1.0\r\nno colon here\r\n\r\n"],
    ["NATS/1.0\r\n: empty key\r\n\r\n"],
    ["NATS/1.0\r\nA: 1\r\n folded\r\n\r\n"],
    [""],
  ])("malformed %j throws a bad_headers ProtocolError", (text) => {
    let thrown: unknown;
    try {
      decodeHeaders(block(text));
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(ProtocolError);
    expect((thrown as ProtocolError).kind).toBe("bad_headers");
  });
});

describe("header blocks as bytes", () => {
  const start = (): Buffer => block("NATS/1.0\r\n\r\n");

  test("TestRemoveHeaderIfPrefixPresent: every Nats-Expected-* header goes, the rest stays in order", () => {
    let hdr = start();
    hdr = appendHeader(hdr, "a", "1");
    hdr = appendHeader(hdr, JSExpectedStream, "my-stream");
    hdr = appendHeader(hdr, JSExpectedLastSeq, "22");
    hdr = appendHeader(hdr, "b", "2");
    hdr = appendHeader(hdr, JSExpectedLastSubjSeq, "24");
    hdr = appendHeader(hdr, JSExpectedLastMsgId, "1");
    hdr = appendHeader(hdr, "c", "3");
    expect(str(removeHeadersWithPrefix(hdr, "Nats-Expected-"))).toBe("NATS/1.0\r\na: 1\r\nb: 2\r\nc: 3\r\n\r\n");
  });

  test("TestRemoveHeaderIfPrefixPresentSkipsValueMatches: a prefix inside a value is not a header", () => {
    let hdr = start();
    hdr = appendHeader(hdr, "X-Note", "see Nats-Expected-Stream below");
    hdr = appendHeader(hdr, JSExpectedStream, "my-stream");
    hdr = appendHeader(hdr, JSExpectedLastSeq, "22");
    hdr = appendHeader(hdr, "c", "3");
    expect(str(removeHeadersWithPrefix(hdr, "Nats-Expected-"))).toBe("NATS/1.0\r\nX-Note: see Nats-Expected-Stream below\r\nc: 3\r\n\r\n");
  });

  test("TestRemoveHeaderIfPresentSkipsValueMatches: a key inside a value is not a header", () => {
    let hdr = start();
    hdr = appendHeader(hdr, "X-Note", "Nats-Msg-Id is set below");
    hdr = appendHeader(hdr, "Nats-Msg-Id", "real-id");
    hdr = appendHeader(hdr, "c", "3");
    expect(str(removeHeader(hdr, "Nats-Msg-Id"))).toBe("NATS/1.0\r\nX-Note: Nats-Msg-Id is set below\r\nc: 3\r\n\r\n");
  });

  test("TestRemoveHeaderIfPresentDuplicates: every occurrence is removed", () => {
    let hdr = start();
    for (const [k, v] of [["a", "1"], ["a", "2"], ["c", "3"], ["a", "4"], ["a", "5"]]) hdr = appendHeader(hdr, k, v);
    expect(str(removeHeader(hdr, "a"))).toBe("NATS/1.0\r\nc: 3\r\n\r\n");
  });

  test("removing the last header leaves nothing (undefined), like Go's nil", () => {
    expect(removeHeader(appendHeader(start(), "a", "1"), "a")).toBeUndefined();
    expect(removeHeadersWithPrefix(appendHeader(start(), "Nats-X", "1"), "Nats-")).toBeUndefined();
    expect(str(removeHeader(appendHeader(start(), "a", "1"), "b"))).toBe("NATS/1.0\r\na: 1\r\n\r\n");
  });

  test("TestSliceHeader: the value is a view of exactly its bytes and equals the copied string", () => {
    let hdr = start();
    hdr = appendHeader(hdr, "a", "1");
    hdr = appendHeader(hdr, JSExpectedStream, "my-stream");
    hdr = appendHeader(hdr, JSExpectedLastSeq, "22");
    hdr = appendHeader(hdr, "b", "2");
    hdr = appendHeader(hdr, JSExpectedLastSubjSeq, "24");
    hdr = appendHeader(hdr, JSExpectedLastMsgId, "1");
    hdr = appendHeader(hdr, "c", "3");
    const sliced = sliceHeader(hdr, JSExpectedLastSubjSeq)!;
    const copied = getHeader(hdr, JSExpectedLastSubjSeq);
    expect(sliced.length).toBe(2);
    expect(sliced.buffer).toBe(hdr.buffer);
    expect(copied).toBe("24");
    expect(sliced.toString()).toBe(copied);
  });

  test("TestSliceHeaderOrderingPrefix: a longer key sharing the prefix does not hide the shorter one", () => {
    let hdr = start();
    hdr = appendHeader(hdr, JSExpectedLastSubjSeqSubj, "foo");
    hdr = appendHeader(hdr, JSExpectedLastSubjSeq, "24");
    expect(sliceHeader(hdr, JSExpectedLastSubjSeq)?.length).toBe(2);
    expect(getHeader(hdr, JSExpectedLastSubjSeq)).toBe("24");
  });

  test("TestSliceHeaderOrderingSuffix: a longer key sharing the suffix does not match", () => {
    let hdr = start();
    hdr = appendHeader(hdr, "Previous-Nats-Msg-Id", "user");
    hdr = appendHeader(hdr, "Nats-Msg-Id", "control");
    expect(str(sliceHeader(hdr, "Nats-Msg-Id"))).toBe("control");
    expect(getHeader(hdr, "Nats-Msg-Id")).toBe("control");
  });

  test("TestRemoveHeaderIfPresentOrderingPrefix: removing the shorter key keeps the longer one", () => {
    let hdr = start();
    hdr = appendHeader(hdr, JSExpectedLastSubjSeqSubj, "foo");
    hdr = appendHeader(hdr, JSExpectedLastSubjSeq, "24");
    expect(str(removeHeader(hdr, JSExpectedLastSubjSeq))).toBe(str(appendHeader(undefined, JSExpectedLastSubjSeqSubj, "foo")));
  });

  test("TestRemoveHeaderIfPresentOrderingSuffix: removing a key keeps the one that ends like it", () => {
    let hdr = start();
    hdr = appendHeader(hdr, "Previous-Nats-Msg-Id", "user");
    hdr = appendHeader(hdr, "Nats-Msg-Id", "control");
    expect(str(removeHeader(hdr, "Nats-Msg-Id"))).toBe(str(appendHeader(undefined, "Previous-Nats-Msg-Id", "user")));
  });

  describe.each([
    ["Normal", true],
    ["Trimmed", false],
  ])("%s", (_title, space) => {
    const trim = (b: Buffer): Buffer => (space ? b : Buffer.from(b.toString().replaceAll(" ", "")));

    test("TestSetHeaderOrderingPrefix: replaces the shorter key in place, keeps the longer one", () => {
      let hdr = appendHeader(start(), JSExpectedLastSubjSeqSubj, "foo");
      hdr = trim(appendHeader(hdr, JSExpectedLastSubjSeq, "24"));
      const expected = trim(appendHeader(appendHeader(undefined, JSExpectedLastSubjSeqSubj, "foo"), JSExpectedLastSubjSeq, "12"));
      expect(str(setHeader(hdr, JSExpectedLastSubjSeq, "12"))).toBe(str(expected));
    });

    test("TestSetHeaderOrderingSuffix: replaces the exact key, not the one that ends like it", () => {
      let hdr = appendHeader(start(), "Previous-Nats-Msg-Id", "user");
      hdr = trim(appendHeader(hdr, "Nats-Msg-Id", "control"));
      const expected = trim(appendHeader(appendHeader(undefined, "Previous-Nats-Msg-Id", "user"), "Nats-Msg-Id", "other"));
      expect(str(setHeader(hdr, "Nats-Msg-Id", "other"))).toBe(str(expected));
    });
  });

  test("setHeader never writes into its input, whether the value grows, shrinks or is new", () => {
    const initial = "NATS/1.0\r\nKey1: Val1\r\nKey2: Val2\r\n\r\n";
    const body = "this is the message body\r\n";
    for (const [key, val, expected] of [
      ["Key1", "Val1Updated", "NATS/1.0\r\nKey1: Val1Updated\r\nKey2: Val2\r\n\r\n"],
      ["Key1", "v1", "NATS/1.0\r\nKey1: v1\r\nKey2: Val2\r\n\r\n"],
      ["Key3", "Val3", "NATS/1.0\r\nKey1: Val1\r\nKey2: Val2\r\nKey3: Val3\r\n\r\n"],
    ]) {
      const buf = Buffer.from(initial + body);
      const hdr = buf.subarray(0, initial.length);
      expect(str(setHeader(hdr, key, val))).toBe(expected);
      expect(buf.toString()).toBe(initial + body);
    }
  });

  test("appendHeader starts a block when there is none", () => {
    expect(str(appendHeader(undefined, "A", "1"))).toBe("NATS/1.0\r\nA: 1\r\n\r\n");
    expect(str(appendHeader(new Uint8Array(0), "A", "1"))).toBe("NATS/1.0\r\nA: 1\r\n\r\n");
    expect(() => appendHeader(undefined, "A B", "1")).toThrow(TypeError);
  });

  test("removeHeaderStatus drops the status code and description", () => {
    expect(removeHeaderStatus(block("NATS/1.0 503\r\n\r\n"))).toBeUndefined();
    expect(str(removeHeaderStatus(block("NATS/1.0 408 Request Timeout\r\nA: 1\r\n\r\n")))).toBe("NATS/1.0\r\nA: 1\r\n\r\n");
    expect(str(removeHeaderStatus(block("NATS/1.0\r\nA: 1\r\n\r\n")))).toBe("NATS/1.0\r\nA: 1\r\n\r\n");
  });

  test("lookups on blocks without the key, or malformed ones, find nothing and do not throw", () => {
    for (const b of ["", "NATS/1.0", "garbage", "NATS/1.0\r\nA", "NATS/1.0\r\nA:", "NATS/1.0\r\nAB: 1\r\n\r\n"]) {
      expect(getHeader(block(b), "A"), b).toBe(b === "NATS/1.0\r\nA:" ? "" : undefined);
    }
  });
});
