import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { freePort, listenerPort } from "../support/servers.js";
import { numRoutes } from "../route/helpers.js";
import { Topology, leafzOf, numLeafs, readInfo, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

async function answered(nc: NatsConnection, subject: string): Promise<string> {
  return waitFor(`an answer on ${subject}`, async () => (await nc.request(subject, "", { timeout: 250 })).string());
}

describe("a leaf into a routed nats-ts cluster", () => {
  test("interest and messages cross the leaf and the route; a queue group gets each message once", async () => {
    const a = await topo.inProcess(`port: -1\nserver_name: A\ncluster { name: HUB, listen: "127.0.0.1:-1" }\nleafnodes { listen: "127.0.0.1:-1" }`);
    const leafPort = listenerPort(a.server, "leafnode");
    const b = await topo.inProcess(`port: -1\nserver_name: B\ncluster { name: HUB, listen: "127.0.0.1:-1", routes: ["nats://127.0.0.1:${listenerPort(a.server, "cluster")}"] }`);
    const leaf = await topo.inProcess(`port: -1\nserver_name: LEAF\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
    await waitFor("leaf connected", () => numLeafs(a.server) === 1 && numLeafs(leaf.server) === 1);
    const onB = await topo.client(b.url);
    const onLeaf = await topo.client(leaf.url);
    // B's interest reaches the leaf through A (a hub passes route interest to its leafs).
    onB.subscribe("svc.b", { callback: (_e, m) => void m.respond("b") });
    expect(await answered(onLeaf, "svc.b")).toBe("b");
    // The leaf's interest reaches B through A's route.
    onLeaf.subscribe("svc.leaf", { callback: (_e, m) => void m.respond("leaf") });
    expect(await answered(onB, "svc.leaf")).toBe("leaf");
    expect(leafzOf(a.server).leafs[0].is_spoke).toBe(false);

    // A queue group with members on B and on the leaf: each message once.
    const got: string[] = [];
    onB.subscribe("work", { queue: "q", callback: (_e, m) => void got.push(`b:${m.string()}`) });
    onLeaf.subscribe("work", { queue: "q", callback: (_e, m) => void got.push(`leaf:${m.string()}`) });
    await onB.flush();
    await onLeaf.flush();
    await waitFor("queue interest on the leaf", () => leafzOf(leaf.server, true).leafs[0].subscriptions_list?.includes("work"));
    const onA = await topo.client(a.url);
    for (let i = 0; i < 50; i++) onA.publish("work", String(i));
    await waitFor("50 deliveries", () => got.length >= 50);
    await onA.flush();
    await new Promise((r) => setTimeout(r, 100));
    const ids = got.map((g) => g.split(":")[1]).sort();
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => String(i)).sort());
  });
});

test("a leaf with the hub's own cluster name is refused with Go's error and waits before retrying", async () => {
  const leafPort = await freePort();
  const hub = await topo.logged(`port: -1\nserver_name: A\ncluster { name: SAME, listen: "127.0.0.1:${await freePort()}" }\nleafnodes { listen: "127.0.0.1:${leafPort}" }`);
  const leaf = await topo.logged(`port: -1\nserver_name: L\ncluster { name: SAME, listen: "127.0.0.1:${await freePort()}" }\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${leafPort}" } ] }`);
  await waitFor("refused on the hub", () => hub.lines.some((l) => l.includes("remote leafnode has same cluster name")));
  await waitFor("told to the leaf", () =>
    leaf.lines.some((l) => l.includes("Leafnode connection dropped with same cluster name error. Delaying attempt to reconnect for 30s")),
  );
  expect(numLeafs(hub.server)).toBe(0);
});

describe("leaf URLs of the cluster members", () => {
  /** The `leafnode_urls` of the INFO a leaf listener greets with. */
  async function leafUrlsOf(port: number): Promise<string[]> {
    const info = await readInfo(await topo.raw(port));
    return [...(info.leafnode_urls as string[])].sort();
  }

  const hubConf = (name: string, routePort: number, leafPort: number, routes: number[], advertise?: string) =>
    `port: -1\nserver_name: ${name}\ncluster { name: A, listen: "127.0.0.1:${routePort}", routes: [${routes.map((p) => `"nats://127.0.0.1:${p}"`).join(", ")}] }\n` +
    `leafnodes { listen: "127.0.0.1:${leafPort}"${advertise === undefined ? "" : `, advertise: "${advertise}"`} }`;

  test.each([
    ["without advertise", false],
    ["with advertise", true],
  ])("TestLeafNodeInfoURLs: %s", async (_name, useAdvertise) => {
    const [r1, r2, l1, l2] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const url1 = useAdvertise ? "me:1" : `127.0.0.1:${l1}`;
    const url2 = useAdvertise ? "me:2" : `127.0.0.1:${l2}`;
    const s1 = await topo.inProcess(hubConf("S1", r1, l1, [], useAdvertise ? "me:1" : undefined));
    expect(await leafUrlsOf(l1)).toEqual([url1]);

    const s2 = await topo.inProcess(hubConf("S2", r2, l2, [r1], useAdvertise ? "me:2" : undefined));
    await waitFor("cluster formed", () => numRoutes(s1.server) === 1 && numRoutes(s2.server) === 1);
    expect(await leafUrlsOf(l1)).toEqual([url1, url2].sort());

    // Once the route is gone, S1 only names itself again.
    await s2.stop();
    await waitFor("route lost", () => numRoutes(s1.server) === 0);
    expect(await leafUrlsOf(l1)).toEqual([url1]);
    await s1.stop();

    // Both solicit each other at once: one of the two routes is dropped, each URL is still named once.
    const [a, b] = await Promise.all([
      topo.inProcess(hubConf("S1", r1, l1, [r2], useAdvertise ? "me:1" : undefined)),
      topo.inProcess(hubConf("S2", r2, l2, [r1], useAdvertise ? "me:2" : undefined)),
    ]);
    await waitFor("cluster formed again", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    expect(await leafUrlsOf(l1)).toEqual([url1, url2].sort());
  });

  test("leaf URLs cross a route between nats-ts and Go 2.9 both ways", async () => {
    const [goRoute, goLeaf] = [await freePort(), await freePort()];
    await topo.go(`port: ${await freePort()}\nserver_name: GO\ncluster { name: A, listen: "127.0.0.1:${goRoute}" }\nleafnodes { listen: "127.0.0.1:${goLeaf}" }`);
    const ts = await topo.inProcess(hubConf("TS", -1, -1, [goRoute]));
    await waitFor("route up", () => numRoutes(ts.server) === 1);
    const tsLeafPort = listenerPort(ts.server, "leafnode");
    const both = [`127.0.0.1:${tsLeafPort}`, `127.0.0.1:${goLeaf}`].sort();
    expect(await leafUrlsOf(tsLeafPort)).toEqual(both);
    await waitFor("the Go server names the nats-ts leaf URL", async () => (await leafUrlsOf(goLeaf)).length === 2);
    expect(await leafUrlsOf(goLeaf)).toEqual(both);
  });

  test("a leaf told of another member after it connected fails over to it when its hub goes away", async () => {
    const s1 = await topo.inProcess(hubConf("S1", -1, -1, []));
    const leaf = await topo.inProcess(`port: -1\nserver_name: LEAF\nleafnodes { reconnect: "20ms", remotes [ { url: "nats://127.0.0.1:${listenerPort(s1.server, "leafnode")}" } ] }`);
    await waitFor("leaf connected to S1", () => numLeafs(s1.server) === 1);
    // S2 joins later: S1 sends the leaf an INFO that names S2's leaf URL too.
    const s2 = await topo.inProcess(hubConf("S2", -1, -1, [listenerPort(s1.server, "cluster")]));
    await waitFor("cluster formed", () => numRoutes(s1.server) === 1 && numRoutes(s2.server) === 1);
    // S1 queued that INFO when the route registered; its shutdown flushes it before closing.
    await s1.stop();
    await waitFor("leaf reconnected to S2", () => numLeafs(s2.server) === 1 && numLeafs(leaf.server) === 1);
    // Traffic flows through the new hub.
    const onS2 = await topo.client(s2.url);
    onS2.subscribe("after.failover", { callback: (_e, m) => void m.respond("s2") });
    expect(await answered(await topo.client(leaf.url), "after.failover")).toBe("s2");
  });
});
