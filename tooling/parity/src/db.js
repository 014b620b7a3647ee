// Writes the parity model into SQLite and compares databases by content.
import { existsSync, renameSync, rmSync } from "node:fs";
import Database from "better-sqlite3";

/** @typedef {import("./model.js").ParityModel} ParityModel */

const SCHEMA = `
CREATE TABLE go_tests (
  go_file TEXT NOT NULL,
  go_test TEXT NOT NULL,
  line    INTEGER NOT NULL,
  kind    TEXT NOT NULL,
  area    TEXT NOT NULL,
  status  TEXT NOT NULL CHECK (status IN ('mapped', 'not_applicable', 'unmapped')),
  PRIMARY KEY (go_file, go_test)
);
CREATE TABLE ts_test (
  id      INTEGER NOT NULL,
  ts_file TEXT NOT NULL,
  title   TEXT NOT NULL,
  kind    TEXT NOT NULL CHECK (kind IN ('test', 'describe')),
  go_file TEXT,
  go_test TEXT
);
CREATE INDEX ts_test_go ON ts_test (go_file, go_test);
CREATE TABLE ts_file (
  path  TEXT PRIMARY KEY,
  tests INTEGER NOT NULL
);
CREATE TABLE notes (
  go_file TEXT NOT NULL,
  go_test TEXT NOT NULL,
  note    TEXT NOT NULL
);
CREATE VIEW parity_by_area AS
  SELECT area,
         SUM(status = 'mapped') AS mapped,
         SUM(status = 'not_applicable') AS not_applicable,
         SUM(status = 'unmapped') AS unmapped,
         COUNT(*) AS total
  FROM go_tests GROUP BY area ORDER BY area;
`;

const TABLES = ["go_tests", "ts_test", "ts_file", "notes"];

/**
 * Fills an empty database with the model, in one transaction and a fixed row order.
 * @param {import("better-sqlite3").Database} db
 * @param {ParityModel} model
 */
function fill(db, model) {
  db.exec(SCHEMA);
  const insert = {
    go: db.prepare("INSERT INTO go_tests VALUES (@go_file, @go_test, @line, @kind, @area, @status)"),
    ts: db.prepare("INSERT INTO ts_test VALUES (@id, @ts_file, @title, @kind, @go_file, @go_test)"),
    file: db.prepare("INSERT INTO ts_file VALUES (@path, @tests)"),
    note: db.prepare("INSERT INTO notes VALUES (@go_file, @go_test, @note)"),
  };
  db.transaction(() => {
    for (const row of model.goTests) insert.go.run(row);
    for (const row of model.tsTests) insert.ts.run(row);
    for (const row of model.tsFiles) insert.file.run(row);
    for (const row of model.notes) insert.note.run(row);
  })();
}

/**
 * Writes the model to `path`, replacing the file atomically. A fresh file filled by the
 * same statements in the same order comes out byte-identical for identical input.
 * @example
 * writeParityDb("test_parity.db", buildModel(goTests, notApplicable, files));
 * @param {string} path
 * @param {ParityModel} model
 */
export function writeParityDb(path, model) {
  const tmp = `${path}.tmp-${process.pid}`;
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  try {
    db.pragma("journal_mode = DELETE");
    fill(db, model);
  } finally {
    db.close();
  }
  renameSync(tmp, path);
}

/**
 * Lists what differs between the database at `path` and the model: empty when current.
 * @param {string} path
 * @param {ParityModel} model
 * @returns {string[]} one line per differing table, or why the file cannot be read
 */
export function diffParityDb(path, model) {
  if (!existsSync(path)) return [`${path} does not exist`];
  const fresh = new Database(":memory:");
  /** @type {import("better-sqlite3").Database | undefined} */
  let committed;
  try {
    fill(fresh, model);
    committed = new Database(path, { readonly: true, fileMustExist: true });
    const expected = dump(fresh);
    const actual = dump(committed);
    return Object.keys(expected)
      .filter((name) => expected[name] !== actual[name])
      .map((name) => `${name} differs`);
  } catch (err) {
    return [`${path} cannot be read: ${/** @type {Error} */ (err).message}`];
  } finally {
    fresh.close();
    committed?.close();
  }
}

/**
 * The schema plus every table's rows in a canonical order, as JSON strings.
 * @param {import("better-sqlite3").Database} db
 * @returns {Record<string, string>}
 */
function dump(db) {
  /** @type {Record<string, string>} */
  const out = {
    schema: JSON.stringify(db.prepare("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").all()),
  };
  for (const table of TABLES) {
    const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    out[table] = exists ? JSON.stringify(db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).all()) : "missing";
  }
  return out;
}
