import { afterEach, describe, expect, test } from "vitest";
import { gatewayTuning } from "../../src/gateway/index.js";
import { clusterUrls } from "../../src/shared/cluster-urls.js";
import { gatewayConf, gatewayCounts, gatewayOf, memberConf, meshed, routePort, Topology, tuneGateways, waitFor, type InProcess } from "./helpers.js";

// Gateways to clusters nobody configured: learned from an inbound gateway, from gossip over
// other gateways, or from the other servers of this cluster over routes (Go's implicit gateways).

tuneGateways();

const NO_OPTS = { name: "", accounts: false, accountName: "", subscriptions: false, subscriptionsDetail: false };

/** Waits until every server has `out` outbound (and, when given, `inb` inbound) gateway connections. */
async function waitCounts(servers: InProcess[], out: number, inb?: number): Promise<void> {
  await waitFor(
    () => servers.every((s) => gatewayCounts(s).out === out && (inb === undefined || gatewayCounts(s).in === inb)),
    `${out} outbound${inb === undefined ? "" : ` and ${inb} inbound`} gateways on ${servers.length} servers`,
  );
}

/** A cluster `name` of `n` servers joined by routes, without gateways configured; gossip carried by the routes. */
async function cluster(topo: Topology, name: string, n: number, remotes: Record<string, number> = {}): Promise<InProcess[]> {
  const first = await topo.inProcess(memberConf(name, `${name}1`, [], remotes));
  const servers = [first];
  for (let i = 2; i <= n; i++) servers.push(await topo.inProcess(memberConf(name, `${name}${i}`, [routePort(first)], remotes)));
  await waitFor(() => meshed(servers), `cluster ${name} formed`);
  return servers;
}

/** `gateways [ ... ]` entry naming every server of a cluster (Go's testGatewayOptionsFromToWithServers). */
function urlsOf(name: string, servers: InProcess[]): string {
  return `{ name: "${name}", urls: [ ${servers.map((s) => `"nats://127.0.0.1:${gatewayOf(s).port}"`).join(", ")} ] }`;
}

