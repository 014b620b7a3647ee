/**
 * The incremental byte state machine shared by both parser directions.
 *
 * It recognises operation names byte by byte, finds the end of a control line with a
 * native newline search, hands the argument bytes to the direction-specific subclass,
 * and collects message payloads. Input may be split at any byte: only a partial control
 * line (bounded by max_control_line) or a partial payload is kept between chunks.
 * Complete payloads are zero-copy views into the chunk they arrived in.
 */
import {
  ERR_AUTHORIZATION_VIOLATION,
  ERR_MAX_CONTROL_LINE,
  ERR_UNKNOWN_PROTOCOL_OPERATION,
  MAX_CONTROL_LINE_SNIPPET_SIZE,
  PROTO_SNIPPET_SIZE,
  ProtocolError,
  protoSnippet,
} from "../errors.js";
import { MAX_ARGS, indexOfLf } from "./args.js";
import { OpTable, SYNTAX_JSON_ARG, SYNTAX_NO_ARGS } from "./op-table.js";

/** Limits a parser enforces; a negative maxPayload means no limit. */
export interface ParserLimits {
  /** Longest control line argument in bytes (Go's max_control_line). */
  maxControlLine?: number;
  /** Largest message size in bytes (Go's max_payload); negative for no limit. */
  maxPayload?: number;
}

const ST_OP_NAME = 0; // inside an operation name (node 0 = before its first byte)
const ST_NEED_SPACE = 1; // after PUB/SUB/...: one space or tab is required
const ST_SKIP_SPACE = 2; // spaces and tabs before the arguments
const ST_ARG = 3; // arguments up to the newline
const ST_SKIP_LINE = 4; // PING/PONG/+OK: ignore everything up to the newline
const ST_PAYLOAD = 5;
const ST_PAYLOAD_CR = 6;
const ST_PAYLOAD_LF = 7;
const ST_DEAD = 8; // after a protocol error or stop(): input is ignored

const STATE_NAMES = ["OP", "OP_SPC", "OP_SPC", "ARG", "OP_EOL", "MSG_PAYLOAD", "MSG_END_R", "MSG_END_N", "CLOSED"];

const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const FANOUT = 128;
const KEEP_LINE_BUFFER = 1024;

export abstract class FrameParser {
  /** Longest control line argument accepted, in bytes. */
  maxControlLine: number;
  /** Largest PUB/HPUB (or MSG/HMSG) size accepted, in bytes; negative for no limit. */
  maxPayload: number;

  /**
   * Argument boundaries (start/end pairs) of the control line being handed to
   * onControlLine, when its argCount is not -1.
   */
  protected readonly args = new Int32Array(MAX_ARGS * 2);

  /** Set while the peer must send CONNECT before anything else (auth required). */
  protected connectRequired = false;

  private state = ST_OP_NAME;
  private node = 0;
  private op = 0;
  private argStart = 0;
  /** Bytes of a control line split across chunks. */
  private lineBuf: Buffer | null = null;
  private lineLen = 0;
  /** Size of the message being read (payload bytes, headers included, CRLF excluded). */
  private msgSize = 0;
  /**
   * A split payload being assembled: views of the chunks it arrived in, joined once
   * complete, so a peer announcing a large message costs only the bytes it really sent.
   */
  private msgParts: Buffer[] | null = null;
  private msgLen = 0;
  /** The complete payload, waiting for its trailing CRLF. */
  private msgReady: Buffer | null = null;

  protected constructor(
    private readonly table: OpTable,
    limits: ParserLimits | undefined,
    defaults: Required<ParserLimits>,
  ) {
    this.maxControlLine = limits?.maxControlLine ?? defaults.maxControlLine;
    this.maxPayload = limits?.maxPayload ?? defaults.maxPayload;
  }

  /** True after a protocol error or `stop()`: further input is ignored. */
  get stopped(): boolean {
    return this.state === ST_DEAD;
  }

  /** Ignore all further input (for example once the connection is being closed). */
  stop(): void {
    this.state = ST_DEAD;
    this.lineBuf = this.msgReady = null;
    this.msgParts = null;
  }

