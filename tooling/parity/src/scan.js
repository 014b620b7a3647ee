// Finds the workspace's test files: packages/*/test/**, apps/*/test/** and any test/
// folder under tooling/, keeping files named *.test.{ts,js,...}.
import { readdirSync } from "node:fs";
import { join } from "node:path";

const TEST_FILE = /\.test\.(?:[cm]?[jt]s|[jt]sx)$/;
const SKIPPED_DIRS = new Set(["node_modules", "dist", ".turbo", ".git"]);

/**
 * Lists test files under `root`, as sorted repo-relative POSIX paths.
 * @example
 * findTestFiles("/work/main") // -> ["apps/server/test/cli.test.ts", "packages/core/test/...", ...]
 * @param {string} root
 * @returns {string[]}
 */
export function findTestFiles(root) {
  /** @type {string[]} */
  const files = [];
  for (const group of ["packages", "apps"]) {
    for (const pkg of subdirs(root, group)) walk(root, `${group}/${pkg}/test`, files);
  }
  for (const dir of testDirsUnder(root, "tooling")) walk(root, dir, files);
  return [...new Set(files)].sort();
}

/**
 * @param {string} root
 * @param {string} rel
 * @returns {string[]}
 */
function subdirs(root, rel) {
  try {
    return readdirSync(join(root, rel), { withFileTypes: true })
      .filter((e) => e.isDirectory() && !SKIPPED_DIRS.has(e.name))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * Every folder named `test` below `rel` (not below another test folder: walk covers those).
 * @param {string} root
 * @param {string} rel
 * @returns {string[]}
 */
function testDirsUnder(root, rel) {
  /** @type {string[]} */
  const out = [];
  for (const name of subdirs(root, rel)) {
    const child = `${rel}/${name}`;
    if (name === "test") out.push(child);
    else out.push(...testDirsUnder(root, child));
  }
  return out;
}

/**
 * @param {string} root
 * @param {string} rel
 * @param {string[]} files
 */
function walk(root, rel, files) {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const child = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIPPED_DIRS.has(e.name)) walk(root, child, files);
    } else if (e.isFile() && TEST_FILE.test(e.name)) {
      files.push(child);
    }
  }
}
