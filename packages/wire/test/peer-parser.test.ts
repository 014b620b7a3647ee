import { describe, expect, test } from "vitest";
import { PeerProtocolParser, parsePeerMsgArgs, peerMsgHead, type PeerOpHandler, type PeerMsgArgsFormat } from "../src/index.js";

type Op = unknown[];

function peerOps(input: string | Buffer[], opts: { maxPayload?: number; leaf?: boolean } = {}): Op[] {
  const ops: Op[] = [];
  const handler: PeerOpHandler = {
    onInfo: (json) => ops.push(["INFO", json]),
    onConnect: (json) => ops.push(["CONNECT", json]),
    onPing: () => ops.push(["PING"]),
    onPong: () => ops.push(["PONG"]),
    onOk: () => ops.push(["+OK"]),
    onErr: (text) => ops.push(["-ERR", text]),
    onInterest: (op, args) => ops.push([op, ...args]),
    onMessage: (op, args, headerSize, msg) => ops.push([op, args, headerSize, msg.toString()]),
    onProtocolError: (err) => ops.push(["ERROR", err.kind, err.message]),
  };
  const parser = new PeerProtocolParser(handler, { maxPayload: opts.maxPayload }, opts.leaf);
  for (const chunk of typeof input === "string" ? [Buffer.from(input)] : input) parser.parse(chunk);
  return ops;
}

const ROUTE: PeerMsgArgsFormat = { withAccount: true, leaf: false, headers: false };
const LEAF: PeerMsgArgsFormat = { withAccount: false, leaf: true, headers: false };

