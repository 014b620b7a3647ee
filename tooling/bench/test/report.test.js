import { expect, test } from "vitest";
import { formatJson, formatTable } from "../src/report.js";

/** @type {import("../src/report.js").LoadResult[]} */
const results = [
  {
    load: "pub-sub",
    title: "pub/sub",
    byServer: {
      "nats-ts": [{ name: "msgs/s", value: 1_000_000, better: "higher" }],
      go: [{ name: "msgs/s", value: 2_000_000, better: "higher" }],
    },
  },
  { load: "req", title: "req", byServer: { "nats-ts": { error: "boom" }, go: [{ name: "p99 us", value: 12.5, better: "lower" }] } },
];

test("the table shows each server's figure and the nats-ts/go ratio", () => {
  const lines = formatTable(results, ["nats-ts", "go"]).split("\n");
  expect(lines[0]).toMatch(/^load\s+metric\s+nats-ts\s+go\s+nats-ts\/go$/);
  expect(lines[2]).toMatch(/^pub\/sub\s+msgs\/s\s+1\.00M\s+2\.00M\s+0\.50$/);
  expect(lines[3]).toMatch(/^req\s+p99 us\s+failed: boom\s+12\.5\s+-$/);
});

test("the table has no ratio column without both servers", () => {
  expect(formatTable(results, ["go"]).split("\n")[0]).toMatch(/^load\s+metric\s+go$/);
});

test("JSON lists one entry per load and server", () => {
  const parsed = JSON.parse(formatJson(results, { durationMs: 1 }));
  expect(parsed.durationMs).toBe(1);
  expect(parsed.results).toEqual([
    { load: "pub-sub", title: "pub/sub", server: "nats-ts", metrics: { "msgs/s": 1_000_000 } },
    { load: "pub-sub", title: "pub/sub", server: "go", metrics: { "msgs/s": 2_000_000 } },
    { load: "req", title: "req", server: "nats-ts", error: "boom" },
    { load: "req", title: "req", server: "go", metrics: { "p99 us": 12.5 } },
  ]);
});
