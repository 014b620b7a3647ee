/**
 * Parser for what a client sends to a server (Go: `client.parse` for kind CLIENT).
 */
import { ERR_MAX_PAYLOAD_LOG, ERR_MAX_PAYLOAD_VIOLATION, ProtocolError, goQuote } from "../errors.js";
import { FrameParser, type ParserLimits } from "./frame-parser.js";
import { parseJsonArg } from "./json-arg.js";
import { TokenCache, parseSize, splitArgs, utf8 } from "./args.js";
import {
  OP_CONNECT,
  OP_ERR,
  OP_HPUB,
  OP_INFO,
  OP_NAMES,
  OP_OK,
  OP_PING,
  OP_PONG,
  OP_PUB,
  OP_SUB,
  OP_UNSUB,
  OpTable,
  SYNTAX_JSON_ARG,
  SYNTAX_NO_ARGS,
  SYNTAX_SPACE_THEN_ARGS,
} from "./op-table.js";

/** Go's MAX_CONTROL_LINE_SIZE and MAX_PAYLOAD_SIZE. */
export const DEFAULT_MAX_CONTROL_LINE = 4096;
export const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/**
 * Receives the operations a client sends. Strings are decoded as UTF-8; buffers may be
 * views into the chunk passed to `parse` (copy them if they must outlive it and the
 * chunk's memory is reused).
 */
export interface ClientOpHandler {
  /** CONNECT with its JSON text (already checked to be a JSON object, or `null`). */
  onConnect(json: string): void;
  onPub(subject: string, reply: string | undefined, payload: Buffer): void;
  /** msg = header block followed by payload, contiguous; headerSize = length of the header block. */
  onHpub(subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void;
  onSub(subject: string, queue: string | undefined, sid: string): void;
  /**
   * UNSUB. `max` is set only for a positive count; Go treats a missing, zero or
   * non-numeric max alike: unsubscribe now.
   */
  onUnsub(sid: string, max: number | undefined): void;
  onPing(): void;
  onPong(): void;
  /** After this the parser ignores further input (the server closes the connection). */
  onProtocolError(err: ProtocolError): void;
  /**
   * INFO from a client (valid JSON object). Go parses and ignores it for clients;
   * invalid JSON is a protocol error that closes the connection.
   */
  onInfo?(json: string): void;
  /** +OK from a client: Go ignores it. */
  onOk?(): void;
  /**
   * -ERR from a client with its raw argument (quotes included). Go logs
   * `Client Error <arg>` and closes the connection.
   */
  onErr?(arg: string): void;
  /**
   * With `parser.trace` on: each operation as Go traces it, before it is processed
   * (`<<- [PUB foo 5]`): op is "PUB", "HPUB", "SUB", "UNSUB", "CONNECT", "PING" or "PONG",
   * arg the raw argument text (undefined for PING/PONG). CONNECT is not redacted.
   */
  onTraceIn?(op: string, arg: string | undefined): void;
}

const CLIENT_OPS = new OpTable([
  [OP_CONNECT, SYNTAX_JSON_ARG],
  [OP_PUB, SYNTAX_SPACE_THEN_ARGS],
  [OP_HPUB, SYNTAX_SPACE_THEN_ARGS],
  [OP_SUB, SYNTAX_SPACE_THEN_ARGS],
  [OP_UNSUB, SYNTAX_SPACE_THEN_ARGS],
  [OP_PING, SYNTAX_NO_ARGS],
  [OP_PONG, SYNTAX_NO_ARGS],
  [OP_INFO, SYNTAX_JSON_ARG],
  [OP_OK, SYNTAX_NO_ARGS],
  [OP_ERR, SYNTAX_SPACE_THEN_ARGS],
], OP_PUB);

/**
 * Incremental, zero-copy parser of the client protocol (server side).
 *
 * @example
 * ```ts
 * const parser = new ClientProtocolParser({
 *   onConnect: (json) => {}, onPing: () => socket.write(PONG), onPong: () => {},
 *   onPub: (subject, reply, payload) => deliver(subject, reply, payload),
 *   onHpub: (subject, reply, hdrLen, msg) => {}, onSub: () => {}, onUnsub: () => {},
 *   onProtocolError: (err) => { if (err.clientVisible) socket.end(encodeErr(err.message)); },
 * });
 * socket.on("data", (chunk) => parser.parse(chunk));
 * ```
 */
export class ClientProtocolParser extends FrameParser {
  /** Report each operation to `handler.onTraceIn` (Go's `-V` trace). */
  trace = false;

  private readonly subjects = new TokenCache();
  private subject = "";
  private reply: string | undefined = undefined;
  /** Header size of the HPUB in progress, -1 for PUB. */
  private headerSize = -1;

  constructor(
    private readonly handler: ClientOpHandler,
    limits?: ParserLimits,
  ) {
    super(CLIENT_OPS, limits, { maxControlLine: DEFAULT_MAX_CONTROL_LINE, maxPayload: DEFAULT_MAX_PAYLOAD });
  }

  /**
   * While true, any operation other than CONNECT is an `auth_violation` ("Authorization
   * Violation"), detected on its first byte as Go does. Set it when authentication is
   * required; clear it once the CONNECT has been accepted.
   */
  get requireConnect(): boolean {
    return this.connectRequired;
  }
  set requireConnect(on: boolean) {
    this.connectRequired = on;
  }

