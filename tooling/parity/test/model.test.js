import { describe, expect, test } from "vitest";
import { buildModel, summarizeByArea } from "../src/model.js";

/** @param {string} go_file @param {string} go_test @param {string} area */
const go = (go_file, go_test, area = "core") => ({ go_file, go_test, line: 1, kind: "test", area });

// Go names made up for these tests, so they never collide with the real inventory.
const GO_TESTS = [
  go("server/a_test.go", "TestAlphaOnly"),
  go("server/a_test.go", "TestShared"),
  go("test/a_test.go", "TestShared"),
  go("server/b_test.go", "BenchmarkBeta", "bench"),
  go("logger/x_windows_test.go", "TestTwin"),
  go("logger/x_test.go", "TestTwin"),
  go("server/c_test.go", "TestNeverPorted", "storage"),
  go("server/w_test.go", "TestWinOnly", "storage"),
];
const NA = [
  { go_file: "logger/x_windows_test.go", go_test: "TestTwin", reason: "Windows-only" },
  { go_file: "server/w_test.go", go_test: "TestWinOnly", reason: "Windows-only" },
];

/** @param {string} source */
const model = (source) => buildModel(GO_TESTS, NA, [{ path: "packages/x/test/x.test.ts", source }]);
/** @param {ReturnType<typeof model>} m @param {string} file @param {string} name */
const statusOf = (m, file, name) => m.goTests.find((t) => t.go_file === file && t.go_test === name)?.status;

describe("buildModel", () => {
  test("a bare unique name maps its Go test; unnamed Go tests stay unmapped", () => {
    const m = model('test("TestAlphaOnly: works", f); test("plain", f);');
    expect(statusOf(m, "server/a_test.go", "TestAlphaOnly")).toBe("mapped");
    expect(statusOf(m, "server/c_test.go", "TestNeverPorted")).toBe("unmapped");
    expect(m.tsTests).toEqual([
      { id: 1, ts_file: "packages/x/test/x.test.ts", title: "TestAlphaOnly: works", kind: "test", go_file: "server/a_test.go", go_test: "TestAlphaOnly" },
      { id: 2, ts_file: "packages/x/test/x.test.ts", title: "plain", kind: "test", go_file: null, go_test: null },
    ]);
    expect(m.tsFiles).toEqual([{ path: "packages/x/test/x.test.ts", tests: 2 }]);
  });

  test("a bare ambiguous name maps every file defining it, with a note", () => {
    const m = model('test("TestShared", f)');
    expect(statusOf(m, "server/a_test.go", "TestShared")).toBe("mapped");
    expect(statusOf(m, "test/a_test.go", "TestShared")).toBe("mapped");
    expect(m.tsTests.map((t) => t.go_file)).toEqual(["server/a_test.go", "test/a_test.go"]);
    expect(m.tsTests.every((t) => t.id === 1)).toBe(true);
    expect(m.notes.filter((n) => n.go_test === "TestShared")).toHaveLength(2);
  });

  test("a qualified name maps only the named file", () => {
    const m = model('test("test/a_test.go:TestShared: only this one", f)');
    expect(statusOf(m, "test/a_test.go", "TestShared")).toBe("mapped");
    expect(statusOf(m, "server/a_test.go", "TestShared")).toBe("unmapped");
    expect(m.notes.filter((n) => n.go_test === "TestShared")).toEqual([]);
  });

  test("a bare name skips twins listed as not applicable", () => {
    const m = model('test("TestTwin", f)');
    expect(statusOf(m, "logger/x_test.go", "TestTwin")).toBe("mapped");
    expect(statusOf(m, "logger/x_windows_test.go", "TestTwin")).toBe("not_applicable");
    expect(m.warnings).toEqual([]);
  });

  test("a title naming several Go tests maps each; describe titles count too", () => {
    const m = model('describe("BenchmarkBeta and TestAlphaOnly", () => { test("inner", f) })');
    expect(statusOf(m, "server/b_test.go", "BenchmarkBeta")).toBe("mapped");
    expect(statusOf(m, "server/a_test.go", "TestAlphaOnly")).toBe("mapped");
    expect(m.tsFiles[0].tests).toBe(1);
  });

  test("not-applicable tests carry their reason as a note", () => {
    const m = model("");
    expect(statusOf(m, "server/w_test.go", "TestWinOnly")).toBe("not_applicable");
    expect(m.notes).toContainEqual({ go_file: "server/w_test.go", go_test: "TestWinOnly", note: "not applicable: Windows-only" });
  });

  test("a ported test listed as not applicable counts as mapped and is flagged", () => {
    const m = model('test("server/w_test.go:TestWinOnly", f)');
    expect(statusOf(m, "server/w_test.go", "TestWinOnly")).toBe("mapped");
    expect(m.warnings.join("\n")).toMatch(/server\/w_test\.go:TestWinOnly: listed as not applicable/);
  });

  test("unknown Go names and unknown qualified pairs are warned about, not mapped", () => {
    const m = model('test("TestNoSuchThing", f); test("server/c_test.go:TestAlphaOnly", f); test("Testing words", f)');
    expect(m.tsTests.every((t) => t.go_test === null)).toBe(true);
    expect(m.warnings).toEqual([
      "packages/x/test/x.test.ts:1: TestNoSuchThing is not a Go test in go-tests.tsv",
      "packages/x/test/x.test.ts:1: server/c_test.go:TestAlphaOnly is not a Go test in go-tests.tsv",
    ]);
  });

  test("a not-applicable entry missing from the inventory is an error", () => {
    const bad = [{ go_file: "server/a_test.go", go_test: "TestGone", reason: "r" }];
    expect(() => buildModel(GO_TESTS, bad, [])).toThrow(/server\/a_test\.go:TestGone, which is not in go-tests\.tsv/);
  });
});

test("summarizeByArea counts statuses per area and in total", () => {
  const m = model('test("TestAlphaOnly", f)');
  expect(summarizeByArea(m.goTests)).toEqual([
    { area: "bench", mapped: 0, not_applicable: 0, unmapped: 1, total: 1 },
    { area: "core", mapped: 1, not_applicable: 1, unmapped: 3, total: 5 },
    { area: "storage", mapped: 0, not_applicable: 1, unmapped: 1, total: 2 },
    { area: "TOTAL", mapped: 1, not_applicable: 2, unmapped: 5, total: 8 },
  ]);
});
