import { describe, expect, test } from "vitest";
import {
  CRLF,
  MsgHeaders,
  OK,
  PING,
  PONG,
  encodeConnect,
  encodeErr,
  encodeHeaders,
  encodeHmsg,
  encodeHmsgHead,
  encodeHpub,
  encodeInfo,
  encodeMsg,
  encodeMsgHead,
  encodePub,
  encodeSub,
  encodeUnsub,
  statusHeaders,
} from "../src/index.js";
import { clientOps, recordingServerParser } from "./recorder.js";

describe("serializers", () => {
  test("exact wire forms", () => {
    expect(PING.toString()).toBe("PING\r\n");
    expect(PONG.toString()).toBe("PONG\r\n");
    expect(OK.toString()).toBe("+OK\r\n");
    expect(CRLF.toString()).toBe("\r\n");
    expect(encodeInfo({ server_id: "x", max_payload: 1048576 })).toBe('INFO {"server_id":"x","max_payload":1048576}\r\n');
    expect(encodeConnect({ verbose: false })).toBe('CONNECT {"verbose":false}\r\n');
    expect(encodePub("foo", undefined, Buffer.from("hi")).toString()).toBe("PUB foo 2\r\nhi\r\n");
    expect(encodePub("foo", "bar", Buffer.from("hi")).toString()).toBe("PUB foo bar 2\r\nhi\r\n");
    expect(encodeHpub("foo", undefined, Buffer.from("NATS/1.0\r\n\r\n"), Buffer.from("hi")).toString()).toBe("HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n");
    expect(encodeSub("foo.*", undefined, "1")).toBe("SUB foo.* 1\r\n");
    expect(encodeSub("foo.*", "q", 2)).toBe("SUB foo.* q 2\r\n");
    expect(encodeUnsub("1")).toBe("UNSUB 1\r\n");
    expect(encodeUnsub(1, 5)).toBe("UNSUB 1 5\r\n");
    expect(encodeMsgHead("foo", "1", undefined, 2)).toBe("MSG foo 1 2\r\n");
    expect(encodeMsgHead("foo", "1", "_INBOX.x", 2)).toBe("MSG foo 1 _INBOX.x 2\r\n");
    expect(encodeHmsgHead("foo", "1", undefined, 12, 14)).toBe("HMSG foo 1 12 14\r\n");
    expect(encodeHmsgHead("foo", "1", "r", 12, 14)).toBe("HMSG foo 1 r 12 14\r\n");
    expect(encodeErr("Unknown Protocol Operation")).toBe("-ERR 'Unknown Protocol Operation'\r\n");
  });

  test("sizes count bytes, not characters", () => {
    const payload = Buffer.from("é✓");
    expect(encodePub("sübject", "réply", payload).toString()).toBe("PUB sübject réply 5\r\né✓\r\n");
    expect(clientOps(encodePub("sübject", "réply", payload))).toEqual([["PUB", "sübject", "réply", payload.toString("latin1")]]);
  });

  test("client frames parse back to what was encoded", () => {
    const h = encodeHeaders(new MsgHeaders().append("A", "1"));
    const stream = Buffer.concat([
      Buffer.from(encodeConnect({ headers: true })),
      encodePub("a.b", undefined, Buffer.from("x")),
      encodePub("a.b", "r", new Uint8Array(0)),
      encodeHpub("a.b", "r", h, Buffer.from("yz")),
      Buffer.from(encodeSub("a.*", "q", "7")),
      Buffer.from(encodeUnsub("7", 3)),
      PING,
      PONG,
    ]);
    expect(clientOps(stream)).toEqual([
      ["CONNECT", '{"headers":true}'],
      ["PUB", "a.b", undefined, "x"],
      ["PUB", "a.b", "r", ""],
      ["HPUB", "a.b", "r", h.length, h.toString() + "yz"],
      ["SUB", "a.*", "q", "7"],
      ["UNSUB", "7", 3],
      ["PING"],
      ["PONG"],
    ]);
  });

  test("server frames parse back to what was encoded", () => {
    const noResponders = statusHeaders(503);
    const stream = Buffer.concat([
      Buffer.from(encodeInfo({ server_id: "s" })),
      encodeMsg("a.b", "1", undefined, Buffer.from("hello")),
      Buffer.concat([Buffer.from(encodeMsgHead("a.b", "2", "r", 3)), Buffer.from("abc"), CRLF]),
      encodeHmsg("_INBOX.x", "3", undefined, noResponders, new Uint8Array(0)),
      OK,
      Buffer.from(encodeErr("Stale Connection")),
      PING,
    ]);
    const { parser, ops } = recordingServerParser();
    parser.parse(stream);
    expect(ops).toEqual([
      ["INFO", '{"server_id":"s"}'],
      ["MSG", "a.b", "1", undefined, "hello"],
      ["MSG", "a.b", "2", "r", "abc"],
      ["HMSG", "_INBOX.x", "3", undefined, 16, "NATS/1.0 503\r\n\r\n"],
      ["+OK"],
      ["-ERR", "Stale Connection"],
      ["PING"],
    ]);
  });
});
