import { afterEach, describe, expect, test } from "vitest";
import { gatewayTuning } from "../../src/gateway/index.js";
import { INFO_RE, PONG_RE, RawConn } from "../route/raw.js";
import { freePort } from "../support/servers.js";
import { gatewayConf, gatewayCounts, gatewayOf, memberConf, meshed, numRoutes, routePort, Topology, tuneGateways, waitFor } from "./helpers.js";

// The gateway URLs of a cluster: every member learns the others' over routes (their INFO's
// gateway_url) and announces the whole list to remote clusters, which keep it up to date.

// No PING from the server in the middle of a raw exchange (Go's DisableShortFirstPing).
tuneGateways({ solicitDelay: 10, reconnectDelay: 50, connectDelay: 50, firstPingDelay: 60_000 });

describe("gateway URLs of a cluster", () => {
  const topo = new Topology();
  afterEach(async () => {
    await topo.stop();
    gatewayTuning.doNotForceInterestOnly = false;
  });

  /** The `host:port` list a server of A knows for cluster `remote`. */
  const urlsOf = (s: Parameters<typeof gatewayOf>[0], remote: string) => gatewayOf(s).remotes.get(remote)?.hostPorts().sort() ?? [];

  test("TestGatewayUpdateURLsFromRemoteCluster: servers joining and leaving the remote cluster update the URLs we know", async () => {
    const b1 = await topo.inProcess(memberConf("B", "B1", [], {}));
    const sa = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(b1).port }));
    await waitFor(() => gatewayCounts(sa).out === 1 && gatewayCounts(b1).out === 1, "A <-> B1");
    const url = (s: typeof b1) => gatewayOf(s).gatewayUrl;

    const b2 = await topo.inProcess(memberConf("B", "B2", [routePort(b1)], { A: gatewayOf(sa).port }));
    await waitFor(() => meshed([b1, b2]) && gatewayCounts(b2).out === 1 && gatewayCounts(sa).in === 2, "B2 joined");
    await waitFor(() => urlsOf(sa, "B").join() === [url(b1), url(b2)].sort().join(), "A knows B1 and B2");

    const b3 = await topo.inProcess(memberConf("B", "B3", [routePort(b1)], { A: gatewayOf(sa).port }));
    await waitFor(() => meshed([b1, b2, b3]) && gatewayCounts(b3).out === 1 && gatewayCounts(sa).in === 3, "B3 joined");
    await waitFor(() => urlsOf(sa, "B").join() === [url(b1), url(b2), url(b3)].sort().join(), "A knows B1, B2 and B3");

    const gone = url(b2);
    await b2.stop();
    await waitFor(() => urlsOf(sa, "B").join() === [url(b1), url(b3)].sort().join(), "A forgets B2");
    expect(urlsOf(sa, "B")).not.toContain(gone);
  });

  test("TestGatewayURLsNotRemovedOnDuplicateRoute: a duplicate route closing keeps the member's gateway URL", async () => {
    // As in Go, both route ports are chosen ahead: each server solicits the other, so duplicate routes happen.
    const [p1, p2] = [await freePort(), await freePort()];
    const routes = `routes: [ "nats-route://127.0.0.1:${p1}", "nats-route://127.0.0.1:${p2}" ]`;
    const conf = (server: string, port: number) =>
      gatewayConf("B", -1, {}, `cluster { name: "B", host: 127.0.0.1, port: ${port}, ${routes} }`).replace(`server_name: "B-1"`, `server_name: "${server}"`);
    const sb1 = await topo.inProcess(conf("B1", p1));
    const sb2 = await topo.inProcess(conf("B2", p2));
    await waitFor(() => numRoutes(sb1) === 1 && numRoutes(sb2) === 1 && meshed([sb1, sb2]), "cluster B formed");
    const sa = await topo.inProcess(gatewayConf("A", -1, { B: gatewayOf(sb1).port }));
    await waitFor(() => gatewayCounts(sb1).out === 1 && gatewayCounts(sb2).out === 1 && gatewayCounts(sa).out === 1 && gatewayCounts(sa).in === 2, "gateways");
    for (const s of [sb1, sb2]) expect(gatewayOf(s).clusterUrls.size).toBe(2);
    expect(urlsOf(sa, "B")).toHaveLength(2);
  });

  test("TestGatewayAdvertiseInCluster: an advertised URL several members share is announced once, and stays while one still has it", async () => {
    // Go's test keeps the accounts optimistic, so that the fake gateway sees no interest-only commands.
    gatewayTuning.doNotForceInterestOnly = true;
    const sb1 = await topo.inProcess(memberConf("B", "B1", [], {}));
    const gA = await RawConn.open(gatewayOf(sb1).listenPort);
    try {
      await gA.expect(INFO_RE);
      gA.send(`CONNECT {"verbose":false,"pedantic":false,"tls_required":false,"gateway":"A"}\r\nINFO {"gateway":"A"}\r\nPING\r\n`);
      await gA.expect(PONG_RE);

      const advertised = (server: string) => memberConf("B", server, [routePort(sb1)], {}).replace(" port: -1\n gateways", ` port: -1\n advertise: "srvB:7222"\n gateways`);
      const sb2 = await topo.inProcess(advertised("B2"));
      await waitFor(() => meshed([sb1, sb2]), "B1 and B2 routed");
      const info = JSON.parse((await gA.expect(INFO_RE))[1]) as { gateway_urls: string[] };
      expect(info.gateway_urls).toContain("srvB:7222");

      const sb3 = await topo.inProcess(advertised("B3"));
      await waitFor(() => numRoutes(sb1) === 2 && numRoutes(sb3) === 2, "B1, B2 and B3 routed");
      // The same srvB:7222 again: no update.
      expect(await gA.untilPong()).toBe("");

      // B2 gone, B3 still advertises srvB:7222: no update either.
      await sb2.stop();
      await waitFor(() => numRoutes(sb1) === 1, "B1 sees B2 gone");
      expect(await gA.untilPong()).toBe("");
    } finally {
      gA.close();
    }
  });
});
