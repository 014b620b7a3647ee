import { describe, expect, test } from "vitest";
import { ProtocolError } from "../src/index.js";
import { protoSnippet, PROTO_SNIPPET_SIZE } from "../src/errors.js";
import { clientOps, recordingClientParser } from "./recorder.js";

describe("ClientProtocolParser errors", () => {
  test("TestShouldFail: malformed operations are reported as protocol errors", () => {
    const wrongProtos = [
      "xxx",
      "Px", "PIx", "PINx", " PING",
      "POx", "PONx",
      "+x", "+Ox",
      "-x", "-Ex", "-ERx", "-ERRx",
      "Cx", "COx", "CONx", "CONNx", "CONNEx", "CONNECx", "CONNECx", "CONNECT \r\n",
      "PUx", "PUB foo\r\n", "PUB  \r\n", "PUB foo bar       \r\n",
      "PUB foo 2\r\nok \r\n", "PUB foo 2\r\nok\r \n",
      "Sx", "SUx", "SUB\r\n", "SUB  \r\n", "SUB foo\r\n",
      "SUB foo bar baz 22\r\n",
      "Ux", "UNx", "UNSx", "UNSUx", "UNSUBx", "UNSUBUNSUB 1\r\n", "UNSUB_2\r\n",
      "UNSUB_UNSUB_UNSUB 2\r\n", "UNSUB_\t2\r\n", "UNSUB\r\n", "UNSUB \r\n",
      "UNSUB          \t       \r\n",
      "Ix", "INx", "INFx", "INFO  \r\n",
    ];
    for (const proto of wrongProtos) {
      const { parser, errors } = recordingClientParser();
      parser.parse(Buffer.from(proto));
      expect(errors, JSON.stringify(proto)).toHaveLength(1);
      expect(parser.stopped).toBe(true);
    }
  });

  test("TestParseMsgSpace: anything starting with M from a client is a parse error", () => {
    expect(clientOps("M")).toEqual([["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
    expect(clientOps("MSG foo 1 2\r\nhi\r\n")).toEqual([["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
  });

  test("route, leaf and account operations are unknown from a client", () => {
    for (const op of ["RS+ foo 1\r\n", "LS+ foo\r\n", "A+ foo\r\n", "RMSG $G foo 1\r\nx\r\n", "HMSG foo 1 0 0\r\n\r\n"]) {
      expect(clientOps(op), op).toEqual([["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
    }
  });

  test("unknown_op: Go's -ERR text, sent to the client, with a Go-style snippet in the detail", () => {
    const { parser, errors } = recordingClientParser();
    parser.parse(Buffer.from("PING\r\nPUX foo\r\n"));
    expect(errors).toHaveLength(1);
    const err = errors[0];
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toBeInstanceOf(Error);
    expect(err.kind).toBe("unknown_op");
    expect(err.message).toBe("Unknown Protocol Operation");
    expect(err.clientVisible).toBe(true);
    // Go's snippet stops one byte short of the end of the buffer.
    expect(err.detail).toBe(`parser ERROR, state=OP, i=8: proto='"X foo\\r"...'`);
  });

  test("a bad byte after the payload is an unknown operation, whole or split", () => {
    expect(clientOps("PUB foo 2\r\nokX\r\n")).toEqual([["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
    expect(clientOps("PUB foo 2\r\nok\rX")).toEqual([["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
    const { parser, ops } = recordingClientParser();
    parser.parse(Buffer.from("PUB foo 2\r\no"));
    parser.parse(Buffer.from("k"));
    parser.parse(Buffer.from("\n"));
    expect(ops).toEqual([["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
  });

  test("input after an error is ignored", () => {
    const { parser, ops } = recordingClientParser();
    parser.parse(Buffer.from("PING\r\nBAD\r\nPING\r\n"));
    parser.parse(Buffer.from("PING\r\n"));
    expect(ops).toEqual([["PING"], ["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
  });

  describe("max_control_line", () => {
    test("TestMaxControlLine: enforced on a partial line and on a complete one", () => {
      const pub = Buffer.from("PUB foo.bar.baz 2\r\nok\r\n");
      // First try with a partial: PUB foo.bar.ba
      let { parser, errors } = recordingClientParser({ maxControlLine: 8 });
      parser.parse(pub.subarray(0, 14));
      expect(errors.map((e) => e.message)).toEqual(["maximum control line exceeded"]);
      expect(errors[0].detail).toBe('maximum control line exceeded: State ARG, max_control_line 8, Buffer len 10 (snip: "foo.bar.b"...)');
      // Now with full protocol (no split) and we should still enforce.
      ({ parser, errors } = recordingClientParser({ maxControlLine: 8 }));
      parser.parse(pub);
      expect(errors.map((e) => e.message)).toEqual(["maximum control line exceeded"]);
      expect(errors[0].kind).toBe("max_control_line");
      expect(errors[0].clientVisible).toBe(true);
      expect(errors[0].detail).toBe('maximum control line exceeded: State ARG, max_control_line 8, Buffer len 0 (snip: "foo.bar.baz "...)');
    });

    test("counts the arguments only: the operation, leading spaces and CRLF are free", () => {
      const arg = "a".repeat(8); // subject of 6 + " 0"
      const atLimit = `PUB    ${arg.slice(0, 6)} 0\r\n\r\n`;
      expect(clientOps(atLimit, { maxControlLine: 8 })).toEqual([["PUB", "aaaaaa", undefined, ""]]);
      expect(clientOps(`PUB aaaaaaa 0\r\n\r\n`, { maxControlLine: 8 })).toEqual([
        ["ERROR", "max_control_line", "maximum control line exceeded"],
      ]);
    });

    test("a partial line at the limit waits; one byte more fails before the newline arrives", () => {
      const { parser, ops } = recordingClientParser({ maxControlLine: 8 });
      parser.parse(Buffer.from("SUB abcdef"));
      parser.parse(Buffer.from(" 1\r"));
      expect(ops).toEqual([]);
      parser.parse(Buffer.from("\n"));
      expect(ops).toEqual([["SUB", "abcdef", undefined, "1"]]);
      parser.parse(Buffer.from("SUB abcdefg"));
      parser.parse(Buffer.from(" 1"));
      expect(ops.at(-1)).toEqual(["ERROR", "max_control_line", "maximum control line exceeded"]);
    });

    test("applies to CONNECT, SUB, UNSUB, HPUB, INFO and -ERR, not to PING junk", () => {
      const long = "x".repeat(20);
      for (const line of [`CONNECT {"a":"${long}"}\r\n`, `SUB ${long} 1\r\n`, `UNSUB ${long}\r\n`, `HPUB ${long} 0 0\r\n\r\n`, `INFO {"${long}":1}\r\n`, `-ERR '${long}'\r\n`]) {
        expect(clientOps(line, { maxControlLine: 16 }), line).toEqual([["ERROR", "max_control_line", "maximum control line exceeded"]]);
      }
      expect(clientOps(`PING ${long}\r\n`, { maxControlLine: 16 })).toEqual([["PING"]]);
    });

    test("a long line in one chunk fails as soon as the limit is passed, newline or not", () => {
      const long = `PUB ${"s".repeat(100)} 1\r\nx\r\n`;
      expect(clientOps(long, { maxControlLine: 16 })).toEqual([["ERROR", "max_control_line", "maximum control line exceeded"]]);
      expect(clientOps(`PUB ${"s".repeat(100)}`, { maxControlLine: 16 })).toEqual([["ERROR", "max_control_line", "maximum control line exceeded"]]);
      // Exactly at the limit with its CR, the newline arriving later.
      const { parser, ops } = recordingClientParser({ maxControlLine: 16 });
      parser.parse(Buffer.from(`PUB ${"s".repeat(14)} 0\r`));
      parser.parse(Buffer.from("\n\r\n"));
      expect(ops).toEqual([["PUB", "s".repeat(14), undefined, ""]]);
    });

    test("a line without newline never grows past the limit, however it is fed", () => {
      const { parser, errors } = recordingClientParser();
      const junk = Buffer.alloc(1024, "a");
      parser.parse(Buffer.from("PUB "));
      for (let i = 0; i < 10 && errors.length === 0; i++) parser.parse(junk);
      expect(errors.map((e) => e.kind)).toEqual(["max_control_line"]);
    });
  });

  describe("max_payload", () => {
    test("PUB: at the limit passes, above it is Go's Maximum Payload Violation", () => {
      expect(clientOps("PUB foo 4\r\nabcd\r\n", { maxPayload: 4 })).toEqual([["PUB", "foo", undefined, "abcd"]]);
      const { parser, errors } = recordingClientParser({ maxPayload: 4 });
      parser.parse(Buffer.from("PUB foo 5\r\n"));
      expect(errors).toHaveLength(1);
      expect(errors[0].kind).toBe("max_payload");
      expect(errors[0].message).toBe("Maximum Payload Violation");
      expect(errors[0].clientVisible).toBe(true);
      expect(errors[0].detail).toBe("maximum payload exceeded: 5 vs 4");
    });

    test("HPUB: the total size (headers + payload) is checked", () => {
      expect(clientOps("HPUB foo 2 4\r\nabcd\r\n", { maxPayload: 4 })).toEqual([["HPUB", "foo", undefined, 2, "abcd"]]);
      expect(clientOps("HPUB foo 2 5\r\n", { maxPayload: 4 })).toEqual([["ERROR", "max_payload", "Maximum Payload Violation"]]);
    });

    test("without a limit, a huge announced size costs only the bytes that arrive", () => {
      const { parser, ops } = recordingClientParser({ maxPayload: -1 });
      const before = process.memoryUsage().arrayBuffers;
      parser.parse(Buffer.from("PUB foo 999999999\r\nabc"));
      for (let i = 0; i < 10; i++) parser.parse(Buffer.alloc(1000, "x"));
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(50_000_000);
      expect(ops).toEqual([]);
      expect(parser.stopped).toBe(false);
    });

    test("default is Go's 1 MB; a negative limit disables the check", () => {
      expect(clientOps(`PUB foo ${1024 * 1024 + 1}\r\n`)).toEqual([["ERROR", "max_payload", "Maximum Payload Violation"]]);
      const big = "z".repeat(1024 * 1024 + 1);
      expect(clientOps(`PUB foo ${big.length}\r\n${big}\r\n`, { maxPayload: -1 })).toEqual([["PUB", "foo", undefined, big]]);
    });
  });

  describe("bad_args: Go's log texts, not sent to the client", () => {
    const cases: Array<[string, string]> = [
      ["PUB foo\r\n", 'processPub Parse Error: "foo"'],
      ["PUB a b c 1\r\n", 'processPub Parse Error: "a b c 1"'],
      ["PUB foo -1\r\n", 'processPub Bad or Missing Size: "foo -1"'],
      ["PUB foo bar\r\n", 'processPub Bad or Missing Size: "foo bar"'],
      ["HPUB foo 1\r\n", 'processHeaderPub Parse Error: "foo 1"'],
      ["HPUB foo x 2\r\n", 'processHeaderPub Bad or Missing Header Size: "foo x 2"'],
      ["HPUB foo 2 x\r\n", 'processHeaderPub Bad or Missing Total Size: "foo 2 x"'],
      ["HPUB foo 10 8\r\n", 'processHeaderPub Header Size larger then TotalSize: "foo 10 8"'],
      ["SUB foo\r\n", 'processSub Parse Error: "foo"'],
      ["SUB a b c d\r\n", 'processSub Parse Error: "a b c d"'],
      ["UNSUB 1 2 3\r\n", 'processUnsub Parse Error: "1 2 3"'],
      ["UNSUB \r\n", 'processUnsub Parse Error: ""'],
      ["PUB a\x01 b\tc 1\r\n", 'processPub Parse Error: "a\\x01 b\\tc 1"'],
    ];
    test.each(cases)("%j", (input, text) => {
      const { parser, errors } = recordingClientParser();
      parser.parse(Buffer.from(input, "latin1"));
      expect(errors.map((e) => [e.kind, e.message, e.clientVisible])).toEqual([["bad_args", text, false]]);
    });
  });

  describe("bad_json: CONNECT and INFO must carry a JSON object", () => {
    test.each(["CONNECT\r\n", "CONNECT {\r\n", "CONNECT [1]\r\n", 'CONNECT "x"\r\n', "CONNECT 5\r\n", "INFO nope\r\n"])("%j", (input) => {
      const { parser, errors } = recordingClientParser();
      parser.parse(Buffer.from(input));
      expect(errors.map((e) => [e.kind, e.clientVisible])).toEqual([["bad_json", false]]);
      expect(errors[0].message).toMatch(/^invalid (CONNECT|INFO) JSON: /);
    });

    test("null is accepted, as Go's JSON decoder accepts it", () => {
      expect(clientOps("CONNECT null\r\n")).toEqual([["CONNECT", "null"]]);
    });
  });

  describe("requireConnect: Go's Authorization Violation on the first byte of any other operation", () => {
    test("rejects PING before CONNECT without waiting for the newline", () => {
      const { parser, errors } = recordingClientParser();
      parser.requireConnect = true;
      parser.parse(Buffer.from("P"));
      expect(errors.map((e) => [e.kind, e.message, e.clientVisible])).toEqual([["auth_violation", "Authorization Violation", true]]);
    });

    test("allows CONNECT (any case); clearing the flag allows the rest", () => {
      const { parser, ops } = recordingClientParser();
      parser.requireConnect = true;
      parser.parse(Buffer.from("connect {}\r\n"));
      expect(parser.requireConnect).toBe(true);
      parser.requireConnect = false;
      parser.parse(Buffer.from("PING\r\n"));
      expect(ops).toEqual([["CONNECT", "{}"], ["PING"]]);
    });
  });
});

describe("TestProtoSnippet", () => {
  const sample = Buffer.from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
  const expected = [
    `"abcdefghijklmnopqrstuvwxyzABCDEF"`, `"bcdefghijklmnopqrstuvwxyzABCDEFG"`, `"cdefghijklmnopqrstuvwxyzABCDEFGH"`,
    `"defghijklmnopqrstuvwxyzABCDEFGHI"`, `"efghijklmnopqrstuvwxyzABCDEFGHIJ"`, `"fghijklmnopqrstuvwxyzABCDEFGHIJK"`,
    `"ghijklmnopqrstuvwxyzABCDEFGHIJKL"`, `"hijklmnopqrstuvwxyzABCDEFGHIJKLM"`, `"ijklmnopqrstuvwxyzABCDEFGHIJKLMN"`,
    `"jklmnopqrstuvwxyzABCDEFGHIJKLMNO"`, `"klmnopqrstuvwxyzABCDEFGHIJKLMNOP"`, `"lmnopqrstuvwxyzABCDEFGHIJKLMNOPQ"`,
    `"mnopqrstuvwxyzABCDEFGHIJKLMNOPQR"`, `"nopqrstuvwxyzABCDEFGHIJKLMNOPQRS"`, `"opqrstuvwxyzABCDEFGHIJKLMNOPQRST"`,
    `"pqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"`, `"qrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"`, `"rstuvwxyzABCDEFGHIJKLMNOPQRSTUVW"`,
    `"stuvwxyzABCDEFGHIJKLMNOPQRSTUVWX"`, `"tuvwxyzABCDEFGHIJKLMNOPQRSTUVWXY"`, `"uvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"`,
    `"vwxyzABCDEFGHIJKLMNOPQRSTUVWXY"`, `"wxyzABCDEFGHIJKLMNOPQRSTUVWXY"`, `"xyzABCDEFGHIJKLMNOPQRSTUVWXY"`,
    `"yzABCDEFGHIJKLMNOPQRSTUVWXY"`, `"zABCDEFGHIJKLMNOPQRSTUVWXY"`, `"ABCDEFGHIJKLMNOPQRSTUVWXY"`,
    `"BCDEFGHIJKLMNOPQRSTUVWXY"`, `"CDEFGHIJKLMNOPQRSTUVWXY"`, `"DEFGHIJKLMNOPQRSTUVWXY"`, `"EFGHIJKLMNOPQRSTUVWXY"`,
    `"FGHIJKLMNOPQRSTUVWXY"`, `"GHIJKLMNOPQRSTUVWXY"`, `"HIJKLMNOPQRSTUVWXY"`, `"IJKLMNOPQRSTUVWXY"`,
    `"JKLMNOPQRSTUVWXY"`, `"KLMNOPQRSTUVWXY"`, `"LMNOPQRSTUVWXY"`, `"MNOPQRSTUVWXY"`, `"NOPQRSTUVWXY"`,
    `"OPQRSTUVWXY"`, `"PQRSTUVWXY"`, `"QRSTUVWXY"`, `"RSTUVWXY"`, `"STUVWXY"`, `"TUVWXY"`, `"UVWXY"`,
    `"VWXY"`, `"WXY"`, `"XY"`, `"Y"`, `""`, `""`, `""`, `""`,
  ];
  test("snippets of up to 32 bytes, quoted like Go's %q", () => {
    expected.forEach((want, start) => expect(protoSnippet(start, PROTO_SNIPPET_SIZE, sample), `start=${start}`).toBe(want));
  });

  test("control bytes and invalid UTF-8 are escaped, valid UTF-8 kept", () => {
    expect(protoSnippet(0, 32, Buffer.from([0x50, 0x0d, 0x0a, 0x09, 0x00, 0x22, 0x5c, 0xff, 0xc3, 0xa9, 0x41]))).toBe('"P\\r\\n\\t\\x00\\"\\\\\\xffé"');
  });
});
