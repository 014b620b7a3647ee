import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { afterEach, beforeEach, expect, test } from "vitest";
import { runParity } from "../src/run.js";

const MAIN = join(dirname(fileURLToPath(import.meta.url)), "..", "src", "main.js");

/** @type {string} */
let dir;
/** @type {string} */
let root;
/** @type {string} */
let shared;

/** @param {string} rel @param {string} text */
function put(rel, text) {
  const path = join(dir, rel);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
}

// A fixture repository beside a fixture shared/ folder, like /work/main and /work/shared.
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "parity-"));
  root = join(dir, "repo");
  shared = join(dir, "shared");
  put(
    "shared/ref/go-tests.tsv",
    "go_file\tgo_test\tline\tkind\tarea\n" +
      "server/a_test.go\tTestFixtureOne\t10\ttest\tcore\n" +
      "server/a_test.go\tTestFixtureTwo\t20\ttest\tcore\n" +
      "server/b_test.go\tBenchmarkFixture\t5\tbenchmark\tbench\n" +
      "server/w_test.go\tTestFixtureWin\t7\ttest\ttls\n",
  );
  put("repo/tooling/parity/not-applicable.tsv", "go_file\tgo_test\treason\nserver/w_test.go\tTestFixtureWin\tWindows-only\n");
  put("repo/packages/one/test/a.test.ts", 'test("TestFixtureOne: round trip", () => {});\nit("no go name", () => {});\n');
  put("repo/apps/srv/test/deep/b.test.ts", "describe(`BenchmarkFixture`, () => {});\n");
  put("repo/tooling/thing/test/c.test.js", 'test.skip("TestFixtureTwo", () => {});\n');
  put("repo/packages/one/test/helper.ts", 'test("TestFixtureTwo", () => {});\n'); // not a *.test.* file
  put("repo/packages/one/src/x.test.ts", 'test("TestFixtureTwo", () => {});\n'); // not under test/
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** @param {boolean} [check] */
function run(check = false) {
  /** @type {string[]} */
  const out = [];
  const code = runParity({ root, sharedDir: shared, check, log: (l) => out.push(l), warn: (l) => out.push(l) });
  return { code, out: out.join("\n") };
}

test("writes every table from the fixture inputs and prints the per-area table", () => {
  const { code, out } = run();
  expect(code).toBe(0);
  expect(out).toMatch(/^core\s+1\s+0\s+1\s+2\s+50\.0%$/m);
  expect(out).toMatch(/^TOTAL\s+2\s+1\s+1\s+4\s+75\.0%$/m);
  const db = new Database(join(root, "test_parity.db"), { readonly: true });
  try {
    expect(db.prepare("SELECT go_test, status FROM go_tests ORDER BY go_test").all()).toEqual([
      { go_test: "BenchmarkFixture", status: "mapped" },
      { go_test: "TestFixtureOne", status: "mapped" },
      { go_test: "TestFixtureTwo", status: "unmapped" },
      { go_test: "TestFixtureWin", status: "not_applicable" },
    ]);
    expect(db.prepare("SELECT path, tests FROM ts_file").all()).toEqual([
      { path: "apps/srv/test/deep/b.test.ts", tests: 0 },
      { path: "packages/one/test/a.test.ts", tests: 2 },
      { path: "tooling/thing/test/c.test.js", tests: 0 },
    ]);
    expect(db.prepare("SELECT id, ts_file, go_test FROM ts_test ORDER BY id").all()).toEqual([
      { id: 1, ts_file: "apps/srv/test/deep/b.test.ts", go_test: "BenchmarkFixture" },
      { id: 2, ts_file: "packages/one/test/a.test.ts", go_test: "TestFixtureOne" },
      { id: 3, ts_file: "packages/one/test/a.test.ts", go_test: null },
    ]);
    expect(db.prepare("SELECT * FROM notes").all()).toEqual([
      { go_file: "server/w_test.go", go_test: "TestFixtureWin", note: "not applicable: Windows-only" },
    ]);
  } finally {
    db.close();
  }
});

test("the same inputs give a byte-identical file", () => {
  run();
  const first = readFileSync(join(root, "test_parity.db"));
  run();
  expect(readFileSync(join(root, "test_parity.db")).equals(first)).toBe(true);
});

test("check passes on a current database and fails once a test file changes", () => {
  expect(run(true)).toMatchObject({ code: 1, out: expect.stringMatching(/stale: run pnpm parity[\s\S]*does not exist/) });
  run();
  expect(run(true).code).toBe(0);
  put("repo/packages/one/test/a.test.ts", 'test("TestFixtureOne: round trip", () => {});\ntest("TestFixtureTwo", () => {});\n');
  const stale = run(true);
  expect(stale.code).toBe(1);
  expect(stale.out).toContain("test_parity.db is stale: run pnpm parity");
  expect(stale.out).toMatch(/go_tests differs/);
  run();
  expect(run(true).code).toBe(0);
});

test("check ignores edits that only move tests", () => {
  run();
  put("repo/packages/one/test/a.test.ts", '\n\n// moved\ntest("TestFixtureOne: round trip", () => {});\n\nit("no go name", () => {});\n');
  expect(run(true).code).toBe(0);
});

test("check reports a database that is not SQLite as stale", () => {
  run();
  writeFileSync(join(root, "test_parity.db"), "not a database");
  const r = run(true);
  expect(r.code).toBe(1);
  expect(r.out).toMatch(/cannot be read/);
});

test("the CLI reads the shared folder from NATS_TS_SHARED_DIR and exits 1 when stale", () => {
  const env = { ...process.env, NATS_TS_SHARED_DIR: shared };
  const written = execFileSync(process.execPath, [MAIN, "--root", root], { env, encoding: "utf8" });
  expect(written).toMatch(/TOTAL\s+2\s+1\s+1\s+4/);
  expect(spawnSync(process.execPath, [MAIN, "--root", root, "--check"], { env }).status).toBe(0);
  put("repo/packages/one/test/new.test.ts", 'test("TestFixtureTwo", () => {});\n');
  const stale = spawnSync(process.execPath, [MAIN, "--root", root, "--check"], { env, encoding: "utf8" });
  expect(stale.status).toBe(1);
  expect(stale.stderr).toContain("test_parity.db is stale: run pnpm parity");
});

test("the CLI exits 2 with a readable message when an input is missing", () => {
  const env = { ...process.env, NATS_TS_SHARED_DIR: join(dir, "nowhere") };
  const r = spawnSync(process.execPath, [MAIN, "--root", root], { env, encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/^parity: .*go-tests\.tsv/);
});