describe("implicit gateways", () => {
  const topo = new Topology();
  afterEach(() => topo.stop());

  test("TestGatewayCreateImplicit: every server of a cluster connects back to a cluster that reached only one of them", async () => {
    const [s2, s3] = await cluster(topo, "B", 2);
    const s1 = await topo.inProcess(gatewayConf("A", -1, {}).replace("gateways: [  ]", `gateways: [ ${urlsOf("B", [s2, s3])} ]`));
    await waitCounts([s1, s2, s3], 1);
    await waitFor(() => gatewayCounts(s1).in === 2, "A's inbound from both servers of B");
    // A solicited only one of B's servers: exactly one of them has an inbound.
    expect([gatewayCounts(s2).in, gatewayCounts(s3).in].sort()).toEqual([0, 1]);
    for (const s of [s2, s3]) {
      const z = gatewayOf(s).gatewayz(NO_OPTS).outbound_gateways as Record<string, { configured: boolean }>;
      expect(z.A.configured).toBe(false);
    }
  });

  test("TestGatewayCreateImplicitOnNewRoute: a server joining the cluster hears of the remote cluster from its new route", async () => {
    const s2 = await topo.inProcess(memberConf("B", "B1", [], {}));
    const s1 = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(s2).port }));
    await waitCounts([s1, s2], 1);
    const s3 = await topo.inProcess(memberConf("B", "B2", [routePort(s2)], {}));
    await waitFor(() => meshed([s2, s3]), "cluster B formed");
    await waitCounts([s1, s2, s3], 1);
    expect(gatewayOf(s3).remotes.get("A")?.implicit).toBe(true);
  });

  test("TestGatewayURLsFromClusterSentInINFO: the remote's INFO lists its cluster's gateways, so losing one server is survived", async () => {
    const [s2, s3] = await cluster(topo, "B", 2);
    const s1 = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(s2).port }));
    await waitCounts([s1, s2, s3], 1);
    await s2.stop();
    await waitFor(() => clusterUrls(s3.server, "gateway").memberUrls().length === 0, "s3 sees s2 gone");
    // s1 was configured with s2 only, and learned s3 from s2's INFO.
    await waitFor(() => gatewayOf(s1).outbound.get("B")?.remoteId === s3.server.id, "s1 reconnected to s3");
    expect(gatewayOf(s1).remotes.get("B")!.urls.size).toBe(2);
  });

  test("TestGatewayUseUpdatedURLs: a configured URL that leads nowhere is completed by the URL the remote announces", async () => {
    const sb = await topo.inProcess(gatewayConf("B", -1, { A: 1 }));
    // As in Go, let B start trying the dead URL first.
    await new Promise((r) => setTimeout(r, 100));
    const sa = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(sb).port }));
    await waitFor(() => gatewayCounts(sa).out === 1, "A's outbound to B");
    await waitCounts([sa, sb], 1, 1);
    expect(gatewayOf(sb).remotes.get("A")!.hostPorts()).toContain(`127.0.0.1:${gatewayOf(sa).port}`);
    expect(gatewayOf(sb).remotes.get("A")!.implicit).toBe(false);
  });

  test("TestGatewayAutoDiscovery: clusters chained or joined through one hub end up in a full mesh", async () => {
    // A chain D <- C <- B <- A: everyone meets everyone.
    const s4 = await topo.inProcess(gatewayConf("D", -1, {}));
    const s3 = await topo.inProcess(gatewayConf("C", -1, { D: gatewayOf(s4).port }));
    const s2 = await topo.inProcess(gatewayConf("B", -1, { C: gatewayOf(s3).port }));
    const s1 = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(s2).port }));
    await waitCounts([s1, s2, s3, s4], 3);
    await topo.stop();

    // A hub B that the others connect to.
    const hub = await topo.inProcess(gatewayConf("B", -1, {}));
    const spokes = [];
    for (const name of ["D", "C", "A"]) spokes.push(await topo.inProcess(gatewayConf(name, -1, { B: gatewayOf(hub).port })));
    await waitCounts([hub, ...spokes], 3);
    await topo.stop();

    // A cluster of three servers, another cluster configured to reach only the first of them,
    // then a third cluster configured to reach only that one.
    const a = await cluster(topo, "A", 3);
    const b = await topo.inProcess(gatewayConf("B", -1, { A: gatewayOf(a[0]).port }));
    await waitCounts([...a, b], 1);
    await waitFor(() => gatewayCounts(b).in === 3, "B's inbound from every server of A");
    const c = await topo.inProcess(gatewayConf("C", -1, { B: gatewayOf(b).port }));
    await waitCounts([...a, b, c], 2);
    await waitFor(() => gatewayCounts(b).in === 4 && gatewayCounts(c).in === 4, "B and C have an inbound from every other server");
  });

  test("TestGatewayAuthDiscovered: the implicit gateway back to a cluster authenticates with our own gateway credentials", async () => {
    const auth = "authorization: { user: gwuser, password: changeme }";
    const a = await topo.inProcess(gatewayConf("A", -1, {}, "", auth));
    const b = await topo.inProcess(
      gatewayConf("B", -1, {}, "", auth).replace("gateways: [  ]", `gateways: [ { name: A, url: "nats://gwuser:changeme@127.0.0.1:${gatewayOf(a).port}" } ]`),
    );
    await waitCounts([a, b], 1, 1);
    expect(gatewayOf(a).remotes.get("B")?.implicit).toBe(true);
  });

  test("TestGatewaySolicitDelayWithImplicitOutbounds: the implicit outbound made during the solicit delay is the only one", async () => {
    gatewayTuning.solicitDelay = 300;
    try {
      const s2 = await topo.inProcess(gatewayConf("B", -1, {}));
      const s1 = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(s2).port }));
      await waitFor(() => gatewayCounts(s1).out === 1 && gatewayCounts(s2).in === 1, "A -> B after the delay");
      // Past B's own solicit delay too: still one connection from B.
      await new Promise((r) => setTimeout(r, 400));
      expect(gatewayCounts(s1).in).toBe(1);
      expect(gatewayCounts(s2).out).toBe(1);
    } finally {
      gatewayTuning.solicitDelay = 10;
    }
  });

  test("TestGatewayUnknownGatewayCommand: a gateway INFO with an unknown command from a route is reported", async () => {
    const s1 = await topo.logged(memberConf("A", "A1", [], {}));
    const s2 = await topo.inProcess(memberConf("A", "A2", [routePort(s1)], {}));
    await waitFor(() => meshed([s1, s2]), "cluster A formed");
    // What A2's route delivers to A1's gateways (Go's test writes it on the route).
    expect(clusterUrls(s1.server, "gateway").routeInfo({ gateway: "B", gateway_cmd: 255 }, s2.server.id)).toBe(true);
    await waitFor(() => s1.lines.some((l) => l === `[ERR] Unknown command 255 from server ${s2.server.id}`), "error logged");
    expect(gatewayOf(s1).remotes.has("B")).toBe(false);
  });

  test("TestGatewayRoutedServerWithoutGatewayConfigured: a member without gateways reports the gossip its route brings", async () => {
    const s2 = await topo.inProcess(memberConf("B", "B1", [], {}));
    const s1 = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(s2).port }));
    await waitCounts([s1, s2], 1);
    const s3 = await topo.logged(`port: -1\nserver_name: "B2"\ncluster { name: "B", host: 127.0.0.1, port: -1, routes: ["nats-route://127.0.0.1:${routePort(s2)}"] }\n`);
    await waitFor(
      () => s3.lines.some((l) => l.startsWith(`[ERR] Received information about gateway "A" from ${s2.server.id}, but gateway is not configured`)),
      "error about the unconfigured gateway",
    );
  });

  test("TestGatewayImplicitReconnectRace: a cluster that comes back while we reconnect to it is reached at its new address", async () => {
    // Go slows B's address resolution down; here B's rounds of attempts are slow instead, and B
    // keeps its implicit gateway to A for a few of them.
    gatewayTuning.connectDelay = 300;
    try {
      const sb = await topo.inProcess(gatewayConf("B", -1, {}, "", "connect_retries: 5"));
      const sa1 = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(sb).port }));
      await waitCounts([sa1, sb], 1, 1);
      const reconnecting = gatewayOf(sb).remotes.get("A")!;
      await sa1.stop();
      await waitFor(() => gatewayCounts(sb).out === 0 && gatewayCounts(sb).in === 0, "B sees A1 gone");
      const sa2 = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(sb).port }));
      await waitFor(() => gatewayCounts(sa2).out === 1 && gatewayCounts(sb).in === 1, "A2 -> B");
      await waitCounts([sa2, sb], 1, 1);
      // The gateway B was reconnecting learnt A2's address from A2's INFO and got there.
      expect(gatewayOf(sb).remotes.get("A")).toBe(reconnecting);
      expect(reconnecting.hostPorts()).toContain(gatewayOf(sa2).gatewayUrl);
      expect(gatewayOf(sb).outbound.get("A")!.remoteId).toBe(sa2.server.id);
    } finally {
      gatewayTuning.connectDelay = 50;
    }
  });
});
