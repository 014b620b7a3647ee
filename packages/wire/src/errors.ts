/**
 * Protocol errors reported by the parsers, with the Go server's exact texts.
 *
 * Go answers some parse failures with `-ERR '<text>'` before closing the connection
 * (unknown operation, control line too long, payload too big) and closes silently on
 * others after logging them (malformed PUB/SUB/UNSUB arguments, bad CONNECT JSON).
 * `clientVisible` tells which is which, so a server can do the same.
 */

/** What went wrong; `message` carries the matching Go text. */
export type ProtocolErrorKind =
  /** Not a known operation for this direction (Go: "Unknown Protocol Operation"). */
  | "unknown_op"
  /** Control line longer than max_control_line (Go: "maximum control line exceeded"). */
  | "max_control_line"
  /** PUB/HPUB size above max_payload (Go: "Maximum Payload Violation"). */
  | "max_payload"
  /** Wrong number of arguments or a bad size (Go logs e.g. `processPub Parse Error: "foo"`). */
  | "bad_args"
  /** CONNECT or INFO argument that is not a JSON object. */
  | "bad_json"
  /** An operation other than CONNECT while `requireConnect` is set (Go: "Authorization Violation"). */
  | "auth_violation"
  /** A malformed NATS header block (thrown by `decodeHeaders`). */
  | "bad_headers";

/** Go's `-ERR` texts, verbatim (server/parser.go, server/client.go, server/errors.go). */
export const ERR_UNKNOWN_PROTOCOL_OPERATION = "Unknown Protocol Operation";
export const ERR_MAX_CONTROL_LINE = "maximum control line exceeded";
export const ERR_MAX_PAYLOAD_VIOLATION = "Maximum Payload Violation";
export const ERR_AUTHORIZATION_VIOLATION = "Authorization Violation";
/** Go's log text for a payload over the limit (`ErrMaxPayload`). */
export const ERR_MAX_PAYLOAD_LOG = "maximum payload exceeded";

/**
 * A protocol error detected while parsing.
 *
 * @example
 * ```ts
 * onProtocolError(err) {
 *   if (err.clientVisible) conn.write(encodeErr(err.message)); // -ERR 'Unknown Protocol Operation'
 *   log.error(err.detail);
 *   conn.close();
 * }
 * ```
 */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";
  /**
   * @param kind what went wrong
   * @param message the text Go sends as `-ERR '<message>'` when `clientVisible`, otherwise
   *   the text Go logs before closing the connection
   * @param clientVisible whether Go sends `-ERR '<message>'` to the peer
   * @param detail Go-style log line with context (state, limits, a snippet of the input);
   *   for unknown_op it reads `parser ERROR, state=..., i=...: proto='...'`, which Go logs
   *   prefixed with the connection kind (`Client parser ERROR, ...`)
   */
  constructor(
    readonly kind: ProtocolErrorKind,
    message: string,
    readonly clientVisible: boolean,
    readonly detail: string = message,
  ) {
    super(message);
  }
}

/** Go's `PROTO_SNIPPET_SIZE`. */
export const PROTO_SNIPPET_SIZE = 32;
/** Go's `MAX_CONTROL_LINE_SNIPPET_SIZE`. */
export const MAX_CONTROL_LINE_SNIPPET_SIZE = 128;

/**
 * Quotes bytes like Go's `%q`: printable ASCII as is, the usual escapes, other bytes
 * as `\xNN` (valid UTF-8 sequences are decoded and kept when printable).
 */
export function goQuote(buf: Uint8Array, start = 0, end = buf.length): string {
  let out = '"';
  let i = start;
  while (i < end) {
    const b = buf[i];
    if (b < 0x80) {
      out += quoteAscii(b);
      i++;
      continue;
    }
    const [cp, len] = decodeUtf8(buf, i, end);
    if (cp < 0 || !isPrintableRune(cp)) {
      out += cp < 0 ? `\\x${hex2(b)}` : escapeRune(cp);
      i += cp < 0 ? 1 : len;
    } else {
      out += String.fromCodePoint(cp);
      i += len;
    }
  }
  return out + '"';
}

/**
 * A quoted snippet of `buf` starting at `start`, like Go's `protoSnippet`:
 * at most `max` bytes, and when the window runs past the end it stops one byte short
 * of the end (Go's exact behaviour, kept for identical log lines).
 */
export function protoSnippet(start: number, max: number, buf: Uint8Array): string {
  let stop = start + max;
  if (start >= buf.length) return '""';
  if (stop > buf.length) stop = buf.length - 1;
  return goQuote(buf, start, stop);
}

function quoteAscii(b: number): string {
  switch (b) {
    case 0x07: return "\\a";
    case 0x08: return "\\b";
    case 0x0c: return "\\f";
    case 0x0a: return "\\n";
    case 0x0d: return "\\r";
    case 0x09: return "\\t";
    case 0x0b: return "\\v";
    case 0x22: return '\\"';
    case 0x5c: return "\\\\";
  }
  return b < 0x20 || b === 0x7f ? `\\x${hex2(b)}` : String.fromCharCode(b);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

function escapeRune(cp: number): string {
  return cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, "0")}` : `\\U${cp.toString(16).padStart(8, "0")}`;
}

function isPrintableRune(cp: number): boolean {
  // C1 controls, surrogates, BOM and non-characters are escaped by Go's strconv.Quote.
  if (cp < 0xa0 || cp === 0xad || cp === 0xfeff) return false;
  return !(cp >= 0xfff9 && cp <= 0xfffb) && (cp & 0xfffe) !== 0xfffe;
}

/** Decodes one UTF-8 sequence; returns [-1, 1] when invalid. */
function decodeUtf8(buf: Uint8Array, i: number, end: number): [number, number] {
  const b0 = buf[i];
  let need: number;
  let cp: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) [need, cp] = [1, b0 & 0x1f];
  else if (b0 >= 0xe0 && b0 <= 0xef) [need, cp] = [2, b0 & 0x0f];
  else if (b0 >= 0xf0 && b0 <= 0xf4) [need, cp] = [3, b0 & 0x07];
  else return [-1, 1];
  if (i + need >= end) return [-1, 1];
  for (let k = 1; k <= need; k++) {
    const c = buf[i + k];
    if ((c & 0xc0) !== 0x80) return [-1, 1];
    cp = (cp << 6) | (c & 0x3f);
  }
  const min = need === 1 ? 0x80 : need === 2 ? 0x800 : 0x10000;
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return [-1, 1];
  return [cp, need + 1];
}
