// One parity run: read the inputs, build the model, then write or check test_parity.db.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { diffParityDb, writeParityDb } from "./db.js";
import { buildModel } from "./model.js";
import { formatAreaTable } from "./report.js";
import { findTestFiles } from "./scan.js";
import { readGoTests, readNotApplicable } from "./tsv.js";

/**
 * @typedef {object} ParityOptions
 * @property {string} root        repository root (holds test_parity.db)
 * @property {string} sharedDir   folder holding ref/go-tests.tsv
 * @property {boolean} [check]    compare instead of write
 * @property {(line: string) => void} [log]
 * @property {(line: string) => void} [warn]
 */

const MAX_WARNINGS_SHOWN = 20;

/**
 * Rebuilds test_parity.db (or, with `check`, verifies it is current).
 * @example
 * const exitCode = runParity({ root: "/work/main", sharedDir: "/work/shared", check: true });
 * @param {ParityOptions} options
 * @returns {number} process exit code: 0 ok, 1 stale database
 */
export function runParity({ root, sharedDir, check = false, log = console.log, warn = console.error }) {
  const goTests = readGoTests(join(sharedDir, "ref", "go-tests.tsv"));
  const notApplicable = readNotApplicable(join(root, "tooling", "parity", "not-applicable.tsv"));
  const files = findTestFiles(root).map((path) => ({ path, source: readFileSync(join(root, path), "utf8") }));
  const model = buildModel(goTests, notApplicable, files);
  const dbPath = join(root, "test_parity.db");

  for (const w of model.warnings.slice(0, MAX_WARNINGS_SHOWN)) warn(`warning: ${w}`);
  if (model.warnings.length > MAX_WARNINGS_SHOWN) {
    warn(`warning: ... and ${model.warnings.length - MAX_WARNINGS_SHOWN} more`);
  }

  if (check) {
    const diffs = diffParityDb(dbPath, model);
    if (diffs.length > 0) {
      warn("test_parity.db is stale: run pnpm parity");
      for (const d of diffs) warn(`  ${d}`);
      return 1;
    }
    log(`test_parity.db is up to date (${files.length} test files, ${model.tsTests.length} ts_test rows)`);
    return 0;
  }

  writeParityDb(dbPath, model);
  log(formatAreaTable(model.goTests));
  log(`\nwrote test_parity.db: ${files.length} test files, ${model.tsTests.length} ts_test rows`);
  return 0;
}
