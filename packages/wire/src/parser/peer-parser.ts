/**
 * Parser for what another server sends over a route, leaf node or gateway connection (Go:
 * `client.parse` for kinds ROUTER, LEAF and GATEWAY): INFO, CONNECT, PING, PONG, +OK, -ERR,
 * the interest operations RS+/RS-/LS+/LS-/A+/A- and the messages RMSG, LMSG and HMSG.
 *
 * The meaning of the arguments depends on the connection kind (routes name the account,
 * leaf nodes do not), so the parser hands them over as strings; {@link parsePeerMsgArgs}
 * reads a message's arguments the way Go does for each kind.
 */
import { ERR_MAX_PAYLOAD_LOG, ERR_MAX_PAYLOAD_VIOLATION, ProtocolError, goQuote } from "../errors.js";
import { FrameParser, type ParserLimits } from "./frame-parser.js";
import { parseJsonArg } from "./json-arg.js";
import { utf8 } from "./args.js";
import {
  OP_A_MINUS,
  OP_A_PLUS,
  OP_CONNECT,
  OP_ERR,
  OP_HMSG,
  OP_INFO,
  OP_LMSG,
  OP_LS_MINUS,
  OP_LS_PLUS,
  OP_NAMES,
  OP_OK,
  OP_PING,
  OP_PONG,
  OP_RMSG,
  OP_RS_MINUS,
  OP_RS_PLUS,
  OpTable,
  SYNTAX_JSON_ARG,
  SYNTAX_NO_ARGS,
  SYNTAX_SPACE_THEN_ARGS,
} from "./op-table.js";

export type PeerInterestOp = "RS+" | "RS-" | "LS+" | "LS-" | "A+" | "A-";
export type PeerMessageOp = "RMSG" | "LMSG" | "HMSG";

/** Receives the operations another server sends. Buffers may be views into the parsed chunk. */
export interface PeerOpHandler {
  /** INFO with its JSON text (checked to be a JSON object). */
  onInfo(json: string): void;
  /** CONNECT with its JSON text (checked to be a JSON object, or `null`). */
  onConnect(json: string): void;
  onPing(): void;
  onPong(): void;
  onOk?(): void;
  /** -ERR with the text between the single quotes. */
  onErr(text: string): void;
  /** An interest operation with its arguments split on spaces and tabs. */
  onInterest(op: PeerInterestOp, args: string[]): void;
  /**
   * A message. `args` are the control line's arguments without the sizes (read them with
   * {@link parsePeerMsgArgs}); `msg` holds the header block (`headerSize` bytes, -1 for an
   * operation without headers) followed by the payload.
   */
  onMessage(op: PeerMessageOp, args: string[], headerSize: number, msg: Buffer): void;
  /** After this the parser ignores further input. */
  onProtocolError(err: ProtocolError): void;
  /** With tracing on: each operation with its raw argument text, before it is processed. */
  onTraceIn?(op: string, arg: string | undefined): void;
}

/** Go allows routes, leaf nodes and gateways 16 times a client's control line (MAX_CONTROL_LINE_SIZE). */
export const DEFAULT_PEER_PARSER_LIMITS: Required<ParserLimits> = { maxControlLine: 4096 * 16, maxPayload: 64 * 1024 * 1024 };

const PEER_OPS = new OpTable([
  [OP_INFO, SYNTAX_JSON_ARG],
  [OP_CONNECT, SYNTAX_JSON_ARG],
  [OP_PING, SYNTAX_NO_ARGS],
  [OP_PONG, SYNTAX_NO_ARGS],
  [OP_OK, SYNTAX_NO_ARGS],
  [OP_ERR, SYNTAX_SPACE_THEN_ARGS],
  [OP_RS_PLUS, SYNTAX_SPACE_THEN_ARGS],
  [OP_RS_MINUS, SYNTAX_SPACE_THEN_ARGS],
  [OP_LS_PLUS, SYNTAX_SPACE_THEN_ARGS],
  [OP_LS_MINUS, SYNTAX_SPACE_THEN_ARGS],
  [OP_A_PLUS, SYNTAX_SPACE_THEN_ARGS],
  [OP_A_MINUS, SYNTAX_SPACE_THEN_ARGS],
  [OP_RMSG, SYNTAX_SPACE_THEN_ARGS],
  [OP_LMSG, SYNTAX_SPACE_THEN_ARGS],
  [OP_HMSG, SYNTAX_SPACE_THEN_ARGS],
], 0);

