import { describe, expect, test } from "vitest";
import { extractTitles } from "../src/titles.js";

const titles = (/** @type {string} */ src) => extractTitles(src).map((b) => b.title);

describe("extractTitles", () => {
  test("finds test, it, describe and suite titles with their kind and line", () => {
    const src = [
      'describe("group", () => {',
      "  test('first', () => {});",
      '  it("second", () => {});',
      "});",
      "suite(`third`, () => {});",
    ].join("\n");
    expect(extractTitles(src)).toEqual([
      { kind: "describe", title: "group", line: 1 },
      { kind: "test", title: "first", line: 2 },
      { kind: "test", title: "second", line: 3 },
      { kind: "describe", title: "third", line: 5 },
    ]);
  });

  test("keeps template substitutions verbatim and resolves escapes in quoted strings", () => {
    expect(titles("test(`GoName ${n} msgs`, f)")).toEqual(["GoName ${n} msgs"]);
    expect(titles("test(`a ${fn({ x: `b` })} c`, f)")).toEqual(["a ${fn({ x: `b` })} c"]);
    expect(titles(String.raw`test("it\"s \\ fine\n", f)`)).toEqual(['it"s \\ fine\n']);
  });

  test("follows modifiers, including ones that take their own arguments", () => {
    const src = [
      'test.only("a", f)',
      'it.concurrent("b", f)',
      'test.each([[1, "x)"], [2, ")"]])("c %s", f)',
      'describe.skipIf(process.platform === "win32")("d", f)',
      "test.runIf(ok).concurrent(`e`, f)",
    ].join("\n");
    expect(titles(src)).toEqual(["a", "b", "c %s", "d", "e"]);
  });

  test("ignores skipped and todo blocks, which check nothing", () => {
    expect(titles('test.skip("a", f); it.todo("b"); describe.skip("c", f); test("d", f)')).toEqual(["d"]);
  });

  test("ignores comments, strings, regex literals and member calls that only look like tests", () => {
    const src = [
      '// test("commented", f)',
      '/* it("block comment", f) */',
      'const fixture = `test("inside a template", f)`;',
      "const q = 'describe(\"inside quotes\")';",
      'const re = /test\\("regex"/;',
      'obj.test("member call");',
      'mytest("other function");',
      "test(name, f);",
      'test("real", f);',
    ].join("\n");
    expect(titles(src)).toEqual(["real"]);
  });

  test("survives unterminated input without throwing", () => {
    for (const src of ['test("open', "test(`open ${", "/* open", "test.each([1, 2", "test(", "/["]) {
      expect(() => extractTitles(src)).not.toThrow();
    }
  });
});
