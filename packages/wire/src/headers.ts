/**
 * NATS message header blocks: `NATS/1.0[ code[ description]]\r\nKey: value\r\n...\r\n\r\n`.
 * Keys keep their case and may repeat.
 */
import { ProtocolError } from "./errors.js";

const VERSION_LINE = "NATS/1.0";

/**
 * A NATS header block: an optional status (code and description) plus multi-valued,
 * case-preserving keys.
 *
 * @example
 * ```ts
 * const h = new MsgHeaders();
 * h.append("Nats-Msg-Id", "1");
 * h.append("X-Tag", "a");
 * h.append("X-Tag", "b");
 * h.values("X-Tag"); // ["a", "b"]
 * encodeHeaders(h).toString(); // "NATS/1.0\r\nNats-Msg-Id: 1\r\nX-Tag: a\r\nX-Tag: b\r\n\r\n"
 * ```
 */
export class MsgHeaders implements Iterable<[string, string[]]> {
  private readonly entries = new Map<string, string[]>();

  /**
   * @param status status code on the version line (e.g. 503 for no responders)
   * @param description text after the status code (e.g. "No Messages")
   */
  constructor(
    public status?: number,
    public description?: string,
  ) {}

  /** Number of distinct keys. */
  get size(): number {
    return this.entries.size;
  }

  /** First value of `key`; `ignoreCase` compares keys case-insensitively. */
  get(key: string, ignoreCase = false): string | undefined {
    return this.values(key, ignoreCase)[0];
  }

  /** All values of `key`, in order (a copy; empty when absent). */
  values(key: string, ignoreCase = false): string[] {
    if (!ignoreCase) return [...(this.entries.get(key) ?? [])];
    const lower = key.toLowerCase();
    const out: string[] = [];
    for (const [k, vs] of this.entries) if (k.toLowerCase() === lower) out.push(...vs);
    return out;
  }

  has(key: string, ignoreCase = false): boolean {
    return ignoreCase ? this.values(key, true).length > 0 : this.entries.has(key);
  }

  /** Adds a value to `key`, keeping earlier ones. Values are trimmed, as on the wire. */
  append(key: string, value: string): this {
    checkKey(key);
    checkValue(value);
    value = value.trim();
    const vs = this.entries.get(key);
    if (vs) vs.push(value);
    else this.entries.set(key, [value]);
    return this;
  }

  /** Replaces every value of `key` (exact case) with `value` (trimmed). */
  set(key: string, value: string): this {
    checkKey(key);
    checkValue(value);
    this.entries.set(key, [value.trim()]);
    return this;
  }

  /** Removes `key` (exact case, or every casing with `ignoreCase`). */
  delete(key: string, ignoreCase = false): boolean {
    if (!ignoreCase) return this.entries.delete(key);
    const lower = key.toLowerCase();
    let found = false;
    for (const k of [...this.entries.keys()]) {
      if (k.toLowerCase() === lower) found = this.entries.delete(k) || found;
    }
    return found;
  }

  /** Keys in insertion order, case preserved. */
  keys(): string[] {
    return [...this.entries.keys()];
  }

  [Symbol.iterator](): Iterator<[string, string[]]> {
    return this.entries.entries();
  }
}

/**
 * The wire form of `h`, ready for HPUB/HMSG.
 * @example encodeHeaders(new MsgHeaders(503)).toString() // "NATS/1.0 503\r\n\r\n"
 */
export function encodeHeaders(h: MsgHeaders): Buffer {
  let s = versionLine(h.status, h.description);
  for (const [key, values] of h) {
    for (const v of values) s += `${key}: ${v}\r\n`;
  }
  return Buffer.from(s + "\r\n");
}

/**
 * A header block with only a status line, as servers send for no-responders (503),
 * JetStream flow control (100) and pull request results (404, 408, 409).
 * @example statusHeaders(503).toString() // "NATS/1.0 503\r\n\r\n"
 */
export function statusHeaders(code: number, description?: string): Buffer {
  return Buffer.from(versionLine(code, description) + "\r\n");
}

/**
 * Parses a header block (the first headerSize bytes of an HPUB/HMSG message).
 * Throws a ProtocolError of kind "bad_headers" when it does not start with NATS/1.0,
 * has a bad status code or a line that is not `Key: value`.
 * @example decodeHeaders(Buffer.from("NATS/1.0 503\r\n\r\n")).status // 503
 */
export function decodeHeaders(block: Uint8Array): MsgHeaders {
  const text = Buffer.from(block.buffer, block.byteOffset, block.byteLength).toString("utf8");
  if (!text.startsWith(VERSION_LINE)) throw malformed("missing NATS/1.0 version line", text);
  let lineEnd = text.indexOf("\n");
  if (lineEnd < 0) lineEnd = text.length;
  const h = new MsgHeaders();
  parseStatus(h, stripCr(text.slice(VERSION_LINE.length, lineEnd)), text);
  let pos = lineEnd + 1;
  while (pos < text.length) {
    let end = text.indexOf("\n", pos);
    if (end < 0) end = text.length;
    const line = stripCr(text.slice(pos, end));
    pos = end + 1;
    if (line === "") break; // the blank line that closes the block
    const colon = line.indexOf(":");
    const key = colon > 0 ? line.slice(0, colon) : "";
    // Rejects folded continuation lines and names with spaces, as Go's MIME reader does.
    if (!isValidKey(key)) {
      throw malformed(`malformed header line ${JSON.stringify(line)}`, text);
    }
    h.append(key, line.slice(colon + 1).trim());
  }
  return h;
}

function versionLine(status: number | undefined, description: string | undefined): string {
  if (!status) return `${VERSION_LINE}\r\n`;
  return description ? `${VERSION_LINE} ${status} ${description}\r\n` : `${VERSION_LINE} ${status}\r\n`;
}

function parseStatus(h: MsgHeaders, rest: string, text: string): void {
  if (rest.length === 0) return;
  if (rest[0] !== " " && rest[0] !== "\t") throw malformed("bad version line", text);
  const status = rest.trim();
  if (status === "") return;
  let i = 0;
  while (i < status.length && status.charCodeAt(i) >= 0x30 && status.charCodeAt(i) <= 0x39) i++;
  if (i === 0 || i > 3 || (i < status.length && status[i] !== " " && status[i] !== "\t")) {
    throw malformed(`bad status ${JSON.stringify(status)}`, text);
  }
  h.status = Number(status.slice(0, i));
  const description = status.slice(i).trim();
  if (description) h.description = description;
}

function stripCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}

function isValidKey(key: string): boolean {
  if (key === "") return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c <= 0x20 || c === 0x3a || c === 0x7f) return false;
  }
  return true;
}

/** Throws a TypeError for a key that cannot appear on the wire (empty, whitespace, ':'). */
export function checkKey(key: string): void {
  if (!isValidKey(key)) throw new TypeError(`invalid header key ${JSON.stringify(key)}`);
}

/** Throws a TypeError for a value containing CR or LF. */
export function checkValue(value: string): void {
  if (value.includes("\r") || value.includes("\n")) throw new TypeError("header values cannot contain \\r or \\n");
}

function malformed(reason: string, text: string): ProtocolError {
  return new ProtocolError("bad_headers", `malformed NATS headers: ${reason}`, false, `malformed NATS headers (${reason}): ${JSON.stringify(text.slice(0, 128))}`);
}