  /**
   * Feeds bytes received from the peer. Frames may be split at any byte. Buffers passed
   * to the handler may be views into `chunk`, and the part of a payload split across
   * chunks is held as views until the rest arrives; the parser never writes to chunks, so
   * this is safe as long as the caller does not reuse a chunk's memory (Node sockets don't).
   */
  parse(chunk: Buffer): void {
    const len = chunk.length;
    const table = this.table;
    let i = 0;
    while (i < len) {
      switch (this.state) {
        case ST_OP_NAME: {
          const b = chunk[i];
          if (this.node === 0) {
            if (this.connectRequired && b !== 0x43 && b !== 0x63) {
              this.fail(new ProtocolError("auth_violation", ERR_AUTHORIZATION_VIOLATION, true));
              return;
            }
            // OR 0x20 lower-cases letters (and maps no other byte onto a letter).
            if (
              (b | 0x20) === table.fast0 &&
              i + 4 < len &&
              (chunk[i + 1] | 0x20) === table.fast1 &&
              (chunk[i + 2] | 0x20) === table.fast2 &&
              (chunk[i + 3] === SPACE || chunk[i + 3] === TAB)
            ) {
              this.op = table.fastOp;
              i += 4;
              const next = chunk[i];
              if (next === SPACE || next === TAB) {
                this.state = ST_SKIP_SPACE;
              } else {
                this.state = ST_ARG;
                this.argStart = i;
              }
              break;
            }
          }
          const next = b < FANOUT ? table.next[this.node * FANOUT + b] : 0;
          if (next === 0) {
            this.failUnknownOp(chunk, i);
            return;
          }
          i++;
          const op = table.opAt[next];
          if (op === 0) {
            this.node = next;
            break;
          }
          this.op = op;
          this.node = 0;
          const syntax = table.syntax[op];
          this.state = syntax === SYNTAX_NO_ARGS ? ST_SKIP_LINE : syntax === SYNTAX_JSON_ARG ? ST_SKIP_SPACE : ST_NEED_SPACE;
          break;
        }
        case ST_NEED_SPACE: {
          const b = chunk[i];
          if (b !== SPACE && b !== TAB) {
            this.failUnknownOp(chunk, i);
            return;
          }
          i++;
          this.state = ST_SKIP_SPACE;
          break;
        }
        case ST_SKIP_SPACE: {
          let b = chunk[i];
          while (b === SPACE || b === TAB) {
            if (++i === len) return;
            b = chunk[i];
          }
          this.state = ST_ARG;
          this.argStart = i;
          break;
        }
        case ST_ARG: {
          if (this.lineLen === 0) {
            // The line starts in this chunk: find its end and split its arguments in one pass.
            const start = this.argStart;
            const args = this.args;
            const limit = Math.min(len, start + this.maxControlLine + 2);
            let count = 0;
            let tokenStart = -1;
            let j = i;
            for (; j < limit; j++) {
              const b = chunk[j];
              if (b > SPACE) {
                if (tokenStart < 0) tokenStart = j;
              } else if (b === LF) {
                break;
              } else if (b === SPACE || b === TAB) {
                if (tokenStart >= 0) {
                  if (count < MAX_ARGS) {
                    args[count * 2] = tokenStart;
                    args[count * 2 + 1] = j;
                  }
                  count++;
                  tokenStart = -1;
                }
              } else if (tokenStart < 0) {
                tokenStart = j; // other control bytes (CR included) belong to arguments, as in Go
              }
            }
            if (j === len) {
              if (!this.appendPartialLine(chunk, start, len)) return;
              i = len;
              break;
            }
            if (j === limit) {
              // No newline within max_control_line + CRLF: too long, whatever follows.
              const nl = indexOfLf(chunk, j, len);
              const end = nl < 0 ? len : nl > start && chunk[nl - 1] === CR ? nl - 1 : nl;
              this.failMaxControlLine(chunk, start, end, nl < 0 ? end - start : 0);
              return;
            }
            let end = j;
            if (end > start && chunk[end - 1] === CR) end--;
            if (end - start > this.maxControlLine) {
              this.failMaxControlLine(chunk, start, end, 0);
              return;
            }
            if (tokenStart >= 0 && end > tokenStart) {
              if (count < MAX_ARGS) {
                args[count * 2] = tokenStart;
                args[count * 2 + 1] = end;
              }
              count++;
            }
            i = j + 1;
            this.state = ST_OP_NAME;
            this.onControlLine(this.op, chunk, start, end, count);
            break;
          }
          // The rest of a line begun in an earlier chunk.
          const nl = indexOfLf(chunk, i, len);
          if (!this.appendPartialLine(chunk, 0, nl < 0 ? len : nl)) return;
          if (nl < 0) {
            i = len;
            break;
          }
          const buf = this.lineBuf!;
          let end = this.lineLen;
          this.lineLen = 0;
          if (end > 0 && buf[end - 1] === CR) end--;
          if (end > this.maxControlLine) {
            this.failMaxControlLine(buf, 0, end, end);
            return;
          }
          i = nl + 1;
          this.state = ST_OP_NAME;
          this.onControlLine(this.op, buf, 0, end, -1);
          // Keep a small buffer for the next split line; let a big one go (idle connections stay light).
          if (buf.length > KEEP_LINE_BUFFER) this.lineBuf = null;
          break;
        }
        case ST_SKIP_LINE: {
          const nl = indexOfLf(chunk, i, len);
          if (nl < 0) return;
          i = nl + 1;
          this.state = ST_OP_NAME;
          this.onNoArgOp(this.op);
          break;
        }
        case ST_PAYLOAD: {
          const size = this.msgSize;
          if (this.msgParts === null) {
            if (len - i >= size) {
              const payload = chunk.subarray(i, i + size);
              i += size;
              if (len - i >= 2) {
                if (chunk[i] !== CR || chunk[i + 1] !== LF) {
                  this.failUnknownOp(chunk, chunk[i] !== CR ? i : i + 1);
                  return;
                }
                i += 2;
                this.state = ST_OP_NAME;
                this.onMessage(payload);
              } else {
                this.msgReady = payload;
                this.state = ST_PAYLOAD_CR;
              }
              break;
            }
            this.msgParts = [];
            this.msgLen = 0;
          }
          const n = Math.min(size - this.msgLen, len - i);
          if (n > 0) this.msgParts.push(chunk.subarray(i, i + n));
          this.msgLen += n;
          i += n;
          if (this.msgLen === size) {
            this.msgReady = Buffer.concat(this.msgParts, size);
            this.msgParts = null;
            this.state = ST_PAYLOAD_CR;
          }
          break;
        }
        case ST_PAYLOAD_CR:
          if (chunk[i] !== CR) {
            this.failUnknownOp(chunk, i);
            return;
          }
          i++;
          this.state = ST_PAYLOAD_LF;
          break;
        case ST_PAYLOAD_LF: {
          if (chunk[i] !== LF) {
            this.failUnknownOp(chunk, i);
            return;
          }
          i++;
          const payload = this.msgReady!;
          this.msgReady = null;
          this.state = ST_OP_NAME;
          this.onMessage(payload);
          break;
        }
        default:
          return; // ST_DEAD
      }
    }
  }

