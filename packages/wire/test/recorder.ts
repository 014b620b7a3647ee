import { ClientProtocolParser, ServerProtocolParser, type ClientOpHandler, type ParserLimits, type ProtocolError, type ServerOpHandler } from "../src/index.js";

/** One parsed operation, in a form tests can compare with toEqual. */
export type ClientOp =
  | ["CONNECT", string]
  | ["PUB", string, string | undefined, string]
  | ["HPUB", string, string | undefined, number, string]
  | ["SUB", string, string | undefined, string]
  | ["UNSUB", string, number | undefined]
  | ["PING"]
  | ["PONG"]
  | ["INFO", string]
  | ["+OK"]
  | ["-ERR", string]
  | ["ERROR", ProtocolError["kind"], string];

/** A ClientProtocolParser that records every callback into `ops`. */
export function recordingClientParser(limits?: ParserLimits): { parser: ClientProtocolParser; ops: ClientOp[]; errors: ProtocolError[] } {
  const ops: ClientOp[] = [];
  const errors: ProtocolError[] = [];
  const handler: ClientOpHandler = {
    onConnect: (json) => ops.push(["CONNECT", json]),
    onPub: (s, r, p) => ops.push(["PUB", s, r, p.toString("latin1")]),
    onHpub: (s, r, h, m) => ops.push(["HPUB", s, r, h, m.toString("latin1")]),
    onSub: (s, q, sid) => ops.push(["SUB", s, q, sid]),
    onUnsub: (sid, max) => ops.push(["UNSUB", sid, max]),
    onPing: () => ops.push(["PING"]),
    onPong: () => ops.push(["PONG"]),
    onInfo: (json) => ops.push(["INFO", json]),
    onOk: () => ops.push(["+OK"]),
    onErr: (arg) => ops.push(["-ERR", arg]),
    onProtocolError: (err) => {
      errors.push(err);
      ops.push(["ERROR", err.kind, err.message]);
    },
  };
  return { parser: new ClientProtocolParser(handler, limits), ops, errors };
}

export type ServerOp =
  | ["INFO", string]
  | ["MSG", string, string, string | undefined, string]
  | ["HMSG", string, string, string | undefined, number, string]
  | ["PING"]
  | ["PONG"]
  | ["+OK"]
  | ["-ERR", string]
  | ["ERROR", ProtocolError["kind"], string];

export function recordingServerParser(limits?: ParserLimits): { parser: ServerProtocolParser; ops: ServerOp[] } {
  const ops: ServerOp[] = [];
  const handler: ServerOpHandler = {
    onInfo: (json) => ops.push(["INFO", json]),
    onMsg: (s, sid, r, p) => ops.push(["MSG", s, sid, r, p.toString("latin1")]),
    onHmsg: (s, sid, r, h, m) => ops.push(["HMSG", s, sid, r, h, m.toString("latin1")]),
    onPing: () => ops.push(["PING"]),
    onPong: () => ops.push(["PONG"]),
    onOk: () => ops.push(["+OK"]),
    onErr: (t) => ops.push(["-ERR", t]),
    onProtocolError: (err) => ops.push(["ERROR", err.kind, err.message]),
  };
  return { parser: new ServerProtocolParser(handler, limits), ops };
}

/** Parses `input` split into pieces at the given byte offsets. */
export function parseSplit(parser: { parse(b: Buffer): void }, input: Buffer, cuts: number[]): void {
  let prev = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parser.parse(input.subarray(prev, cut));
    prev = cut;
  }
  parser.parse(input.subarray(prev));
}

/** Parses a client stream in one piece and returns the operations. */
export function clientOps(input: string | Buffer, limits?: ParserLimits): ClientOp[] {
  const { parser, ops } = recordingClientParser(limits);
  parser.parse(typeof input === "string" ? Buffer.from(input, "latin1") : input);
  return ops;
}
