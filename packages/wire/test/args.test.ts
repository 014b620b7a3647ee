import { describe, expect, test } from "vitest";
import { MAX_ARGS, TokenCache, indexOfLf, parseSize, splitArgs, utf8 } from "../src/parser/args.js";

const bytes = (s: string): Buffer => Buffer.from(s, "utf8");

describe("argument helpers", () => {
  test("TestParseSize: decimal digits only, -1 otherwise", () => {
    expect(parseSize(bytes(""), 0, 0)).toBe(-1);
    expect(parseSize(bytes("12345678"), 0, 8)).toBe(12345678);
    expect(parseSize(bytes("12345invalid678"), 0, 15)).toBe(-1);
  });

  test("parseSize takes at most 9 digits (Go's overflow guard)", () => {
    expect(parseSize(bytes("999999999"), 0, 9)).toBe(999999999);
    expect(parseSize(bytes("1000000000"), 0, 10)).toBe(-1);
    expect(parseSize(bytes("-1"), 0, 2)).toBe(-1);
    expect(parseSize(bytes("+1"), 0, 2)).toBe(-1);
    expect(parseSize(bytes("x42y"), 1, 3)).toBe(42);
  });

  test("splitArgs: runs of spaces and tabs separate; CR/LF only when asked", () => {
    const bounds = new Int32Array(MAX_ARGS * 2);
    const line = bytes("  a\t\tbb c\rd  ");
    const n = splitArgs(line, 0, line.length, bounds, false);
    expect(n).toBe(3);
    expect([...bounds.subarray(0, 6)].map((v, k, a) => (k % 2 === 0 ? line.toString("latin1", v, a[k + 1]) : null)).filter((x) => x !== null)).toEqual(["a", "bb", "c\rd"]);
    expect(splitArgs(line, 0, line.length, bounds, true)).toBe(4);
    expect(splitArgs(bytes("   "), 0, 3, bounds, false)).toBe(0);
  });

  test("splitArgs counts arguments beyond what it stores", () => {
    const bounds = new Int32Array(MAX_ARGS * 2);
    const line = bytes("a b c d e f g");
    expect(splitArgs(line, 0, line.length, bounds, false)).toBe(7);
    expect(line.toString("latin1", bounds[8], bounds[9])).toBe("e");
  });

  test("utf8 decodes short ASCII, short non-ASCII and long tokens alike", () => {
    for (const s of ["", "a", "abcd", "abcde", "abcdefghijkl", "abcdefghijklm", "é", "abcé", "✓✓✓✓", "_INBOX.abcdefghijklmnop.123"]) {
      const b = Buffer.concat([bytes("xx"), bytes(s), bytes("yy")]);
      expect(utf8(b, 2, b.length - 2)).toBe(s);
    }
  });

  test("TokenCache returns the remembered string only for identical bytes", () => {
    const cache = new TokenCache();
    const a = bytes("foo.bar foo.baz foo.bar " + "x".repeat(80));
    const first = cache.decode(a, 0, 7);
    expect(first).toBe("foo.bar");
    expect(cache.decode(a, 16, 23)).toBe("foo.bar");
    expect(cache.decode(a, 8, 15)).toBe("foo.baz");
    expect(cache.decode(a, 0, 7)).toBe("foo.bar");
    expect(cache.decode(a, 24, 104)).toBe("x".repeat(80)); // too long to remember
    expect(cache.decode(a, 0, 7)).toBe("foo.bar");
  });

  test("indexOfLf finds the newline in short and long lines", () => {
    expect(indexOfLf(bytes("abc\ndef"), 0, 7)).toBe(3);
    expect(indexOfLf(bytes("abc\ndef"), 4, 7)).toBe(-1);
    const long = Buffer.concat([Buffer.alloc(500, "a"), bytes("\n")]);
    expect(indexOfLf(long, 0, long.length)).toBe(500);
    expect(indexOfLf(long, 0, 500)).toBe(-1);
  });
});
