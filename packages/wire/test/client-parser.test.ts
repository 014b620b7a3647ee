import { describe, expect, test } from "vitest";
import { ClientProtocolParser, type ClientOpHandler, ProtocolError } from "../src/index.js";
import { clientOps, recordingClientParser } from "./recorder.js";

function feedBytes(parser: ClientProtocolParser, input: string): void {
  for (const byte of Buffer.from(input, "latin1")) parser.parse(Buffer.from([byte]));
}

describe("ClientProtocolParser operations", () => {
  test("TestParsePing: PING byte by byte, then whole, tolerating anything before the newline", () => {
    const { parser, ops } = recordingClientParser();
    const ping = "PING\r\n";
    for (let i = 0; i < ping.length - 1; i++) {
      parser.parse(Buffer.from(ping[i]));
      expect(ops).toEqual([]);
    }
    parser.parse(Buffer.from("\n"));
    expect(ops).toEqual([["PING"]]);
    parser.parse(Buffer.from(ping));
    expect(ops).toEqual([["PING"], ["PING"]]);
    // Should tolerate spaces
    parser.parse(Buffer.from("PING  \r"));
    expect(ops).toHaveLength(2);
    parser.parse(Buffer.from("  \n"));
    expect(ops).toEqual([["PING"], ["PING"], ["PING"]]);
    expect(parser.stopped).toBe(false);
  });

  test("TestParsePong: PONG byte by byte, then whole, tolerating anything before the newline", () => {
    const { parser, ops } = recordingClientParser();
    feedBytes(parser, "PONG\r");
    expect(ops).toEqual([]);
    parser.parse(Buffer.from("\nPONG\r\nPONG  \r"));
    expect(ops).toEqual([["PONG"], ["PONG"]]);
    parser.parse(Buffer.from("  \n"));
    expect(ops).toEqual([["PONG"], ["PONG"], ["PONG"]]);
  });

  test("TestParseConnect: CONNECT hands over the JSON text", () => {
    const json = '{"verbose":false,"pedantic":true,"tls_required":false}';
    expect(clientOps(`CONNECT ${json}\r\n`)).toEqual([["CONNECT", json]]);
  });

  test("CONNECT without a space, with tabs, and with a bare LF", () => {
    expect(clientOps('CONNECT{"a":1}\r\nconnect \t {"b":2}\n')).toEqual([
      ["CONNECT", '{"a":1}'],
      ["CONNECT", '{"b":2}'],
    ]);
  });

  test("TestParseSub: SUB waits for the newline, then reports subject and sid", () => {
    const { parser, ops } = recordingClientParser();
    parser.parse(Buffer.from("SUB foo 1\r"));
    expect(ops).toEqual([]);
    parser.parse(Buffer.from("\n"));
    expect(ops).toEqual([["SUB", "foo", undefined, "1"]]);
  });

  test("SUB with a queue group, tabs and repeated separators", () => {
    expect(clientOps("SUB foo.* workers 22\r\nsub\tbar\t\t  q\t7 \r\n")).toEqual([
      ["SUB", "foo.*", "workers", "22"],
      ["SUB", "bar", "q", "7"],
    ]);
  });

  test("UNSUB with and without max; zero or non-numeric max means unsubscribe now", () => {
    expect(clientOps("UNSUB 1\r\nUNSUB 2 10\r\nUNSUB 3 0\r\nUNSUB 4 x\r\nunsub\t5\t7\r\n")).toEqual([
      ["UNSUB", "1", undefined],
      ["UNSUB", "2", 10],
      ["UNSUB", "3", undefined],
      ["UNSUB", "4", undefined],
      ["UNSUB", "5", 7],
    ]);
  });

  test("TestParsePub: subject, reply and size; a payload longer than its size is an error", () => {
    const { parser, ops } = recordingClientParser();
    parser.parse(Buffer.from("PUB foo 5\r\nhello\r"));
    expect(ops).toEqual([]);
    parser.parse(Buffer.from("\n"));
    expect(ops).toEqual([["PUB", "foo", undefined, "hello"]]);

    expect(clientOps("PUB foo.bar INBOX.22 11\r\nhello world\r\n")).toEqual([["PUB", "foo.bar", "INBOX.22", "hello world"]]);

    // This is the case when data has more bytes than expected by size.
    expect(clientOps("PUB foo.bar 11\r\nhello world hello world\r")).toEqual([
      ["ERROR", "unknown_op", "Unknown Protocol Operation"],
    ]);
  });

  test("TestParsePubSizeOverflow: a size that overflows is rejected", () => {
    const ops = clientOps("PUB foo 3333333333333333333333333333333333333333333333333333333333333333\r\n");
    expect(ops).toEqual([
      ["ERROR", "bad_args", 'processPub Bad or Missing Size: "foo 3333333333333333333333333333333333333333333333333333333333333333"'],
    ]);
  });

  describe("TestParsePubArg: spaces and tabs anywhere between arguments", () => {
    const cases: Array<[arg: string, subject: string, reply: string | undefined, size: number]> = [
      ["a 2", "a", undefined, 2],
      ["a 222", "a", undefined, 222],
      ["foo 22", "foo", undefined, 22],
      [" foo 22", "foo", undefined, 22],
      ["foo 22 ", "foo", undefined, 22],
      ["foo   22", "foo", undefined, 22],
      [" foo 22 ", "foo", undefined, 22],
      [" foo   22 ", "foo", undefined, 22],
      ["foo bar 22", "foo", "bar", 22],
      [" foo bar 22", "foo", "bar", 22],
      ["foo bar 22 ", "foo", "bar", 22],
      ["foo  bar  22", "foo", "bar", 22],
      [" foo bar 22 ", "foo", "bar", 22],
      ["  foo   bar  22  ", "foo", "bar", 22],
      ["  foo   bar  2222  ", "foo", "bar", 2222],
      ["  foo     2222  ", "foo", undefined, 2222],
      ["a\t2", "a", undefined, 2],
      ["a\t222", "a", undefined, 222],
      ["foo\t22", "foo", undefined, 22],
      ["\tfoo\t22", "foo", undefined, 22],
      ["foo\t22\t", "foo", undefined, 22],
      ["foo\t\t\t22", "foo", undefined, 22],
      ["\tfoo\t22\t", "foo", undefined, 22],
      ["\tfoo\t\t\t22\t", "foo", undefined, 22],
      ["foo\tbar\t22", "foo", "bar", 22],
      ["\tfoo\tbar\t22", "foo", "bar", 22],
      ["foo\tbar\t22\t", "foo", "bar", 22],
      ["foo\t\tbar\t\t22", "foo", "bar", 22],
      ["\tfoo\tbar\t22\t", "foo", "bar", 22],
      ["\t \tfoo\t \t \tbar\t \t22\t \t", "foo", "bar", 22],
      ["\t\tfoo\t\t\tbar\t\t2222\t\t", "foo", "bar", 2222],
      ["\t \tfoo\t \t \t\t\t2222\t \t", "foo", undefined, 2222],
    ];
    test.each(cases)("%j", (arg, subject, reply, size) => {
      const payload = "x".repeat(size);
      expect(clientOps(`PUB ${arg}\r\n${payload}\r\n`)).toEqual([["PUB", subject, reply, payload]]);
    });
  });

  test("TestParsePubBadSize: a 16-digit size is an error even under a custom max_payload", () => {
    const ops = clientOps("PUB foo 2222222222222222\r\n", { maxPayload: 32768 });
    expect(ops).toEqual([["ERROR", "bad_args", 'processPub Bad or Missing Size: "foo 2222222222222222"']]);
  });

  test("TestParseHeaderPub: header size, total size and reply", () => {
    expect(clientOps("HPUB foo 12 17\r\nname:derek\r\nHELLO\r\n")).toEqual([["HPUB", "foo", undefined, 12, "name:derek\r\nHELLO"]]);
    expect(clientOps("HPUB foo INBOX.22 12 17\r\nname:derek\r\nHELLO\r\n")).toEqual([
      ["HPUB", "foo", "INBOX.22", 12, "name:derek\r\nHELLO"],
    ]);
    expect(clientOps("HPUB foo INBOX.22 0 5\r\nHELLO\r\n")).toEqual([["HPUB", "foo", "INBOX.22", 0, "HELLO"]]);
  });

  describe("TestParseHeaderPubArg: spaces and tabs anywhere between arguments", () => {
    const cases: Array<[arg: string, subject: string, reply: string | undefined, hdr: number, size: number]> = [
      ["a 2 4", "a", undefined, 2, 4],
      ["a 22 222", "a", undefined, 22, 222],
      ["foo 3 22", "foo", undefined, 3, 22],
      [" foo   1 22", "foo", undefined, 1, 22],
      ["foo 0   22 ", "foo", undefined, 0, 22],
      ["foo  0     22", "foo", undefined, 0, 22],
      [" foo 1 22 ", "foo", undefined, 1, 22],
      [" foo   3 22 ", "foo", undefined, 3, 22],
      ["foo bar 1 22", "foo", "bar", 1, 22],
      [" foo bar 11 22", "foo", "bar", 11, 22],
      ["foo bar 11 22 ", "foo", "bar", 11, 22],
      ["foo  bar  11  22", "foo", "bar", 11, 22],
      [" foo bar  11 22 ", "foo", "bar", 11, 22],
      ["  foo   bar  11   22  ", "foo", "bar", 11, 22],
      ["  foo   bar  22   2222  ", "foo", "bar", 22, 2222],
      ["  foo 1    2222  ", "foo", undefined, 1, 2222],
      ["a\t2\t22", "a", undefined, 2, 22],
      ["a\t2\t\t222", "a", undefined, 2, 222],
      ["foo\t2 22", "foo", undefined, 2, 22],
      ["\tfoo\t11\t  22", "foo", undefined, 11, 22],
      ["foo\t11\t22\t", "foo", undefined, 11, 22],
      ["foo\t\t\t11 22", "foo", undefined, 11, 22],
      ["\tfoo\t11\t \t 22\t", "foo", undefined, 11, 22],
      ["\tfoo\t\t\t11 22\t", "foo", undefined, 11, 22],
      ["foo\tbar\t2 22", "foo", "bar", 2, 22],
      ["\tfoo\tbar\t11\t22", "foo", "bar", 11, 22],
      ["foo\tbar\t11\t\t22\t ", "foo", "bar", 11, 22],
      ["foo\t\tbar\t\t11\t\t\t22", "foo", "bar", 11, 22],
      ["\tfoo\tbar\t11\t22\t", "foo", "bar", 11, 22],
      ["\t \tfoo\t \t \tbar\t \t11\t 22\t \t", "foo", "bar", 11, 22],
      ["\t\tfoo\t\t\tbar\t\t22\t\t\t2222\t\t", "foo", "bar", 22, 2222],
      ["\t \tfoo\t \t \t\t\t11\t\t 2222\t \t", "foo", undefined, 11, 2222],
    ];
    test.each(cases)("%j", (arg, subject, reply, hdr, size) => {
      const msg = "h".repeat(hdr) + "p".repeat(size - hdr);
      expect(clientOps(`HPUB ${arg}\r\n${msg}\r\n`)).toEqual([["HPUB", subject, reply, hdr, msg]]);
    });
  });

  test("TestParseOK: +OK from a client is accepted byte by byte", () => {
    const { parser, ops } = recordingClientParser();
    feedBytes(parser, "+OK\r");
    expect(ops).toEqual([]);
    parser.parse(Buffer.from("\n"));
    expect(ops).toEqual([["+OK"]]);
    expect(parser.stopped).toBe(false);
  });

  test("INFO and -ERR from a client reach the optional handlers", () => {
    expect(clientOps("INFO {\"x\":1}\r\n-ERR 'boom'\r\n")).toEqual([
      ["INFO", '{"x":1}'],
      ["-ERR", "'boom'"],
    ]);
  });

  test("optional handlers may be missing", () => {
    const seen: string[] = [];
    const handler: ClientOpHandler = {
      onConnect: () => seen.push("connect"),
      onPub: () => seen.push("pub"),
      onHpub: () => seen.push("hpub"),
      onSub: () => seen.push("sub"),
      onUnsub: () => seen.push("unsub"),
      onPing: () => seen.push("ping"),
      onPong: () => seen.push("pong"),
      onProtocolError: (e) => seen.push(e.kind),
    };
    const parser = new ClientProtocolParser(handler);
    parser.parse(Buffer.from("INFO {}\r\n+OK\r\n-ERR 'x'\r\nPING\r\n"));
    expect(seen).toEqual(["ping"]);
  });

  test("operation names are case-insensitive", () => {
    expect(clientOps("pub a 1\r\nx\r\nPuB b 1\r\ny\r\nhPuB c 0 1\r\nz\r\nsUb d 1\r\nUnSuB 1\r\npInG\r\nPoNg\r\n+ok\r\n")).toEqual([
      ["PUB", "a", undefined, "x"],
      ["PUB", "b", undefined, "y"],
      ["HPUB", "c", undefined, 0, "z"],
      ["SUB", "d", undefined, "1"],
      ["UNSUB", "1", undefined],
      ["PING"],
      ["PONG"],
      ["+OK"],
    ]);
  });

  test("empty payloads and payloads containing CRLF", () => {
    expect(clientOps("PUB foo 0\r\n\r\nPUB bar 4\r\n\r\n\r\n\r\n")).toEqual([
      ["PUB", "foo", undefined, ""],
      ["PUB", "bar", undefined, "\r\n\r\n"],
    ]);
  });

  test("UTF-8 subjects, replies and queue names are decoded", () => {
    const input = Buffer.from("PUB añb.✓ réply 2\r\nhi\r\nSUB añb.* grüppe 1\r\n", "utf8");
    expect(clientOps(input)).toEqual([
      ["PUB", "añb.✓", "réply", "hi"],
      ["SUB", "añb.*", "grüppe", "1"],
    ]);
  });

  test("repeated subjects: a remembered subject is never returned for different bytes", () => {
    const subjects = ["foo.bar", "foo.bar", "foo.baz", "fo.bar1", "foo.baz", "é.x", "é.y", "x".repeat(70), "x".repeat(69) + "y"];
    const input = subjects.map((s) => `PUB ${s} 1\r\n.\r\n`).join("");
    expect(clientOps(Buffer.from(input)).map((op) => op[1])).toEqual(subjects);
  });

  test("a complete payload is a zero-copy view into the chunk", () => {
    let payload: Buffer | undefined;
    const parser = new ClientProtocolParser({ ...noop(), onPub: (_s, _r, p) => (payload = p) });
    const chunk = Buffer.from("PUB foo 5\r\nhello\r\n");
    parser.parse(chunk);
    expect(payload!.buffer).toBe(chunk.buffer);
    expect(payload!.byteOffset).toBe(chunk.byteOffset + 11);
    expect(payload!.toString()).toBe("hello");
  });

  test("a split payload is assembled without touching the chunks", () => {
    let payload: Buffer | undefined;
    const parser = new ClientProtocolParser({ ...noop(), onPub: (_s, _r, p) => (payload = p) });
    const a = Buffer.from("PUB foo 10\r\nhello");
    const b = Buffer.from("world\r\n");
    const [copyA, copyB] = [Buffer.from(a), Buffer.from(b)];
    parser.parse(a);
    parser.parse(b);
    expect(payload!.toString()).toBe("helloworld");
    expect(a.equals(copyA) && b.equals(copyB)).toBe(true);
  });

  test("payload complete at the end of a chunk, trailer in the next one", () => {
    const { parser, ops } = recordingClientParser();
    parser.parse(Buffer.from("PUB foo 5\r\nhello"));
    parser.parse(Buffer.from("\r"));
    expect(ops).toEqual([]);
    parser.parse(Buffer.from("\nPING\r\n"));
    expect(ops).toEqual([["PUB", "foo", undefined, "hello"], ["PING"]]);
  });

  test("trace reports each operation as Go traces it", () => {
    const traced: Array<[string, string | undefined]> = [];
    const parser = new ClientProtocolParser({ ...noop(), onTraceIn: (op, arg) => traced.push([op, arg]) });
    parser.parse(Buffer.from("SUB foo  1\r\nPING\r\n"));
    expect(traced).toEqual([]);
    parser.trace = true;
    parser.parse(Buffer.from('CONNECT {"verbose":false}\r\nSUB foo  1\r\nPUB foo 2\r\nhi\r\nHPUB foo 0 0\r\n\r\nUNSUB 1\r\nPING\r\nPONG\r\n+OK\r\n'));
    expect(traced).toEqual([
      ["CONNECT", '{"verbose":false}'],
      ["SUB", "foo  1"],
      ["PUB", "foo 2"],
      ["HPUB", "foo 0 0"],
      ["UNSUB", "1"],
      ["PING", undefined],
      ["PONG", undefined],
    ]);
  });

  test("stop() from a handler drops the rest of the chunk and later input", () => {
    const seen: string[] = [];
    const parser: ClientProtocolParser = new ClientProtocolParser({
      ...noop(),
      onSub: (s) => {
        seen.push(s);
        if (s === "stop") parser.stop();
      },
    });
    parser.parse(Buffer.from("SUB a 1\r\nSUB stop 2\r\nSUB b 3\r\n"));
    parser.parse(Buffer.from("SUB c 4\r\n"));
    expect(seen).toEqual(["a", "stop"]);
    expect(parser.stopped).toBe(true);
  });

  test("maxPayload can change between messages", () => {
    const { parser, ops } = recordingClientParser({ maxPayload: 2 });
    parser.parse(Buffer.from("PUB a 2\r\nok\r\n"));
    parser.maxPayload = 1;
    parser.parse(Buffer.from("PUB a 2\r\nok\r\n"));
    expect(ops).toEqual([
      ["PUB", "a", undefined, "ok"],
      ["ERROR", "max_payload", "Maximum Payload Violation"],
    ]);
  });
});

function noop(): ClientOpHandler {
  const nothing = (): void => {};
  return {
    onConnect: nothing,
    onPub: nothing,
    onHpub: nothing,
    onSub: nothing,
    onUnsub: nothing,
    onPing: nothing,
    onPong: nothing,
    onProtocolError: (e: ProtocolError) => {
      throw e;
    },
  };
}