/**
 * Incremental parser of the server-to-server protocols.
 *
 * @example
 * ```ts
 * const parser = new PeerProtocolParser({
 *   onInfo: (json) => {}, onConnect: (json) => {}, onPing: () => socket.write("PONG\r\n"), onPong: () => {},
 *   onErr: (text) => log.error(text), onProtocolError: (err) => socket.destroy(),
 *   onInterest: (op, args) => console.log(op, args),      // RS+ $G foo.> q 1
 *   onMessage: (op, args, headerSize, msg) => {},          // RMSG $G foo + reply q
 * });
 * socket.on("data", (chunk) => parser.parse(chunk));
 * ```
 */
export class PeerProtocolParser extends FrameParser {
  /** Calls handler.onTraceIn for every operation (Go's -V trace). */
  trace = false;
  private pendingOp: PeerMessageOp = "RMSG";
  private pendingArgs: string[] = [];
  private headerSize = -1;

  /**
   * @param leaf a leaf node connection: its HMSG has no account, and errors name Go's leaf
   *   functions (processLeafHeaderMsgArgs ...) rather than the route ones
   */
  constructor(
    private readonly handler: PeerOpHandler,
    limits?: ParserLimits,
    private readonly leaf = false,
  ) {
    super(PEER_OPS, limits, DEFAULT_PEER_PARSER_LIMITS);
  }

  protected onControlLine(op: number, buf: Buffer, start: number, end: number): void {
    if (this.trace) this.handler.onTraceIn?.(OP_NAMES[op], utf8(buf, start, end));
    switch (op) {
      case OP_RMSG:
        return this.msg("RMSG", buf, start, end);
      case OP_LMSG:
        return this.msg("LMSG", buf, start, end);
      case OP_HMSG:
        return this.msg("HMSG", buf, start, end);
      case OP_INFO:
      case OP_CONNECT: {
        const name = OP_NAMES[op] as "INFO" | "CONNECT";
        const json = parseJsonArg(buf, start, end, name);
        if (typeof json !== "string") return this.fail(json);
        if (op === OP_INFO) this.handler.onInfo(json);
        else this.handler.onConnect(json);
        return;
      }
      case OP_ERR: {
        const text = utf8(buf, start, end);
        this.handler.onErr(text.length >= 2 && text.startsWith("'") && text.endsWith("'") ? text.slice(1, -1) : text);
        return;
      }
      default:
        this.handler.onInterest(OP_NAMES[op] as PeerInterestOp, splitBytes(buf, start, end));
    }
  }

  protected onNoArgOp(op: number): void {
    if (this.trace) this.handler.onTraceIn?.(OP_NAMES[op], undefined);
    if (op === OP_PING) this.handler.onPing();
    else if (op === OP_PONG) this.handler.onPong();
    else this.handler.onOk?.();
  }

  protected onMessage(payload: Buffer): void {
    const { pendingOp, pendingArgs, headerSize } = this;
    this.pendingArgs = [];
    this.handler.onMessage(pendingOp, pendingArgs, headerSize, payload);
  }

  protected onError(err: ProtocolError): void {
    this.handler.onProtocolError(err);
  }

  /** Takes the size (and, for HMSG, the header size) off the end of the arguments. */
  private msg(op: PeerMessageOp, buf: Buffer, start: number, end: number): void {
    const args = splitBytes(buf, start, end);
    const withHeaders = op === "HMSG";
    const fn = peerMsgFunction(this.leaf || op === "LMSG", withHeaders);
    if (args.length < (withHeaders ? 3 : 2)) return this.badArgs(`${fn} Parse Error: '[${args.join(" ")}]'`);
    const size = goSize(args.pop()!);
    let headerSize = -1;
    if (withHeaders) {
      headerSize = goSize(args.pop()!);
      if (headerSize < 0) return this.badArgs(`${fn} Bad or Missing Header Size: ${goQuote(buf, start, end)}`);
    }
    if (size < 0) return this.badArgs(`${fn} Bad or Missing Size: '[${args.join(" ")}]'`);
    if (headerSize > size) return this.badArgs(`${fn} Header Size larger then TotalSize: ${goQuote(buf, start, end)}`);
    if (this.maxPayload >= 0 && size > this.maxPayload) {
      const detail = `${ERR_MAX_PAYLOAD_LOG}: ${size} vs ${this.maxPayload}`;
      return this.fail(new ProtocolError("max_payload", ERR_MAX_PAYLOAD_VIOLATION, true, detail));
    }
    this.pendingOp = op;
    this.pendingArgs = args;
    this.headerSize = headerSize;
    this.expectPayload(size);
  }

