import { afterEach, describe, test } from "vitest";
import { startChild } from "../support/servers.js";
import { checkTraffic, freePort, memberConf, Topology, waitFor } from "./helpers.js";

// Needs the built package: pnpm --filter @nats-ts/cluster build
const topo = new Topology();
afterEach(() => topo.stop());

describe("routes: nats-ts servers in child processes", () => {
  test("three nats-ts processes form a mesh from seeds (one knows only the second node) and carry traffic", async () => {
    const [p1, p2, p3] = await Promise.all([freePort(), freePort(), freePort()]);
    const child = async (port: number, routes: number[]) => topo.track(await startChild(memberConf({ cluster: "procs", port, routes })));
    const n1 = await child(p1, []);
    const n2 = await child(p2, [p1]);
    const n3 = await child(p3, [p2]);
    // Gossip: n3 learns n1 from n2; the log says so once the three routes are up everywhere.
    await waitFor("n3 routed to n1 and n2", () => (n3.log().match(/Registering remote route/g) ?? []).length >= 2, 10_000);
    await checkTraffic(topo, [n1.url, n2.url, n3.url]);
  });
});
