import { afterEach, describe, expect, test } from "vitest";
import { startGo, type TestServer } from "../support/servers.js";
import { checkTraffic, goListenerPort, memberConf, numRoutes, routePortOf, routesTo, routezOf, Topology, waitFor } from "./helpers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** A Go member of cluster "mixed" on random ports, with its route port. */
async function goMember(name: string, routes: number[]): Promise<TestServer & { routePort: number }> {
  const conf = `
    server_name: ${name}
    host: 127.0.0.1
    port: -1
    cluster {
      name: mixed
      host: 127.0.0.1
      port: -1
      routes: [${routes.map((p) => `"nats-route://127.0.0.1:${p}"`).join(", ")}]
    }
  `;
  const go = topo.track(await startGo(conf));
  return Object.assign(go, { routePort: await goListenerPort(go, "route") });
}


describe("routes: interop with Go nats-server 2.9", () => {
  test("a nats-ts node joins a Go cluster (knowing one seed) and learns the other Go node by gossip", async () => {
    const go1 = await goMember("go1", []);
    const go2 = await goMember("go2", [go1.routePort]);
    // Pooled nats-ts (the default) with Go 2.9, which does not pool: one route each, Go's refusal of the pinned one.
    const ts = await topo.logged(memberConf({ name: "ts", cluster: "mixed", port: -1, routes: [go1.routePort] }));
    await waitFor("nats-ts routed to both Go nodes", () => numRoutes(ts.server) === 2);
    await checkTraffic(topo, [ts.url, go1.url, go2.url]);
    const names = routezOf(ts.server).routes.map((r) => r.remote_name).sort();
    expect(names).toEqual(["go1", "go2"]);
    expect(routezOf(ts.server).routes.every((r) => r.account === undefined)).toBe(true);
    // Go 2.9 announces no compression: nats-ts (configured "accept" by default) leaves the routes as they were.
    expect(routezOf(ts.server).routes.map((r) => r.compression)).toEqual(["not supported", "not supported"]);
    expect(ts.lines.some((l) => l.startsWith("[ERR]") && l.includes('Not possible to have a dedicated route for account "$SYS" between those servers'))).toBe(true);
  });

  test("a Go node joins a nats-ts cluster", async () => {
    const ts1 = await topo.inProcess(memberConf({ name: "ts1", cluster: "mixed", port: -1 }));
    const p1 = routePortOf(ts1);
    const ts2 = await topo.inProcess(memberConf({ name: "ts2", cluster: "mixed", port: -1, routes: [p1] }));
    await waitFor("ts mesh", () => numRoutes(ts1.server) === 1);
    const go = await goMember("go", [p1]);
    await waitFor("Go node meshed with both nats-ts nodes", () => numRoutes(ts1.server) === 2 && numRoutes(ts2.server) === 2);
    await checkTraffic(topo, [go.url, ts1.url, ts2.url]);
    // The nats-ts nodes pool between themselves (3 + the system account's route) and keep one route to Go.
    const goId = routezOf(ts1.server).routes.find((r) => r.remote_name === "go")!.remote_id as string;
    for (const ts of [ts1, ts2]) {
      await waitFor("one route to the Go node", () => routesTo(ts.server, goId).length === 1);
      expect(routezOf(ts.server).num_routes).toBe(5);
      expect(routesTo(ts.server, goId)[0].compression).toBe("not supported");
    }
  });

  test("a Go node that restarts rejoins the nats-ts cluster and interest re-syncs", async () => {
    const ts1 = await topo.inProcess(memberConf({ name: "ts1", cluster: "mixed", port: -1 }));
    const p1 = routePortOf(ts1);
    const ts2 = await topo.inProcess(memberConf({ name: "ts2", cluster: "mixed", port: -1, routes: [p1] }));
    let go = await goMember("go", [p1]);
    await waitFor("mesh", () => numRoutes(ts1.server) === 2 && numRoutes(ts2.server) === 2);
    const onTs: string[] = [];
    const sub = await topo.client(ts2.url);
    sub.subscribe("resync", { callback: (_e, m) => { onTs.push(m.string()); } });
    await sub.flush();
    await go.stop();
    await waitFor("Go node gone", () => numRoutes(ts1.server) === 1 && numRoutes(ts2.server) === 1);
    go = await goMember("go", [p1]);
    await waitFor("Go node back", () => numRoutes(ts1.server) === 2 && numRoutes(ts2.server) === 2, 10_000);
    const pub = await topo.client(go.url);
    await waitFor("ts2's interest on the restarted Go node", async () => {
      pub.publish("resync", "from-go");
      await pub.flush();
      return onTs.includes("from-go");
    });
  });
});

