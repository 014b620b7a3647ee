// Joins the Go test inventory with the TS test titles: the content of test_parity.db.
//
// How a title names Go tests:
// - `TestFoo` (bare) names every Go test called TestFoo. When several Go files define it
//   (e.g. server/gateway_test.go and test/gateway_test.go), it names all of them except
//   those listed as not applicable, so a bare TestSysLogger never marks the Windows twin.
// - `server/gateway_test.go:TestFoo` (qualified) names exactly that one.
// - A title may name several Go tests; each one becomes its own ts_test row (same id).
import { extractTitles } from "./titles.js";

/** @typedef {import("./tsv.js").GoTest} GoTest */
/** @typedef {import("./tsv.js").NotApplicable} NotApplicable */
/** @typedef {"mapped" | "not_applicable" | "unmapped"} Status */
/** @typedef {GoTest & { status: Status }} GoTestRow */
/**
 * @typedef {object} TsTestRow
 * @property {number} id        one per test/describe block, in file order
 * @property {string} ts_file
 * @property {string} title
 * @property {"test" | "describe"} kind
 * @property {string | null} go_file  null when the title names no Go test
 * @property {string | null} go_test
 */
/** @typedef {{ path: string, tests: number }} TsFileRow */
/** @typedef {{ go_file: string, go_test: string, note: string }} NoteRow */
/**
 * @typedef {object} ParityModel
 * @property {GoTestRow[]} goTests
 * @property {TsTestRow[]} tsTests
 * @property {TsFileRow[]} tsFiles
 * @property {NoteRow[]} notes
 * @property {string[]} warnings  problems worth fixing that do not stop the build
 */

const GO_REFERENCE = /(?:([\w./-]+_test\.go):)?\b((?:Test|Benchmark)[A-Z0-9_]\w*)/g;

/**
 * Computes every table of test_parity.db from its inputs. Pure: same inputs, same output.
 * @example
 * const model = buildModel(readGoTests(tsv), readNotApplicable(na), [{ path, source }]);
 * model.goTests.filter((t) => t.status === "mapped").length;
 * @param {GoTest[]} goTests
 * @param {NotApplicable[]} notApplicable
 * @param {{ path: string, source: string }[]} testFiles  sorted by path
 * @returns {ParityModel}
 */
export function buildModel(goTests, notApplicable, testFiles) {
  const key = (/** @type {string} */ file, /** @type {string} */ name) => `${file}:${name}`;
  /** @type {Map<string, GoTest[]>} */
  const byName = new Map();
  const byKey = new Map(goTests.map((t) => [key(t.go_file, t.go_test), t]));
  for (const t of goTests) byName.set(t.go_test, [...(byName.get(t.go_test) ?? []), t]);

  /** @type {Map<string, string>} */
  const naReason = new Map();
  for (const na of notApplicable) {
    const k = key(na.go_file, na.go_test);
    if (!byKey.has(k)) throw new Error(`not-applicable.tsv names ${k}, which is not in go-tests.tsv`);
    naReason.set(k, na.reason);
  }

  /** @type {string[]} */
  const warnings = [];
  /** @type {Map<string, string[]>} go key -> the TS files naming it */
  const portedBy = new Map();
  /** @type {Set<string>} go keys reached through an ambiguous bare name */
  const ambiguousBare = new Set();
  /** @type {TsTestRow[]} */
  const tsTests = [];
  /** @type {TsFileRow[]} */
  const tsFiles = [];
  let id = 0;

  for (const { path, source } of testFiles) {
    const blocks = extractTitles(source);
    tsFiles.push({ path, tests: blocks.filter((b) => b.kind === "test").length });
    for (const block of blocks) {
      id++;
      const targets = resolveTitle(block.title, `${path}:${block.line}`);
      // No line numbers in the database: moving a test must not make it stale.
      const base = { id, ts_file: path, title: block.title, kind: block.kind };
      if (targets.length === 0) tsTests.push({ ...base, go_file: null, go_test: null });
      for (const t of targets) {
        tsTests.push({ ...base, go_file: t.go_file, go_test: t.go_test });
        const k = key(t.go_file, t.go_test);
        const files = portedBy.get(k) ?? [];
        if (!files.includes(path)) portedBy.set(k, [...files, path]);
      }
    }
  }

  /**
   * @param {string} title
   * @param {string} where
   * @returns {GoTest[]}
   */
  function resolveTitle(title, where) {
    /** @type {Map<string, GoTest>} */
    const targets = new Map();
    for (const [, file, name] of title.matchAll(GO_REFERENCE)) {
      if (file) {
        const t = byKey.get(key(file, name));
        if (t) targets.set(key(file, name), t);
        else warnings.push(`${where}: ${file}:${name} is not a Go test in go-tests.tsv`);
        continue;
      }
      const candidates = byName.get(name) ?? [];
      if (candidates.length === 0) {
        warnings.push(`${where}: ${name} is not a Go test in go-tests.tsv`);
        continue;
      }
      const applicable = candidates.filter((t) => !naReason.has(key(t.go_file, t.go_test)));
      const chosen = applicable.length > 0 ? applicable : candidates;
      for (const t of chosen) {
        targets.set(key(t.go_file, t.go_test), t);
        if (chosen.length > 1) ambiguousBare.add(key(t.go_file, t.go_test));
      }
    }
    return [...targets.values()];
  }

  /** @type {NoteRow[]} */
  const notes = [];
  const goRows = goTests.map((t) => {
    const k = key(t.go_file, t.go_test);
    const ports = portedBy.get(k);
    const reason = naReason.get(k);
    if (reason !== undefined) notes.push({ go_file: t.go_file, go_test: t.go_test, note: `not applicable: ${reason}` });
    if (ports && reason !== undefined) {
      const msg = `listed as not applicable but ported by ${ports.join(", ")}`;
      notes.push({ go_file: t.go_file, go_test: t.go_test, note: msg });
      warnings.push(`${k}: ${msg}; remove it from not-applicable.tsv`);
    }
    if (ambiguousBare.has(k)) {
      const others = (byName.get(t.go_test) ?? []).filter((o) => o !== t).map((o) => o.go_file);
      notes.push({
        go_file: t.go_file,
        go_test: t.go_test,
        note: `named without its file; ${t.go_test} also exists in ${others.join(", ")} (qualify as ${k} to pick one)`,
      });
    }
    /** @type {Status} */
    const status = ports ? "mapped" : reason !== undefined ? "not_applicable" : "unmapped";
    return { ...t, status };
  });

  return { goTests: goRows, tsTests, tsFiles, notes, warnings };
}

/**
 * Counts per area, in area order, plus a total row.
 * @param {GoTestRow[]} goTests
 * @returns {{ area: string, mapped: number, not_applicable: number, unmapped: number, total: number }[]}
 */
export function summarizeByArea(goTests) {
  /** @type {Map<string, { area: string, mapped: number, not_applicable: number, unmapped: number, total: number }>} */
  const areas = new Map();
  const total = { area: "TOTAL", mapped: 0, not_applicable: 0, unmapped: 0, total: 0 };
  for (const t of goTests) {
    let row = areas.get(t.area);
    if (!row) areas.set(t.area, (row = { area: t.area, mapped: 0, not_applicable: 0, unmapped: 0, total: 0 }));
    for (const r of [row, total]) {
      r[t.status]++;
      r.total++;
    }
  }
  return [...[...areas.values()].sort((a, b) => a.area.localeCompare(b.area)), total];
}
