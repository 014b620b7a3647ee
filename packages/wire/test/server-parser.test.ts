import { describe, expect, test } from "vitest";
import { recordingServerParser } from "./recorder.js";

function serverOps(input: string, limits?: { maxControlLine?: number; maxPayload?: number }) {
  const { parser, ops } = recordingServerParser(limits);
  parser.parse(Buffer.from(input));
  return ops;
}

describe("ServerProtocolParser", () => {
  test("MSG and HMSG with and without reply, separators of spaces and tabs, any case", () => {
    expect(serverOps("MSG foo 1 2\r\nhi\r\nmsg\tfoo\t\t2  r 0\r\n\r\nHmSg foo 3 12 14\r\nNATS/1.0\r\n\r\nhi\r\n")).toEqual([
      ["MSG", "foo", "1", undefined, "hi"],
      ["MSG", "foo", "2", "r", ""],
      ["HMSG", "foo", "3", undefined, 12, "NATS/1.0\r\n\r\nhi"],
    ]);
  });

  test("-ERR text is unquoted; a text without quotes is passed as is", () => {
    expect(serverOps("-ERR 'Authorization Violation'\r\n-ERR plain words\r\n")).toEqual([
      ["-ERR", "Authorization Violation"],
      ["-ERR", "plain words"],
    ]);
  });

  test("TestParseMsgSpace: MSG with no arguments is a parse error", () => {
    expect(serverOps("MSG \r\n")).toEqual([["ERROR", "bad_args", 'processMsgArgs Parse Error: ""']]);
  });

  test("TestShouldFail: malformed MSG operations are errors", () => {
    for (const proto of ["Mx", "MSx", "MSGx", "MSG  \r\n"]) {
      const ops = serverOps(proto);
      expect(ops, proto).toHaveLength(1);
      expect(ops[0][0]).toBe("ERROR");
    }
  });

  test("client operations are unknown in this direction", () => {
    for (const op of ["PUB foo 1\r\nx\r\n", "SUB foo 1\r\n", "CONNECT {}\r\n", "UNSUB 1\r\n", "HPUB foo 0 0\r\n\r\n"]) {
      expect(serverOps(op), op).toEqual([["ERROR", "unknown_op", "Unknown Protocol Operation"]]);
    }
  });

  test.each([
    ["MSG foo 1\r\n", 'processMsgArgs Parse Error: "foo 1"'],
    ["MSG foo 1 r x 2\r\n", 'processMsgArgs Parse Error: "foo 1 r x 2"'],
    ["MSG foo 1 x\r\n", 'processMsgArgs Bad or Missing Size: "foo 1 x"'],
    ["HMSG foo 1 2\r\n", 'processHeaderMsgArgs Parse Error: "foo 1 2"'],
    ["HMSG foo 1 x 2\r\n", 'processHeaderMsgArgs Bad or Missing Header Size: "foo 1 x 2"'],
    ["HMSG foo 1 2 x\r\n", 'processHeaderMsgArgs Bad or Missing Total Size: "foo 1 2 x"'],
    ["HMSG foo 1 3 2\r\n", 'processHeaderMsgArgs Header Size larger then TotalSize: "foo 1 3 2"'],
  ])("bad arguments %j", (input, text) => {
    expect(serverOps(input)).toEqual([["ERROR", "bad_args", text]]);
  });

  test("limits: payload and control line", () => {
    expect(serverOps("MSG foo 1 5\r\n", { maxPayload: 4 })).toEqual([["ERROR", "max_payload", "Maximum Payload Violation"]]);
    expect(serverOps(`INFO {"a":"${"x".repeat(100)}"}\r\n`, { maxControlLine: 64 })).toEqual([
      ["ERROR", "max_control_line", "maximum control line exceeded"],
    ]);
    // The default control line limit leaves room for the INFO of a large cluster.
    const info = JSON.stringify({ connect_urls: Array.from({ length: 400 }, (_, i) => `10.0.${i >> 8}.${i & 255}:4222`) });
    expect(info.length).toBeGreaterThan(4096);
    expect(serverOps(`INFO ${info}\r\n`)).toEqual([["INFO", info]]);
  });

  test("INFO must be a JSON object", () => {
    expect(serverOps("INFO [1]\r\n")[0].slice(0, 2)).toEqual(["ERROR", "bad_json"]);
  });

  test("repeated subjects and sids: remembered strings never leak into a different message", () => {
    const frames = [["foo", "1"], ["foo", "1"], ["fop", "1"], ["fop", "2"], ["foo", "2"], ["é", "3"], ["è", "3"]];
    const ops = serverOps(frames.map(([s, sid]) => `MSG ${s} ${sid} 0\r\n\r\n`).join(""));
    expect(ops.map((op) => [op[1], op[2]])).toEqual(frames);
  });
});