describe("routes: route authorization with Go 2.9", () => {
  test("nats-ts and Go authenticate each other's routes both ways (and refuse wrong credentials)", async () => {
    const auth = "authorization { user: ruser, password: rpwd, timeout: 2 }";
    // Go dials a nats-ts server (which checks Go's CONNECT), another nats-ts server dials Go (which checks ours).
    const ts = await topo.inProcess(memberConf({ name: "ts", cluster: "sec", port: -1, clusterExtra: auth }));
    const go = topo.track(
      await startGo(`
        server_name: go
        host: 127.0.0.1
        port: -1
        cluster { name: sec, host: 127.0.0.1, port: -1, ${auth}, routes: ["nats-route://ruser:rpwd@127.0.0.1:${routePortOf(ts)}"] }
      `),
    );
    const pg = await goListenerPort(go, "route");
    await waitFor("Go's route to nats-ts", () => numRoutes(ts.server) === 1);
    const ts2 = await topo.inProcess(
      memberConf({ name: "ts2", cluster: "sec", port: -1, clusterExtra: `${auth}\nroutes: ["nats-route://ruser:rpwd@127.0.0.1:${pg}"]` }),
    );
    await waitFor("authenticated routes", () => numRoutes(ts.server) === 2 && numRoutes(ts2.server) === 2);
    await checkTraffic(topo, [ts.url, go.url, ts2.url]);
    const bad = await topo.logged(memberConf({ name: "bad", cluster: "sec", port: -1, clusterExtra: `routes: ["nats-route://ruser:wrong@127.0.0.1:${pg}"]` }));
    await waitFor("refused", () => bad.lines.some((l) => l.includes("Authorization Violation")), 5000);
    // Like Go, the dialling side registers the route on the peer's INFO and drops it on the -ERR:
    // between retries it has none, and the cluster never learns of it.
    await waitFor("the refused route dropped", () => numRoutes(bad.server) === 0, 5000);
    expect(numRoutes(ts.server)).toBe(2);
    expect(numRoutes(ts2.server)).toBe(2);
  });
});

describe("routes: Go leaf traffic through a Go hub in a mixed cluster", () => {
  test("LS+/LMSG: a leaf cluster's interest and messages cross the hub's route to nats-ts and back", async () => {
    const hub = topo.track(
      await startGo(`
        server_name: hub
        host: 127.0.0.1
        port: -1
        leafnodes { host: 127.0.0.1, port: -1 }
        cluster { name: mixed, host: 127.0.0.1, port: -1 }
      `),
    );
    const [ph, leafPort] = [await goListenerPort(hub, "route"), await goListenerPort(hub, "leafnode")];
    const ts = await topo.inProcess(memberConf({ name: "ts", cluster: "mixed", port: -1, routes: [ph] }));
    await waitFor("route to the hub", () => numRoutes(ts.server) === 1);
    const leaf = topo.track(
      await startGo(`
        server_name: leaf
        host: 127.0.0.1
        port: -1
        cluster { name: leafc, host: 127.0.0.1, port: -1 }
        leafnodes { remotes: [{ url: "nats://127.0.0.1:${leafPort}" }] }
      `),
    );
    // Leaf subscriber, nats-ts publisher: the hub tells nats-ts of the leaf's interest (LS+ with origin).
    const onLeaf: string[] = [];
    const leafClient = await topo.client(leaf.url);
    leafClient.subscribe("edge.>", { callback: (_e, m) => { onLeaf.push(m.subject); } });
    await leafClient.flush();
    const tsClient = await topo.client(ts.url);
    await waitFor("nats-ts to leaf", async () => {
      tsClient.publish("edge.down");
      await tsClient.flush();
      return onLeaf.includes("edge.down");
    });
    // nats-ts subscriber, leaf publisher: the hub forwards it to nats-ts as LMSG (origin cluster).
    const onTs: string[] = [];
    tsClient.subscribe("core.>", { callback: (_e, m) => { onTs.push(m.subject); } });
    await tsClient.flush();
    await waitFor("leaf to nats-ts", async () => {
      leafClient.publish("core.up", "x");
      await leafClient.flush();
      return onTs.includes("core.up");
    });
    expect(numRoutes(ts.server)).toBe(1);
  });
});