describe("PeerProtocolParser", () => {
  test("TestParseRouteMsg: RMSG with account, reply and queue lists; MSG is not a route operation", () => {
    expect(peerOps("MSG $foo foo 5\r\nhello\r\n")[0]).toEqual(["ERROR", "unknown_op", "Unknown Protocol Operation"]);
    const ops = peerOps(
      "RMSG $foo foo 5\r\nhello\r\nRMSG $G foo.bar INBOX.22 11\r\nhello world\r\nRMSG $G foo.bar + reply baz 11\r\nhello world\r\nRMSG $G foo.bar | baz 11\r\nhello world\r\n",
    );
    expect(ops.map((o) => [o[0], parsePeerMsgArgs(o[1] as string[], ROUTE), o[2], o[3]])).toEqual([
      ["RMSG", { account: "$foo", subject: "foo", reply: undefined, queues: [] }, -1, "hello"],
      ["RMSG", { account: "$G", subject: "foo.bar", reply: "INBOX.22", queues: [] }, -1, "hello world"],
      ["RMSG", { account: "$G", subject: "foo.bar", reply: "reply", queues: ["baz"] }, -1, "hello world"],
      ["RMSG", { account: "$G", subject: "foo.bar", reply: undefined, queues: ["baz"] }, -1, "hello world"],
    ]);
  });

  test("TestParseRoutedHeaderMsg: HMSG header size, reply indicators, header larger than total is an error", () => {
    expect(peerOps("HMSG $foo foo 10 8\r\nXXXhello\r\n")).toEqual([
      ["ERROR", "bad_args", 'processRoutedHeaderMsgArgs Header Size larger then TotalSize: "$foo foo 10 8"'],
    ]);
    const ops = peerOps("HMSG $foo foo 3 8\r\nXXXhello\r\nHMSG $G foo.bar + reply baz 3 14\r\nOK:hello world\r\n");
    expect(ops).toEqual([
      ["HMSG", ["$foo", "foo"], 3, "XXXhello"],
      ["HMSG", ["$G", "foo.bar", "+", "reply", "baz"], 3, "OK:hello world"],
    ]);
    expect(parsePeerMsgArgs(["$G", "foo.bar", "x", "reply", "baz"], { ...ROUTE, headers: true })).toBe(
      "processRoutedHeaderMsgArgs Bad or Missing Reply Indicator: 'x'",
    );
  });

  test("TestParseLeafHeaderMsgBadSize: a leaf HMSG over max_payload is a max payload violation", () => {
    expect(peerOps("HMSG foo 4 17\r\n", { maxPayload: 16, leaf: true })).toEqual([
      ["ERROR", "max_payload", "Maximum Payload Violation"],
    ]);
  });

  test("leaf messages carry no account; sizes that are not numbers are Go's parse errors", () => {
    const ops = peerOps("LMSG foo + r q1 q2 2\r\nhi\r\nLMSG foo bar 2\r\nhi\r\n", { leaf: true });
    expect(ops.map((o) => parsePeerMsgArgs(o[1] as string[], LEAF))).toEqual([
      { account: undefined, subject: "foo", reply: "r", queues: ["q1", "q2"] },
      { account: undefined, subject: "foo", reply: "bar", queues: [] },
    ]);
    expect(peerOps("LMSG foo x\r\n", { leaf: true })).toEqual([["ERROR", "bad_args", "processLeafMsgArgs Bad or Missing Size: '[foo]'"]]);
    expect(peerOps("HMSG foo x 2\r\n", { leaf: true })).toEqual([
      ["ERROR", "bad_args", 'processLeafHeaderMsgArgs Bad or Missing Header Size: "foo x 2"'],
    ]);
    expect(peerOps("RMSG\t \r\n")[0]).toEqual(["ERROR", "bad_args", "processRoutedMsgArgs Parse Error: '[]'"]);
  });

  test("interest operations, INFO/CONNECT, PING/PONG and -ERR, split at every byte", () => {
    const text =
      'INFO {"server_id":"S1"}\r\nCONNECT {"verbose":false}\r\nRS+ $G foo.> q 3\r\nrs- $G foo.>\r\nLS+ $G bar\r\nLS- $G bar\r\nA+ $G\r\nA- $G\r\nPING\r\nPONG\r\n+OK\r\n-ERR \'Unknown\'\r\n';
    const expected = [
      ["INFO", '{"server_id":"S1"}'],
      ["CONNECT", '{"verbose":false}'],
      ["RS+", "$G", "foo.>", "q", "3"],
      ["RS-", "$G", "foo.>"],
      ["LS+", "$G", "bar"],
      ["LS-", "$G", "bar"],
      ["A+", "$G"],
      ["A-", "$G"],
      ["PING"],
      ["PONG"],
      ["+OK"],
      ["-ERR", "Unknown"],
    ];
    expect(peerOps(text)).toEqual(expected);
    const bytes = Buffer.from(text);
    expect(peerOps([...bytes].map((b) => Buffer.from([b])))).toEqual(expected);
  });
});

describe("peerMsgHead", () => {
  test("route, leaf and header forms read back to the same arguments", () => {
    const cases: [string | undefined, string, string | undefined, string[], number, number][] = [
      ["$G", "foo", undefined, [], -1, 5],
      ["$G", "foo", "_INBOX.1", [], -1, 5],
      ["$G", "foo", "_INBOX.1", ["q1", "q2"], -1, 5],
      ["ACC", "foo", undefined, ["q1"], 3, 8],
      [undefined, "foo", "r", ["q"], -1, 2],
      [undefined, "foo", undefined, [], 12, 17],
    ];
    for (const [account, subject, reply, queues, headerSize, size] of cases) {
      const head = peerMsgHead(account, subject, reply, queues, headerSize, size);
      const leaf = account === undefined;
      const ops = peerOps(`${head}${"x".repeat(size)}\r\n`, { leaf });
      expect(ops).toHaveLength(1);
      const [, args, hs] = ops[0] as [string, string[], number];
      expect(hs).toBe(headerSize);
      expect(parsePeerMsgArgs(args, { withAccount: !leaf, leaf, headers: headerSize >= 0 })).toEqual({ account, subject, reply, queues });
    }
    expect(peerMsgHead("$G", "foo", "_INBOX.1", ["q"], -1, 5)).toBe("RMSG $G foo + _INBOX.1 q 5\r\n");
    expect(peerMsgHead(undefined, "foo", undefined, ["q"], -1, 5)).toBe("LMSG foo | q 5\r\n");
  });
});
