// Renders bench results as a text table (with the nats-ts/go ratio) or as JSON.

/** @typedef {import("./load-types.js").Metric} Metric */
/**
 * @typedef {object} LoadResult
 * @property {string} load   load name
 * @property {string} title
 * @property {Record<string, Metric[] | { error: string }>} byServer  median over the rounds
 * @property {Record<string, Metric[][]>} [runs]  every successful round, per server
 */

/**
 * @example
 * console.log(formatTable(results, ["nats-ts", "go"]));
 * @param {LoadResult[]} results
 * @param {string[]} servers  column order
 * @returns {string}
 */
export function formatTable(results, servers) {
  const withRatio = servers.includes("nats-ts") && servers.includes("go");
  const header = ["load", "metric", ...servers, ...(withRatio ? ["nats-ts/go"] : [])];
  /** @type {string[][]} */
  const rows = [];
  for (const r of results) {
    const names = metricNames(r, servers);
    if (names.length === 0) names.push("error");
    names.forEach((metric, i) => {
      const cells = [i === 0 ? r.title : "", metric];
      /** @type {Record<string, number | undefined>} */
      const values = {};
      for (const s of servers) {
        const got = r.byServer[s];
        if (!got) cells.push("-");
        else if ("error" in got) cells.push(i === 0 ? `failed: ${got.error}` : "");
        else {
          values[s] = got.find((m) => m.name === metric)?.value;
          cells.push(values[s] === undefined ? "-" : formatValue(metric, /** @type {number} */ (values[s])));
        }
      }
      if (withRatio) {
        const [a, b] = [values["nats-ts"], values.go];
        cells.push(a !== undefined && b !== undefined && b !== 0 ? (a / b).toFixed(2) : "-");
      }
      rows.push(cells);
    });
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => firstLine(row[c]).length)));
  const line = (/** @type {string[]} */ cells) =>
    cells.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join("  ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

/**
 * @param {LoadResult[]} results
 * @param {object} run  settings of this run, recorded beside the figures
 */
export function formatJson(results, run) {
  return JSON.stringify(
    {
      ...run,
      results: results.flatMap((r) =>
        Object.entries(r.byServer).map(([server, got]) => ({
          load: r.load,
          title: r.title,
          server,
          ...("error" in got ? { error: got.error } : { metrics: Object.fromEntries(got.map((m) => [m.name, m.value])) }),
          ...(r.runs?.[server] && r.runs[server].length > 1
            ? { rounds: r.runs[server].map((ms) => Object.fromEntries(ms.map((m) => [m.name, m.value]))) }
            : {}),
        })),
      ),
    },
    null,
    2,
  );
}

/**
 * @param {LoadResult} r
 * @param {string[]} servers
 */
function metricNames(r, servers) {
  /** @type {string[]} */
  const names = [];
  for (const s of servers) {
    const got = r.byServer[s];
    if (got && !("error" in got)) for (const m of got) if (!names.includes(m.name)) names.push(m.name);
  }
  return names;
}

/**
 * @param {string} metric
 * @param {number} value
 */
function formatValue(metric, value) {
  if (/\/(CPU-)?s$/.test(metric) && !metric.startsWith("MB")) {
    if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
    if (value >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
    return value.toFixed(0);
  }
  return value.toFixed(value >= 100 ? 0 : value >= 10 ? 1 : 2);
}

/** @param {string} s */
function firstLine(s) {
  return s.split("\n")[0];
}
