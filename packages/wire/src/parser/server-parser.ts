/**
 * Parser for what a server sends to a client: INFO, MSG, HMSG, PING, PONG, +OK, -ERR.
 * Used by tests, benchmarks and (later) leaf node and route connections.
 */
import { ERR_MAX_PAYLOAD_LOG, ERR_MAX_PAYLOAD_VIOLATION, ProtocolError, goQuote } from "../errors.js";
import { FrameParser, type ParserLimits } from "./frame-parser.js";
import { parseJsonArg } from "./json-arg.js";
import { TokenCache, parseSize, splitArgs, utf8 } from "./args.js";
import {
  OP_ERR,
  OP_HMSG,
  OP_INFO,
  OP_MSG,
  OP_OK,
  OP_PING,
  OP_PONG,
  OpTable,
  SYNTAX_JSON_ARG,
  SYNTAX_NO_ARGS,
  SYNTAX_SPACE_THEN_ARGS,
} from "./op-table.js";

/** Receives the operations a server sends. Buffers may be views into the parsed chunk. */
export interface ServerOpHandler {
  /** INFO with its JSON text (checked to be a JSON object). */
  onInfo(json: string): void;
  onMsg(subject: string, sid: string, reply: string | undefined, payload: Buffer): void;
  /** msg = header block followed by payload, contiguous; headerSize = length of the header block. */
  onHmsg(subject: string, sid: string, reply: string | undefined, headerSize: number, msg: Buffer): void;
  onPing(): void;
  onPong(): void;
  onOk(): void;
  /** -ERR with the text between the single quotes (`-ERR 'Stale Connection'` gives `Stale Connection`). */
  onErr(text: string): void;
  /** After this the parser ignores further input. */
  onProtocolError(err: ProtocolError): void;
}

/**
 * Defaults for a client reading from a server: INFO lines of large clusters exceed 4 KB,
 * so the control line limit is 16 times Go's client limit (what Go allows routes and
 * leaf nodes); payloads are capped at Go's MAX_PENDING_SIZE (64 MB).
 */
export const DEFAULT_SERVER_PARSER_LIMITS: Required<ParserLimits> = { maxControlLine: 4096 * 16, maxPayload: 64 * 1024 * 1024 };

const SERVER_OPS = new OpTable([
  [OP_INFO, SYNTAX_JSON_ARG],
  [OP_MSG, SYNTAX_SPACE_THEN_ARGS],
  [OP_HMSG, SYNTAX_SPACE_THEN_ARGS],
  [OP_PING, SYNTAX_NO_ARGS],
  [OP_PONG, SYNTAX_NO_ARGS],
  [OP_OK, SYNTAX_NO_ARGS],
  [OP_ERR, SYNTAX_SPACE_THEN_ARGS],
], OP_MSG);

/**
 * Incremental, zero-copy parser of the server-to-client protocol.
 *
 * @example
 * ```ts
 * const parser = new ServerProtocolParser({
 *   onInfo: (json) => {}, onMsg: (subject, sid, reply, payload) => console.log(subject, payload.toString()),
 *   onHmsg: () => {}, onPing: () => socket.write(PONG), onPong: () => {}, onOk: () => {},
 *   onErr: (text) => console.error(text), onProtocolError: (err) => socket.destroy(err),
 * });
 * socket.on("data", (chunk) => parser.parse(chunk));
 * ```
 */
export class ServerProtocolParser extends FrameParser {
  private readonly subjects = new TokenCache();
  private readonly sids = new TokenCache();
  private subject = "";
  private sid = "";
  private reply: string | undefined = undefined;
  private headerSize = -1;

  constructor(
    private readonly handler: ServerOpHandler,
    limits?: ParserLimits,
  ) {
    super(SERVER_OPS, limits, DEFAULT_SERVER_PARSER_LIMITS);
  }

  protected onControlLine(op: number, buf: Buffer, start: number, end: number, argCount: number): void {
    switch (op) {
      case OP_MSG:
        return this.msg(buf, start, end, argCount, false);
      case OP_HMSG:
        return this.msg(buf, start, end, argCount, true);
      case OP_INFO: {
        const json = parseJsonArg(buf, start, end, "INFO");
        if (typeof json === "string") this.handler.onInfo(json);
        else this.fail(json);
        return;
      }
      case OP_ERR:
        this.handler.onErr(unquote(utf8(buf, start, end)));
        return;
    }
  }

  protected onNoArgOp(op: number): void {
    if (op === OP_PING) this.handler.onPing();
    else if (op === OP_PONG) this.handler.onPong();
    else this.handler.onOk();
  }

  protected onMessage(payload: Buffer): void {
    const { subject, sid, reply } = this;
    this.subject = this.sid = "";
    this.reply = undefined;
    if (this.headerSize < 0) this.handler.onMsg(subject, sid, reply, payload);
    else this.handler.onHmsg(subject, sid, reply, this.headerSize, payload);
  }

  protected onError(err: ProtocolError): void {
    this.handler.onProtocolError(err);
  }

  /** MSG subject sid [reply] size, HMSG subject sid [reply] hdr_size total_size. */
  private msg(buf: Buffer, start: number, end: number, argCount: number, withHeaders: boolean): void {
    const a = this.args;
    const n = argCount >= 0 ? argCount : splitArgs(buf, start, end, a, false);
    const fn = withHeaders ? "processHeaderMsgArgs" : "processMsgArgs";
    const minArgs = withHeaders ? 4 : 3;
    if (n !== minArgs && n !== minArgs + 1) return this.badArgs(`${fn} Parse Error: ${goQuote(buf, start, end)}`);
    const size = parseSize(buf, a[n * 2 - 2], a[n * 2 - 1]);
    let headerSize = -1;
    if (withHeaders) {
      headerSize = parseSize(buf, a[n * 2 - 4], a[n * 2 - 3]);
      if (headerSize < 0) return this.badArgs(`${fn} Bad or Missing Header Size: ${goQuote(buf, start, end)}`);
      if (size < 0) return this.badArgs(`${fn} Bad or Missing Total Size: ${goQuote(buf, start, end)}`);
      if (headerSize > size) return this.badArgs(`${fn} Header Size larger then TotalSize: ${goQuote(buf, start, end)}`);
    } else if (size < 0) {
      return this.badArgs(`${fn} Bad or Missing Size: ${goQuote(buf, start, end)}`);
    }
    if (this.maxPayload >= 0 && size > this.maxPayload) {
      const detail = `${ERR_MAX_PAYLOAD_LOG}: ${size} vs ${this.maxPayload}`;
      return this.fail(new ProtocolError("max_payload", ERR_MAX_PAYLOAD_VIOLATION, true, detail));
    }
    this.subject = this.subjects.decode(buf, a[0], a[1]);
    this.sid = this.sids.decode(buf, a[2], a[3]);
    this.reply = n === minArgs + 1 ? utf8(buf, a[4], a[5]) : undefined;
    this.headerSize = headerSize;
    this.expectPayload(size);
  }

  private badArgs(text: string): void {
    this.fail(new ProtocolError("bad_args", text, false));
  }
}

function unquote(arg: string): string {
  return arg.length >= 2 && arg.startsWith("'") && arg.endsWith("'") ? arg.slice(1, -1) : arg;
}
