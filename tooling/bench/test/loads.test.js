import { afterEach, beforeEach, expect, test } from "vitest";
import { LOADS } from "../src/loads/index.js";
import { startFakeServer } from "./fake-server.js";

/** @type {import("./fake-server.js").FakeServer} */
let server;

beforeEach(async () => {
  server = await startFakeServer();
});
afterEach(() => server.close());

/** A context whose "server" is the in-process fake; its CPU time is this process's. */
function context() {
  return {
    kind: { name: "fake", command: "", args: [] },
    durationMs: 100,
    warmupMs: 20,
    idleConnections: 20,
    startServer: async () => ({
      name: "fake",
      host: "127.0.0.1",
      port: server.port,
      pid: process.pid,
      rssKB: () => process.memoryUsage().rss / 1024,
      cpuSeconds: () => {
        const u = process.cpuUsage();
        return (u.user + u.system) / 1e6;
      },
      output: () => "",
      stop: async () => {},
    }),
  };
}

for (const load of LOADS) {
  test(`${load.name} runs against a server and returns finite figures`, async () => {
    const metrics = await load.run(context());
    expect(metrics.length).toBeGreaterThan(0);
    for (const m of metrics) expect(Number.isFinite(m.value), `${m.name} = ${m.value}`).toBe(true);
    const byName = Object.fromEntries(metrics.map((m) => [m.name, m.value]));
    if ("p50 us" in byName) expect(byName["p50 us"]).toBeLessThanOrEqual(byName["p99 us"]);
    if ("msgs/s" in byName) expect(byName["msgs/s"]).toBeGreaterThan(0);
  });
}
