// Formats the per-area summary printed after every run.
import { summarizeByArea } from "./model.js";

/**
 * Renders mapped / not applicable / unmapped per area as an aligned text table.
 * @example
 * console.log(formatAreaTable(model.goTests));
 * @param {import("./model.js").GoTestRow[]} goTests
 * @returns {string}
 */
export function formatAreaTable(goTests) {
  const rows = summarizeByArea(goTests);
  const header = ["area", "mapped", "not applicable", "unmapped", "total", "done"];
  const body = rows.map((r) => [
    r.area,
    String(r.mapped),
    String(r.not_applicable),
    String(r.unmapped),
    String(r.total),
    r.total === 0 ? "-" : `${(((r.mapped + r.not_applicable) / r.total) * 100).toFixed(1)}%`,
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((cells) => cells[c].length)));
  const line = (/** @type {string[]} */ cells) =>
    cells.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ");
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(header), rule, ...body.slice(0, -1).map(line), rule, line(body[body.length - 1])].join("\n");
}