  /** Called by a subclass from onControlLine: the next `size` bytes plus CRLF are the message. */
  protected expectPayload(size: number): void {
    this.msgSize = size;
    this.state = ST_PAYLOAD;
  }

  /** Reports an error to the handler and ignores all further input. */
  protected fail(err: ProtocolError): void {
    this.stop();
    this.onError(err);
  }

  /**
   * The arguments of `op` are buf[start, end): leading spaces and the trailing CR removed.
   * When argCount is not -1 they are already split on spaces and tabs into `args`
   * (argCount may exceed MAX_ARGS: extra arguments are counted, not stored).
   */
  protected abstract onControlLine(op: number, buf: Buffer, start: number, end: number, argCount: number): void;
  /** PING, PONG or +OK completed. */
  protected abstract onNoArgOp(op: number): void;
  /** The payload announced by the last onControlLine's expectPayload. */
  protected abstract onMessage(payload: Buffer): void;
  protected abstract onError(err: ProtocolError): void;

  private failUnknownOp(buf: Buffer, i: number): void {
    const detail = `parser ERROR, state=${STATE_NAMES[this.state]}, i=${i}: proto='${protoSnippet(i, PROTO_SNIPPET_SIZE, buf)}...'`;
    this.fail(new ProtocolError("unknown_op", ERR_UNKNOWN_PROTOCOL_OPERATION, true, detail));
  }

  /** `bufferLen` is what was held from earlier chunks (Go's "Buffer len", 0 for a whole line). */
  private failMaxControlLine(buf: Uint8Array, start: number, end: number, bufferLen: number): void {
    const arg = buf.subarray(start, end);
    const detail =
      `${ERR_MAX_CONTROL_LINE}: State ${STATE_NAMES[this.state]}, max_control_line ${this.maxControlLine}, ` +
      `Buffer len ${bufferLen} (snip: ${protoSnippet(0, MAX_CONTROL_LINE_SNIPPET_SIZE, arg)}...)`;
    this.fail(new ProtocolError("max_control_line", ERR_MAX_CONTROL_LINE, true, detail));
  }

  /**
   * Keeps chunk[start, end) of a control line that continues in a later chunk.
   * Fails (and returns false) once the line is already longer than max_control_line,
   * so a peer that never sends a newline cannot make us buffer without bound.
   */
  private appendPartialLine(chunk: Buffer, start: number, end: number): boolean {
    const total = this.lineLen + (end - start);
    const last = end > start ? chunk[end - 1] : this.lineLen > 0 ? this.lineBuf![this.lineLen - 1] : 0;
    const trailingCr = last === CR ? 1 : 0;
    if (total - trailingCr > this.maxControlLine) {
      const joined = Buffer.concat([this.lineBuf?.subarray(0, this.lineLen) ?? Buffer.alloc(0), chunk.subarray(start, end)]);
      this.failMaxControlLine(joined, 0, joined.length - trailingCr, joined.length - trailingCr);
      return false;
    }
    if (this.lineBuf === null || this.lineBuf.length < total) {
      const grown = Buffer.allocUnsafe(Math.max(256, total * 2));
      if (this.lineBuf !== null) this.lineBuf.copy(grown, 0, 0, this.lineLen);
      this.lineBuf = grown;
    }
    chunk.copy(this.lineBuf, this.lineLen, start, end);
    this.lineLen = total;
    return true;
  }
}
