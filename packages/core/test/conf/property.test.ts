// Property tests: random config trees written in the conf syntax (with every
// separator and quoting style) parse back to the same values, and random input
// never fails with anything but a ConfError.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, expect, test } from "vitest";
import { ConfError, type ConfMap, type ConfValue, parseConf } from "../../src/conf/index.js";

/** How to write one tree: chosen per node by the generator. */
interface Style {
  separator: ": " | " = " | " " | ":" | "=";
  quote: '"' | "'" | "";
  listBreak: "\n" | ", " | ",";
  comment: boolean;
}

type Tree = { kind: "map"; entries: [string, Node][] } | { kind: "list"; items: Node[] };
type Leaf =
  | { kind: "string"; value: string }
  | { kind: "integer"; value: number }
  | { kind: "decimal"; text: string }
  | { kind: "bool"; word: string };
type Node = (Tree | Leaf) & { style: Style };

const style: fc.Arbitrary<Style> = fc.record({
  separator: fc.constantFrom(": ", " = ", " ", ":", "=") as fc.Arbitrary<Style["separator"]>,
  quote: fc.constantFrom('"', "'", "") as fc.Arbitrary<Style["quote"]>,
  listBreak: fc.constantFrom("\n", ", ", ",") as fc.Arbitrary<Style["listBreak"]>,
  comment: fc.boolean(),
});

// Keys the lexer reads as a key in every position; `include` would be a directive.
const key = fc
  .stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,11}$/)
  .filter((k) => k.toLowerCase() !== "include");

const text = fc.oneof(fc.string({ unit: "grapheme", maxLength: 12 }), fc.string({ unit: "binary-ascii", maxLength: 12 }));

const leaf: fc.Arbitrary<Leaf> = fc.oneof(
  text.map((value) => ({ kind: "string" as const, value })),
  fc.maxSafeInteger().map((value) => ({ kind: "integer" as const, value })),
  fc
    .tuple(fc.boolean(), fc.nat(1_000_000_000), fc.stringMatching(/^[0-9]{1,6}$/))
    .map(([negative, whole, fraction]) => ({ kind: "decimal" as const, text: `${negative ? "-" : ""}${whole}.${fraction}` })),
  fc
    .constantFrom("true", "false", "yes", "no", "on", "off", "TRUE", "Off", "Yes")
    .map((word) => ({ kind: "bool" as const, word })),
);

const { node } = fc.letrec<{ node: Node; tree: Tree }>((tie) => ({
  node: fc
    .tuple(fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("tree")), style)
    .map(([n, s]) => ({ ...n, style: s })),
  tree: fc.oneof(
    fc.uniqueArray(fc.tuple(key, tie("node")), { maxLength: 5, selector: ([k]) => k }).map((entries) => ({
      kind: "map" as const,
      entries,
    })),
    fc.array(tie("node"), { maxLength: 5 }).map((items) => ({ kind: "list" as const, items })),
  ),
}));

/** Double-quoted with Go's escapes; control characters as \xHH (a raw NUL would end the input). */
function doubleQuoted(value: string): string {
  const escaped = value.replace(/[\\"\n\r\t]|[\u0000-\u001f\u007f]/g, (c) => {
    const named: Record<string, string> = { "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t" };
    return named[c] ?? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
  });
  return `"${escaped}"`;
}

function writeValue(n: Node, indent: string): string {
  switch (n.kind) {
    case "string":
      // Single quotes take the text verbatim, so they only fit text without quotes or NULs.
      return n.style.quote === "'" && !/['\0]/.test(n.value) ? `'${n.value}'` : doubleQuoted(n.value);
    case "integer":
      return String(n.value);
    case "decimal":
      return n.text;
    case "bool":
      return n.word;
    case "list": {
      // A number directly before `]` lexes as text in Go's syntax: always leave a space.
      const inner = indent + "  ";
      const items = n.items.map((item) => writeValue(item, inner));
      return n.style.listBreak === "\n"
        ? `[\n${items.map((i) => `${inner}${i}\n`).join("")}${indent}]`
        : `[ ${items.join(n.style.listBreak)} ]`;
    }
    case "map":
      return `{\n${writeEntries(n.entries, indent + "  ")}${indent}}`;
  }
}

function writeEntries(entries: [string, Node][], indent: string): string {
  return entries
    .map(([k, v]) => {
      const name = v.style.quote === "" ? k : `${v.style.quote}${k}${v.style.quote}`;
      const comment = v.style.comment ? " # note" : "";
      return `${indent}${name}${v.style.separator}${writeValue(v, indent)}${comment}\n`;
    })
    .join("");
}

function expected(n: Node): ConfValue {
  switch (n.kind) {
    case "string":
      return n.value;
    case "integer":
      return n.value;
    case "decimal":
      return Number(n.text);
    case "bool":
      return /^(true|yes|on)$/i.test(n.word);
    case "list":
      return n.items.map(expected);
    case "map":
      return Object.fromEntries(n.entries.map(([k, v]) => [k, expected(v)]));
  }
}

test("random config trees written in conf syntax parse back to the same values", () => {
  const top = fc.uniqueArray(fc.tuple(key, node), { maxLength: 6, selector: ([k]) => k });
  fc.assert(
    fc.property(top, (entries) => {
      const source = writeEntries(entries, "");
      const want: ConfMap = Object.fromEntries(entries.map(([k, v]) => [k, expected(v)]));
      expect(parseConf(source, { env: {} })).toEqual(want);
    }),
    { numRuns: 300 },
  );
});

const includeDir = mkdtempSync(join(tmpdir(), "nats-conf-garbage-"));
afterAll(() => rmSync(includeDir, { recursive: true, force: true }));

const fragment = fc.constantFrom(
  "{", "}", "[", "]", "(", ")\n", "=", ":", ",", ";", " ", "\t", "\n", "\r\n", "#", "//", "/", "'", '"', "\\",
  "\\x", "\\xZ", "\\x41", "$", "$a", "$b", "$2a$", "include ", "include", "1", "-", ".", "1.5", "1k", "2MB", "1kbi",
  "2016-05-04T18:53:41Z", "2016-", "127.0.0.1:4222", "true", "a", "key", "\0", "é", "\u{1F600}", "\ud800",
);
const garbage = fc.oneof(
  fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join("")),
  fc.string({ unit: "binary", maxLength: 60 }),
  fc.string({ unit: "grapheme-ascii", maxLength: 60 }),
);

test("random input parses or fails with a ConfError, never anything else", () => {
  fc.assert(
    fc.property(garbage, (input) => {
      try {
        const conf = parseConf(input, { file: join(includeDir, "garbage.conf"), env: { a: "1", b: "$b" } });
        expect(typeof conf).toBe("object");
      } catch (err) {
        if (!(err instanceof ConfError)) throw err;
        expect(err.message).toContain(`${err.line}:${err.column}: `);
      }
    }),
    { numRuns: 2000 },
  );
});
