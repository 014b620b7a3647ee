// Request/reply round trips: one requester, one responder, one request in flight at a time,
// so every round trip's latency is a clean sample (no queueing behind earlier requests).
import { performance } from "node:perf_hooks";
import { pubFrame, RawConnection } from "../protocol.js";

const PAYLOAD = 16;
const STALL_TIMEOUT_MS = 30_000;

/** @type {import("../load-types.js").Load} */
export const requestReply = {
  name: "req-reply",
  title: "request/reply 16 B, 1 in flight",
  async run(ctx) {
    const server = await ctx.startServer();
    const at = { host: server.host, port: server.port };
    const conns = [];
    try {
      const responder = await RawConnection.open({ ...at, name: "responder" });
      conns.push(responder);
      await responder.subscribe("bench.req", 1);
      const reply = pubFrame("bench.reply", PAYLOAD);
      responder.onMsgs = (n) => {
        for (let i = 0; i < n; i++) responder.socket.write(reply);
      };
      const requester = await RawConnection.open({ ...at, name: "requester" });
      conns.push(requester);
      await requester.subscribe("bench.reply", 1);
      const request = pubFrame("bench.req", PAYLOAD, "bench.reply");

      await roundTrips(requester, request, ctx.warmupMs);
      const cpuBefore = server.cpuSeconds();
      const { latenciesUs, seconds } = await roundTrips(requester, request, ctx.durationMs);
      const cpu = server.cpuSeconds() - cpuBefore;
      latenciesUs.sort();
      const pct = (/** @type {number} */ p) => latenciesUs[Math.min(latenciesUs.length - 1, Math.floor(p * latenciesUs.length))];
      return [
        { name: "round trips/s", value: latenciesUs.length / seconds, better: "higher" },
        { name: "round trips/CPU-s", value: latenciesUs.length / cpu, better: "higher" },
        { name: "server CPU %", value: (cpu / seconds) * 100, better: "lower" },
        { name: "p50 us", value: pct(0.5), better: "lower" },
        { name: "p99 us", value: pct(0.99), better: "lower" },
      ];
    } finally {
      for (const c of conns) c.close();
    }
  },
};

/**
 * Sends one request, waits for its reply, repeats until `durationMs` has passed.
 * @param {RawConnection} requester
 * @param {Buffer} request
 * @param {number} durationMs
 * @returns {Promise<{ latenciesUs: Float64Array, seconds: number }>}
 */
function roundTrips(requester, request, durationMs) {
  return new Promise((resolve, reject) => {
    /** @type {number[]} */
    const samples = [];
    const start = performance.now();
    const stopAt = start + durationMs;
    let sentAt = start;
    const timer = setTimeout(() => finish(new Error(`no reply within ${STALL_TIMEOUT_MS} ms`)), durationMs + STALL_TIMEOUT_MS);
    const onClose = () => finish(requester.error ?? new Error("connection closed"));
    requester.socket.once("close", onClose);
    const finish = (/** @type {Error | undefined} */ err) => {
      clearTimeout(timer);
      requester.socket.off("close", onClose);
      requester.onMsgs = () => {};
      if (err) reject(err);
      else resolve({ latenciesUs: Float64Array.from(samples), seconds: (performance.now() - start) / 1000 });
    };
    requester.onMsgs = () => {
      const now = performance.now();
      samples.push((now - sentAt) * 1000);
      if (now >= stopAt) return finish(undefined);
      sentAt = performance.now();
      requester.socket.write(request);
    };
    requester.socket.write(request);
  });
}