  private badArgs(text: string): void {
    this.fail(new ProtocolError("bad_args", text, false));
  }
}

/** What a message's arguments say, once the sizes are off. */
export interface PeerMsgArgs {
  /** The account (routes and gateways name it; leaf connections are bound to one). */
  account: string | undefined;
  subject: string;
  reply: string | undefined;
  /** Queue groups the sender picked this server for (empty for none). */
  queues: string[];
}

/** How to read a message's arguments. */
export interface PeerMsgArgsFormat {
  /** The first argument is the account (routes and gateways; not leaf nodes or pinned routes). */
  withAccount: boolean;
  /** A leaf node connection (for the names in Go's error texts). */
  leaf: boolean;
  /** An HMSG (for the names in Go's error texts). */
  headers: boolean;
}

/**
 * Reads a message's arguments as Go does: `[account] subject`, then nothing, a reply, or a
 * reply indicator (`+ reply q1 q2 ...` or `| q1 q2 ...`). Returns Go's error text for bad input.
 *
 * @example
 * parsePeerMsgArgs(["$G", "foo", "+", "_INBOX.1", "q"], { withAccount: true, leaf: false, headers: false })
 * // { account: "$G", subject: "foo", reply: "_INBOX.1", queues: ["q"] }
 */
export function parsePeerMsgArgs(args: readonly string[], format: PeerMsgArgsFormat): PeerMsgArgs | string {
  const { withAccount } = format;
  const fn = peerMsgFunction(format.leaf, format.headers);
  const base = withAccount ? 2 : 1;
  if (args.length < base) return `${fn} Parse Error: '[${args.join(" ")}]'`;
  const account = withAccount ? args[0] : undefined;
  const subject = args[base - 1];
  const rest = args.slice(base);
  if (rest.length === 0) return { account, subject, reply: undefined, queues: [] };
  if (rest.length === 1) return { account, subject, reply: rest[0], queues: [] };
  const indicator = rest[0];
  if (indicator === "+") return { account, subject, reply: rest[1], queues: rest.slice(2) };
  if (indicator === "|") return { account, subject, reply: undefined, queues: rest.slice(1) };
  return `${fn} Bad or Missing Reply Indicator: '${indicator}'`;
}

/** The Go function whose error texts a message's parse errors carry. */
function peerMsgFunction(leaf: boolean, withHeaders: boolean): string {
  if (leaf) return withHeaders ? "processLeafHeaderMsgArgs" : "processLeafMsgArgs";
  return withHeaders ? "processRoutedHeaderMsgArgs" : "processRoutedMsgArgs";
}

/** buf[start, end) split on spaces, tabs, CR and LF, straight from the bytes (the hot path of routed messages). */
function splitBytes(buf: Buffer, start: number, end: number): string[] {
  const words: string[] = [];
  let tokenStart = -1;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    if (b === 0x20 || b === 0x09 || b === 0x0d || b === 0x0a) {
      if (tokenStart >= 0) {
        words.push(utf8(buf, tokenStart, i));
        tokenStart = -1;
      }
    } else if (tokenStart < 0) {
      tokenStart = i;
    }
  }
  if (tokenStart >= 0) words.push(utf8(buf, tokenStart, end));
  return words;
}

/** Go's parseSize on a token: 1 to 9 decimal digits, else -1. */
function goSize(token: string): number {
  if (token.length === 0 || token.length > 9) return -1;
  let n = 0;
  for (let i = 0; i < token.length; i++) {
    const d = token.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}