  protected onControlLine(op: number, buf: Buffer, start: number, end: number, argCount: number): void {
    if (this.trace && op !== OP_INFO && op !== OP_ERR) this.handler.onTraceIn?.(OP_NAMES[op], utf8(buf, start, end));
    switch (op) {
      case OP_PUB:
        return this.pub(buf, start, end, argCount);
      case OP_HPUB:
        return this.hpub(buf, start, end, argCount);
      case OP_SUB:
        return this.sub(buf, start, end);
      case OP_UNSUB:
        return this.unsub(buf, start, end);
      case OP_CONNECT: {
        const json = parseJsonArg(buf, start, end, "CONNECT");
        if (typeof json === "string") this.handler.onConnect(json);
        else this.fail(json);
        return;
      }
      case OP_INFO: {
        const json = parseJsonArg(buf, start, end, "INFO");
        if (typeof json === "string") this.handler.onInfo?.(json);
        else this.fail(json);
        return;
      }
      case OP_ERR:
        this.handler.onErr?.(utf8(buf, start, end));
        return;
    }
  }

  protected onNoArgOp(op: number): void {
    if (op === OP_PING) {
      if (this.trace) this.handler.onTraceIn?.("PING", undefined);
      this.handler.onPing();
    } else if (op === OP_PONG) {
      if (this.trace) this.handler.onTraceIn?.("PONG", undefined);
      this.handler.onPong();
    } else {
      this.handler.onOk?.();
    }
  }

  protected onMessage(payload: Buffer): void {
    const subject = this.subject;
    const reply = this.reply;
    this.subject = "";
    this.reply = undefined;
    if (this.headerSize < 0) this.handler.onPub(subject, reply, payload);
    else this.handler.onHpub(subject, reply, this.headerSize, payload);
  }

  protected onError(err: ProtocolError): void {
    this.handler.onProtocolError(err);
  }

  private pub(buf: Buffer, start: number, end: number, argCount: number): void {
    const a = this.args;
    const n = argCount >= 0 ? argCount : splitArgs(buf, start, end, a, false);
    if (n !== 2 && n !== 3) return this.badArgs(`processPub Parse Error: ${goQuote(buf, start, end)}`);
    const size = parseSize(buf, a[n * 2 - 2], a[n * 2 - 1]);
    if (size < 0) return this.badArgs(`processPub Bad or Missing Size: ${goQuote(buf, start, end)}`);
    if (!this.withinMaxPayload(size)) return;
    this.subject = this.subjects.decode(buf, a[0], a[1]);
    this.reply = n === 3 ? utf8(buf, a[2], a[3]) : undefined;
    this.headerSize = -1;
    this.expectPayload(size);
  }

  private hpub(buf: Buffer, start: number, end: number, argCount: number): void {
    const a = this.args;
    const n = argCount >= 0 ? argCount : splitArgs(buf, start, end, a, false);
    if (n !== 3 && n !== 4) return this.badArgs(`processHeaderPub Parse Error: ${goQuote(buf, start, end)}`);
    const headerSize = parseSize(buf, a[n * 2 - 4], a[n * 2 - 3]);
    const size = parseSize(buf, a[n * 2 - 2], a[n * 2 - 1]);
    if (headerSize < 0) return this.badArgs(`processHeaderPub Bad or Missing Header Size: ${goQuote(buf, start, end)}`);
    if (size < 0) return this.badArgs(`processHeaderPub Bad or Missing Total Size: ${goQuote(buf, start, end)}`);
    if (headerSize > size) {
      // Go's text, typo included.
      return this.badArgs(`processHeaderPub Header Size larger then TotalSize: ${goQuote(buf, start, end)}`);
    }
    if (!this.withinMaxPayload(size)) return;
    this.subject = this.subjects.decode(buf, a[0], a[1]);
    this.reply = n === 4 ? utf8(buf, a[2], a[3]) : undefined;
    this.headerSize = headerSize;
    this.expectPayload(size);
  }

  /** Go splits SUB and UNSUB arguments on CR too, so they are split here again. */
  private sub(buf: Buffer, start: number, end: number): void {
    const a = this.args;
    const n = splitArgs(buf, start, end, a, true);
    if (n !== 2 && n !== 3) return this.badArgs(`processSub Parse Error: ${goQuote(buf, start, end)}`);
    const subject = utf8(buf, a[0], a[1]);
    const queue = n === 3 ? utf8(buf, a[2], a[3]) : undefined;
    this.handler.onSub(subject, queue, utf8(buf, a[n * 2 - 2], a[n * 2 - 1]));
  }

  private unsub(buf: Buffer, start: number, end: number): void {
    const a = this.args;
    const n = splitArgs(buf, start, end, a, true);
    if (n !== 1 && n !== 2) return this.badArgs(`processUnsub Parse Error: ${goQuote(buf, start, end)}`);
    const max = n === 2 ? parseSize(buf, a[2], a[3]) : -1;
    this.handler.onUnsub(utf8(buf, a[0], a[1]), max > 0 ? max : undefined);
  }

  private withinMaxPayload(size: number): boolean {
    const max = this.maxPayload;
    if (max < 0 || size <= max) return true;
    const detail = `${ERR_MAX_PAYLOAD_LOG}: ${size} vs ${max}`;
    this.fail(new ProtocolError("max_payload", ERR_MAX_PAYLOAD_VIOLATION, true, detail));
    return false;
  }

  private badArgs(text: string): void {
    this.fail(new ProtocolError("bad_args", text, false));
  }
}
