// Reads the two tab-separated inputs: the Go test inventory and the not-applicable list.
import { readFileSync } from "node:fs";

/**
 * @typedef {object} GoTest
 * @property {string} go_file
 * @property {string} go_test
 * @property {number} line
 * @property {string} kind
 * @property {string} area
 */

/**
 * @typedef {object} NotApplicable
 * @property {string} go_file
 * @property {string} go_test
 * @property {string} reason
 */

/**
 * Parses a TSV file whose first line names the columns; checks that `columns` are present.
 * Blank lines and lines starting with `#` are ignored.
 * @param {string} path
 * @param {string[]} columns
 * @returns {{ where: string, cells: Record<string, string> }[]}  where = "file:line"
 */
export function readTsv(path, columns) {
  const lines = readFileSync(path, "utf8").split(/\r?\n/);
  const header = (lines.shift() ?? "").split("\t");
  for (const column of columns) {
    if (!header.includes(column)) throw new Error(`${path}: header lacks column "${column}"`);
  }
  /** @type {{ where: string, cells: Record<string, string> }[]} */
  const rows = [];
  lines.forEach((text, i) => {
    if (text.trim() === "" || text.startsWith("#")) return;
    const cells = text.split("\t");
    if (cells.length < header.length) {
      throw new Error(`${path}:${i + 2}: expected ${header.length} tab-separated columns, got ${cells.length}`);
    }
    /** @type {Record<string, string>} */
    const row = {};
    header.forEach((name, c) => (row[name] = cells[c]));
    rows.push({ where: `${path}:${i + 2}`, cells: row });
  });
  return rows;
}

/**
 * @param {string} path  shared/ref/go-tests.tsv
 * @returns {GoTest[]}
 */
export function readGoTests(path) {
  const rows = readTsv(path, ["go_file", "go_test", "line", "kind", "area"]);
  const seen = new Set();
  return rows.map(({ where, cells: row }) => {
    const key = `${row.go_file}:${row.go_test}`;
    if (seen.has(key)) throw new Error(`${where}: duplicate Go test ${key}`);
    seen.add(key);
    const line = Number(row.line);
    if (!Number.isInteger(line)) throw new Error(`${where}: line "${row.line}" is not a number`);
    return { go_file: row.go_file, go_test: row.go_test, line, kind: row.kind, area: row.area };
  });
}

/**
 * @param {string} path  tooling/parity/not-applicable.tsv
 * @returns {NotApplicable[]}
 */
export function readNotApplicable(path) {
  return readTsv(path, ["go_file", "go_test", "reason"]).map(({ where, cells: row }) => {
    if (!row.reason?.trim()) throw new Error(`${where}: ${row.go_file}:${row.go_test} has no reason`);
    return { go_file: row.go_file, go_test: row.go_test, reason: row.reason.trim() };
  });
}
