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

/** buf[start, end) as a UTF-8 string, through Node's native slice (skips toString's checks). */
export function utf8(buf: Buffer, start: number, end: number): string {
  return (buf as FastSliceBuffer).utf8Slice(start, end);
}
