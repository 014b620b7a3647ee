// Server memory per idle client connection: RSS growth after N connections have done the
// handshake (CONNECT + PING, answered by PONG) and then sit idle.
import { setTimeout as sleep } from "node:timers/promises";
import { RawConnection } from "../protocol.js";

const BATCH = 50;
const SETTLE_MS = 1_000;

/** @type {import("../load-types.js").Load} */
export const idleConnections = {
  name: "idle-conns",
  title: "memory per idle connection",
  async run(ctx) {
    const server = await ctx.startServer();
    /** @type {RawConnection[]} */
    const conns = [];
    try {
      await sleep(SETTLE_MS);
      const before = server.rssKB();
      while (conns.length < ctx.idleConnections) {
        const n = Math.min(BATCH, ctx.idleConnections - conns.length);
        const at = { host: server.host, port: server.port, name: "idle" };
        conns.push(...(await Promise.all(Array.from({ length: n }, () => RawConnection.open(at)))));
      }
      await sleep(SETTLE_MS);
      await Promise.all(conns.map((c) => c.flush()));
      const after = server.rssKB();
      return [
        { name: "KB/conn", value: (after - before) / conns.length, better: "lower" },
        { name: "RSS idle MB", value: before / 1024, better: "lower" },
      ];
    } finally {
      for (const c of conns) c.close();
    }
  },
};
