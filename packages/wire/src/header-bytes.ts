/**
 * Reading and editing NATS header blocks as bytes, without decoding them: what a server
 * does on the message path (look up Nats-Msg-Id, strip Nats-Expected-* headers, stamp a
 * header on a republished message). Keys are matched exactly (case-sensitive), at the
 * start of a line and followed by ':', like the Go server's sliceHeader/setHeader.
 * Inputs are never modified; every edit returns a new Buffer.
 */
import { checkKey, checkValue } from "./headers.js";

const CR = 0x0d;
const LF = 0x0a;
const COLON = 0x3a;
const SPACE = 0x20;
/** "NATS/1.0\r\n\r\n": a block this short or shorter carries nothing. */
const EMPTY_BLOCK_LENGTH = 12;
const VERSION_LINE = "NATS/1.0\r\n";

/**
 * The value of the first `key` header as a view into `block` (no copy), or undefined.
 * Leading spaces are skipped; the value ends at CRLF.
 * @example sliceHeader(block, "Nats-Msg-Id")?.toString() // "abc"
 */
export function sliceHeader(block: Uint8Array, key: string): Buffer | undefined {
  const buf = asBuffer(block);
  const start = headerKeyIndex(buf, Buffer.from(key));
  if (start < 0) return undefined;
  let i = start + Buffer.byteLength(key) + 1;
  while (i < buf.length && buf[i] === SPACE) i++;
  const valueStart = i;
  while (i < buf.length && !(buf[i] === CR && i + 1 < buf.length && buf[i + 1] === LF)) i++;
  return buf.subarray(valueStart, i);
}

/**
 * The value of the first `key` header as a string, or undefined.
 * @example getHeader(Buffer.from("NATS/1.0\r\nA: 1\r\n\r\n"), "A") // "1"
 */
export function getHeader(block: Uint8Array, key: string): string | undefined {
  return sliceHeader(block, key)?.toString("utf8");
}

/**
 * A copy of `block` with `key: value` added as the last header (Go's genHeader). With no
 * block (or an empty one) a new block is started.
 * @example appendHeader(undefined, "A", "1").toString() // "NATS/1.0\r\nA: 1\r\n\r\n"
 */
export function appendHeader(block: Uint8Array | undefined, key: string, value: string): Buffer {
  checkKeyValue(key, value);
  const head = block && block.length > 2 ? asBuffer(block).subarray(0, block.length - 2) : Buffer.from(VERSION_LINE);
  return Buffer.concat([head, Buffer.from(`${key}: ${value.trim()}\r\n\r\n`)]);
}

/**
 * A copy of `block` where the first `key` header has `value` (Go's setHeader): replaced in
 * place, keeping its position and whether a space followed the colon, or appended when absent.
 * @example setHeader(Buffer.from("NATS/1.0\r\nA: 1\r\n\r\n"), "A", "2").toString() // "NATS/1.0\r\nA: 2\r\n\r\n"
 */
export function setHeader(block: Uint8Array, key: string, value: string): Buffer {
  checkKeyValue(key, value);
  const buf = asBuffer(block);
  const start = headerKeyIndex(buf, Buffer.from(key));
  if (start < 0) return appendHeader(block, key, value);
  let valueStart = start + Buffer.byteLength(key) + 1;
  if (valueStart < buf.length && buf[valueStart] === SPACE) valueStart++;
  const valueEnd = buf.indexOf(CR, valueStart);
  if (valueEnd < 0) return Buffer.from(buf); // malformed: leave it as it is
  return Buffer.concat([buf.subarray(0, valueStart), Buffer.from(value), buf.subarray(valueEnd)]);
}

/**
 * A copy of `block` without any `key` header (Go's removeHeaderIfPresent); undefined when
 * nothing but the version line would remain.
 * @example removeHeader(Buffer.from("NATS/1.0\r\nA: 1\r\nB: 2\r\n\r\n"), "A")?.toString() // "NATS/1.0\r\nB: 2\r\n\r\n"
 */
export function removeHeader(block: Uint8Array, key: string): Buffer | undefined {
  const keyBytes = Buffer.from(key);
  return removeLines(asBuffer(block), (buf) => headerKeyIndex(buf, keyBytes));
}

/**
 * A copy of `block` without the headers whose key starts with `prefix` (Go's
 * removeHeaderIfPrefixPresent); undefined when nothing but the version line would remain.
 * @example removeHeadersWithPrefix(block, "Nats-Expected-")
 */
export function removeHeadersWithPrefix(block: Uint8Array, prefix: string): Buffer | undefined {
  const prefixBytes = Buffer.from(prefix);
  return removeLines(asBuffer(block), (buf) => lineStartIndex(buf, prefixBytes, 0));
}

/**
 * A copy of `block` without the status code and description on its version line (Go's
 * removeHeaderStatusIfPresent); undefined when nothing else remains.
 * @example removeHeaderStatus(Buffer.from("NATS/1.0 503\r\n\r\n")) // undefined
 */
export function removeHeaderStatus(block: Uint8Array): Buffer | undefined {
  const buf = asBuffer(block);
  const versionLength = VERSION_LINE.length - 2;
  const cr = buf.indexOf(CR);
  if (!buf.subarray(0, versionLength).equals(Buffer.from(VERSION_LINE.slice(0, versionLength))) || cr <= versionLength) {
    return Buffer.from(buf);
  }
  const out = Buffer.concat([buf.subarray(0, versionLength), buf.subarray(cr)]);
  return out.length === EMPTY_BLOCK_LENGTH ? undefined : out;
}

/** Removes every line found by `find` (index of a line start, or -1). */
function removeLines(buf: Buffer, find: (buf: Buffer) => number): Buffer | undefined {
  let out = buf;
  for (;;) {
    const start = find(out);
    if (start < 0) return out === buf ? Buffer.from(buf) : out;
    const end = out.indexOf("\r\n", start);
    if (end < 0) return out === buf ? Buffer.from(buf) : out;
    out = Buffer.concat([out.subarray(0, start), out.subarray(end + 2)]);
    if (out.length <= EMPTY_BLOCK_LENGTH) return undefined;
  }
}

/** Start of a line (after CRLF) that begins with `key` followed by ':', or -1. */
function headerKeyIndex(buf: Buffer, key: Buffer): number {
  let from = 0;
  for (;;) {
    const index = lineStartIndex(buf, key, from);
    if (index < 0) return -1;
    if (buf[index + key.length] === COLON) return index;
    from = index + key.length;
  }
}

/** First occurrence of `bytes` at or after `from` that starts a line (preceded by CRLF), or -1. */
function lineStartIndex(buf: Buffer, bytes: Buffer, from: number): number {
  for (;;) {
    const index = buf.indexOf(bytes, from);
    if (index < 0) return -1;
    if (index >= 2 && buf[index - 1] === LF && buf[index - 2] === CR) return index;
    from = index + 1;
  }
}

function asBuffer(block: Uint8Array): Buffer {
  return Buffer.isBuffer(block) ? block : Buffer.from(block.buffer, block.byteOffset, block.byteLength);
}

function checkKeyValue(key: string, value: string): void {
  checkKey(key);
  checkValue(value);
}
