// Cross-node loads: a publisher on one server and a subscriber on another, 128 B messages.
// route-pub-sub joins two servers of the same kind with a route (pub on A, sub on B);
// leaf-pub-sub connects a leaf node to a hub (pub on the leaf, sub on the hub). Both servers
// share the server core, for Go as for nats-ts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { pubFrame, RawConnection } from "../protocol.js";
import { freePort, HOST } from "../servers.js";
import { runStream } from "../stream.js";
import { throughputMetrics } from "./core-pubsub.js";

const PAYLOAD = 128;
const SUBJECT = "bench.cross";
const INTEREST_TIMEOUT_MS = 20_000;

/** @type {import("../load-types.js").Load} */
export const routePubSub = {
  name: "route-pub-sub",
  title: "route pub A -> sub B 128 B",
  async run(ctx) {
    const routePort = await freePort();
    const a = await ctx.startServer(["--cluster_name", "bench", "--cluster", `nats://${HOST}:${routePort}`]);
    const b = await ctx.startServer(["--cluster_name", "bench", "--cluster", `nats://${HOST}:-1`, "--routes", `nats://${HOST}:${routePort}`]);
    return measureAcross(ctx, a, b);
  },
};

/** @type {import("../load-types.js").Load} */
export const leafPubSub = {
  name: "leaf-pub-sub",
  title: "leaf node pub -> hub sub 128 B",
  async run(ctx) {
    const dir = mkdtempSync(join(tmpdir(), "bench-leaf-"));
    try {
      const leafPort = await freePort();
      const hubConf = join(dir, "hub.conf");
      writeFileSync(hubConf, `leafnodes { listen: "${HOST}:${leafPort}" }\n`);
      const spokeConf = join(dir, "leaf.conf");
      writeFileSync(spokeConf, `leafnodes { remotes: [ { url: "nats://${HOST}:${leafPort}" } ] }\n`);
      const hub = await ctx.startServer(["-c", hubConf]);
      const leaf = await ctx.startServer(["-c", spokeConf]);
      return await measureAcross(ctx, leaf, hub);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

/**
 * Streams from a publisher on `from` to a subscriber on `to`, once the subscription's interest
 * has reached `from`. Server CPU is both servers' together.
 * @param {import("../load-types.js").LoadContext} ctx
 * @param {import("../servers.js").RunningServer} from
 * @param {import("../servers.js").RunningServer} to
 * @returns {Promise<import("../load-types.js").Metric[]>}
 */
async function measureAcross(ctx, from, to) {
  const conns = [];
  try {
    const sub = await RawConnection.open({ host: to.host, port: to.port, name: "cross-sub" });
    conns.push(sub);
    await sub.subscribe(SUBJECT, 1);
    const pub = await RawConnection.open({ host: from.host, port: from.port, name: "cross-pub" });
    conns.push(pub);
    await awaitInterest(pub, sub);
    const frame = pubFrame(SUBJECT, PAYLOAD);
    await runStream(pub, [sub], frame, ctx.warmupMs);
    const cpu = () => from.cpuSeconds() + to.cpuSeconds();
    const cpuBefore = cpu();
    const { published, seconds } = await runStream(pub, [sub], frame, ctx.durationMs);
    return throughputMetrics(published, PAYLOAD, seconds, cpu() - cpuBefore);
  } finally {
    for (const c of conns) c.close();
  }
}

/**
 * Publishes a probe every 50 ms until the subscriber on the other server receives one, then
 * lets the stragglers arrive before the stream starts counting.
 * @param {RawConnection} pub
 * @param {RawConnection} sub
 */
async function awaitInterest(pub, sub) {
  // the subscriber counts frames of one length: probes are full-size messages
  const probe = pubFrame(SUBJECT, PAYLOAD);
  const base = sub.counter.msgs;
  const deadline = Date.now() + INTEREST_TIMEOUT_MS;
  while (sub.counter.msgs === base) {
    if (Date.now() > deadline) throw new Error(`no message crossed to the other server within ${INTEREST_TIMEOUT_MS} ms`);
    pub.socket.write(probe);
    await pub.flush();
    await sleep(50);
  }
  await sleep(200);
}
