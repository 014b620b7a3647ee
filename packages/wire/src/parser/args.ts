/** Helpers that read control-line arguments straight from bytes. */

const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;

/** Largest number of arguments any operation takes (HMSG subject sid reply hdr total). */
export const MAX_ARGS = 5;

/**
 * Splits buf[start, end) on spaces and tabs (and CR/LF when `crlfIsSpace`, like Go's
 * `splitArg` for SUB/UNSUB) into `bounds` as start/end pairs. Returns the argument count,
 * which may exceed MAX_ARGS (the extra arguments are counted, not stored).
 */
export function splitArgs(buf: Uint8Array, start: number, end: number, bounds: Int32Array, crlfIsSpace: boolean): number {
  let count = 0;
  let tokenStart = -1;
  for (let i = start; i < end; i++) {
    const b = buf[i];
    const isSpace = b === SPACE || b === TAB || (crlfIsSpace && (b === CR || b === LF));
    if (isSpace) {
      if (tokenStart >= 0) {
        if (count < MAX_ARGS) {
          bounds[count * 2] = tokenStart;
          bounds[count * 2 + 1] = i;
        }
        count++;
        tokenStart = -1;
      }
    } else if (tokenStart < 0) {
      tokenStart = i;
    }
  }
  if (tokenStart >= 0) {
    if (count < MAX_ARGS) {
      bounds[count * 2] = tokenStart;
      bounds[count * 2 + 1] = end;
    }
    count++;
  }
  return count;
}

/**
 * Go's `parseSize`: 1 to 9 decimal digits, anything else (sign, letters, overflow) is -1.
 */
export function parseSize(buf: Uint8Array, start: number, end: number): number {
  const len = end - start;
  if (len === 0 || len > 9) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

type FastSliceBuffer = Buffer & { utf8Slice(start: number, end: number): string };

/**
 * Tokens up to this length are decoded in JS: for short strings that beats a call into
 * native code, and V8 still builds them flat (cons strings start at 13 characters).
 */
const SHORT_TOKEN = 12;

/** buf[start, end) as a UTF-8 string. */
export function utf8(buf: Buffer, start: number, end: number): string {
  if (end - start <= SHORT_TOKEN) {
    let bits = 0;
    for (let i = start; i < end; i++) bits |= buf[i];
    if (bits < 0x80) {
      let s = "";
      let i = start;
      for (; i + 4 <= end; i += 4) s += String.fromCharCode(buf[i], buf[i + 1], buf[i + 2], buf[i + 3]);
      for (; i < end; i++) s += String.fromCharCode(buf[i]);
      return s;
    }
  }
  return (buf as FastSliceBuffer).utf8Slice(start, end);
}

/** Longest token remembered by TokenCache. */
const CACHE_CAPACITY = 64;

/**
 * Remembers the last token decoded at one argument position (a publisher's subject, a
 * subscription's sid) so a repeat costs a byte comparison instead of a new string.
 */
export class TokenCache {
  private bytes: Buffer | null = null;
  private length = -1;
  private text = "";

  decode(buf: Buffer, start: number, end: number): string {
    const len = end - start;
    if (len === this.length) {
      const bytes = this.bytes!;
      let i = 0;
      while (i < len && bytes[i] === buf[start + i]) i++;
      if (i === len) return this.text;
    }
    const text = utf8(buf, start, end);
    if (len <= CACHE_CAPACITY) {
      this.bytes ??= Buffer.allocUnsafe(CACHE_CAPACITY);
      buf.copy(this.bytes, 0, start, end);
      this.length = len;
      this.text = text;
    }
    return text;
  }
}

/** Short lines are scanned in JS; long ones go to the native search. */
const JS_SCAN_LIMIT = 96;

/** Index of the first LF in buf[from, end), or -1. */
export function indexOfLf(buf: Buffer, from: number, end: number): number {
  const stop = Math.min(end, from + JS_SCAN_LIMIT);
  for (let i = from; i < stop; i++) if (buf[i] === 0x0a) return i;
  if (stop === end) return -1;
  const nl = buf.indexOf(0x0a, stop);
  return nl < end ? nl : -1;
}
