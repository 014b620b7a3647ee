import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { freePort, memberConf, numRoutes, routePortOf, routezOf, Topology, waitFor } from "./helpers.js";
import { INFO_RE, RawConn, rawClient, rawRoute, RSUB_RE } from "./raw.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** The INFO a new client gets (cluster name, connect_urls). */
async function clientInfo(port: number): Promise<Record<string, unknown>> {
  const c = topo.keepRaw(await RawConn.open(port));
  const info = JSON.parse((await c.expect(INFO_RE))[1]) as Record<string, unknown>;
  c.close();
  return info;
}


/** A protocol-1 client that has completed its handshake, so it gets async INFO updates. */
async function infoClient(port: number): Promise<RawConn> {
  const c = topo.keepRaw(await RawConn.open(port));
  await c.expect(INFO_RE);
  await c.untilPong(`CONNECT {"verbose":false,"protocol":1}\r\n`);
  return c;
}

describe("routes: reconnects, restarts and the clients' view", () => {
  test("TestRoutesToEachOther: two servers that solicit each other end up with one route", async () => {
    // Each names the other: both ports must be known ahead.
    const [pa, pb] = await Promise.all([freePort(), freePort()]);
    const a = await topo.inProcess(memberConf({ cluster: "c", port: pa, routes: [pb] }));
    const b = await topo.inProcess(memberConf({ cluster: "c", port: pb, routes: [pa] }));
    await waitFor("one route each", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    // Duplicates resolved: still (or again) one route each once things settle.
    await new Promise((r) => setTimeout(r, 300));
    await waitFor("one route each after settling", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    expect(routezOf(a.server).routes[0].remote_id).toBe(b.server.id);
  });

  test("TestRouteDuplicateServerName: a server with this server's name is refused with Go's error", async () => {
    const a = await topo.logged(memberConf({ name: "A", cluster: "c", port: -1 }));
    const b = await topo.inProcess(memberConf({ name: "A", cluster: "c", port: -1, routes: [routePortOf(a)] }));
    await waitFor("duplicate name error", () => a.lines.some((l) => l.startsWith("[ERR]") && l.includes('Remote server has a duplicate name: "A"')));
    expect(numRoutes(a.server)).toBe(0);
    expect(numRoutes(b.server)).toBe(0);
  });

  test("a configured route to this server itself is never dialled (Go's routes to self)", async () => {
    // The route names the server's own port, so it must be known ahead.
    const port = await freePort();
    const s = await topo.logged(memberConf({ cluster: "c", port, routes: [port] }));
    await new Promise((r) => setTimeout(r, 200));
    expect(s.lines.some((l) => l.includes("Trying to connect to route"))).toBe(false);
    expect(numRoutes(s.server)).toBe(0);
  });

  test("TestClusterAdvertise: gossip sends the other servers to a member's advertised address", async () => {
    const advertised: Socket[] = [];
    const lst = createServer((sock) => {
      advertised.push(sock);
      sock.destroy();
    });
    await new Promise<void>((r) => lst.listen(0, "127.0.0.1", () => r()));
    topo.keepListener(lst);
    const a = await topo.inProcess(memberConf({ cluster: "adv", port: -1 }));
    const pa = routePortOf(a);
    const b = await topo.inProcess(memberConf({ cluster: "adv", port: -1, routes: [pa] }));
    await waitFor("A-B", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    const advPort = (lst.address() as { port: number }).port;
    await topo.inProcess(memberConf({ cluster: "adv", port: -1, routes: [pa], clusterExtra: `advertise: "127.0.0.1:${advPort}"` }));
    await waitFor("B dialled C's advertised address", () => advertised.length > 0, 3000);
  });

  test("TestRoutesOnlyImportOrExport: cluster permissions with only import or only export are accepted", async () => {
    const contents = [
      `import: "foo"`,
      `import: { allow: "foo" }`,
      `import: { deny: "foo" }`,
      `import: { allow: "foo", deny: "foo" }`,
      `export: "foo"`,
      `export: { allow: "foo" }`,
      `export: { deny: "foo" }`,
      `export: { allow: "foo", deny: "foo" }`,
    ];
    for (const c of contents) {
      const s = await topo.inProcess(`port: -1\ncluster {\n name: "Z"\n port: -1\n authorization {\n user: ivan\n password: pwd\n permissions {\n ${c}\n }\n }\n}\n`);
      await s.stop();
    }
  });

  test("TestProperServerWithRoutesShutdown: a server with routes shuts down promptly and its peers notice", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "sd", port: -1 }));
    const pa = routePortOf(a);
    const b = await topo.inProcess(memberConf({ cluster: "sd", port: -1, routes: [pa] }));
    const pb = routePortOf(b);
    await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    const started = Date.now();
    await b.stop();
    expect(Date.now() - started).toBeLessThan(2000);
    await waitFor("A saw B go", () => numRoutes(a.server) === 0);
    // The route port is released: a new server can take it at once.
    const again = await topo.inProcess(memberConf({ cluster: "sd", port: pb, routes: [pa] }));
    await waitFor("route again", () => numRoutes(again.server) === 1);
  });

  test("TestRouteUseIPv6: a route listener on :: takes routes over IPv6 loopback", async () => {
    const a = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { name: v6, host: "::", port: -1 }`);
    const b = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { name: v6, host: "::1", port: -1, routes: ["nats-route://[::1]:${routePortOf(a)}"] }`);
    await waitFor("route over IPv6", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    expect(routezOf(b.server).routes[0].ip).toBe("::1");
  });

  test("TestRouteResendsLocalSubsOnReconnect: a route that comes back gets the local interest again", async () => {
    // One route per remote (pool_size: -1): the fake route speaks the unpooled protocol, as in Go's harness.
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1", name: xyz, pool_size: -1 }`);
    const routePort = routePortOf(s);
    const c = topo.keepRaw(await rawClient(s.port));
    await c.untilPong("SUB foo 1\r\n");
    for (let i = 0; i < 2; i++) {
      const { conn, info } = await rawRoute(routePort, "ROUTE:1234");
      topo.keepRaw(conn);
      conn.send(`INFO ${JSON.stringify({ ...info, server_id: "ROUTE:1234", server_name: "" })}\r\n`);
      const m = await conn.expect(RSUB_RE);
      expect([m[1], m[2]]).toEqual(["$G", "foo"]);
      conn.close();
      await waitFor("route gone", () => numRoutes(s.server) === 0);
    }
  });

  test("TestSolicitRouteReconnect: an explicit route that drops is dialled again", async () => {
    const accepted: Socket[] = [];
    const l = topo.keepListener(createServer((sock) => accepted.push(sock)));
    await new Promise<void>((r) => l.listen(0, "127.0.0.1", () => r()));
    const solicitPort = (l.address() as { port: number }).port;
    await topo.inProcess(memberConf({ cluster: "xyz", port: -1, routes: [solicitPort], clusterExtra: "pool_size: -1" }));
    await waitFor("first connection", () => accepted.length === 1);
    accepted[0].destroy();
    await waitFor("reconnected", () => accepted.length === 2, 5000);
    accepted[1].destroy();
  });

  test("a restarted node rejoins and interest re-syncs both ways", async () => {
    const a = await topo.inProcess(memberConf({ name: "A", cluster: "c", port: -1 }));
    const pa = routePortOf(a);
    const c = await topo.inProcess(memberConf({ name: "C", cluster: "c", port: -1, routes: [pa] }));
    const pc = routePortOf(c);
    let b = await topo.inProcess(memberConf({ name: "B", cluster: "c", port: -1, routes: [pa, pc] }));
    await waitFor("mesh", () => [a, b, c].every((s) => numRoutes(s.server) === 2));
    const subA = await topo.client(a.url);
    const onA: string[] = [];
    subA.subscribe("restart.>", { callback: (_e, m) => { onA.push(m.string()); } });
    await subA.flush();
    await b.stop();
    await waitFor("B gone", () => numRoutes(a.server) === 1 && numRoutes(c.server) === 1);
    b = await topo.inProcess(memberConf({ name: "B", cluster: "c", port: -1, routes: [pa, pc] }));
    await waitFor("B back in the mesh", () => [a, b, c].every((s) => numRoutes(s.server) === 2), 8000);
    // A's interest reached the new B.
    const pubB = await topo.client(b.url);
    await waitFor("A's interest on B", async () => {
      pubB.publish("restart.x", "from-b");
      await pubB.flush();
      return onA.includes("from-b");
    });
    // B's new interest reached A and C.
    const subB = await topo.client(b.url);
    const onB: string[] = [];
    subB.subscribe("back.>", { callback: (_e, m) => { onB.push(m.string()); } });
    await subB.flush();
    const pubC = await topo.client(c.url);
    await waitFor("B's interest on C", async () => {
      pubC.publish("back.x", "from-c");
      await pubC.flush();
      return onB.includes("from-c");
    });
  });

  test("TestRouteSendAsyncINFOToClients: clients learn the other servers' URLs and lose them when the route goes", async () => {
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1", name: xyz }`);
    const routePort = routePortOf(s);
    const clientUrl = `127.0.0.1:${s.port}`;
    const old = topo.keepRaw(await rawClient(s.port));
    const fresh = await infoClient(s.port);
    const createRoute = async () => {
      const { conn, info } = await rawRoute(routePort, "Server-B");
      topo.keepRaw(conn);
      expect(info.connect_urls).toEqual([clientUrl]);
      return conn;
    };
    const sendRouteInfo = async (conn: RawConn, urls: string[]) => {
      await conn.untilPong(`INFO ${JSON.stringify({ server_id: "Server-B", cluster: "xyz", host: "127.0.0.1", port: 5222, connect_urls: urls })}\r\n`);
    };
    const nextUrls = async () => (JSON.parse((await fresh.expect(INFO_RE))[1]) as { connect_urls?: string[] }).connect_urls?.sort();
    let rc = await createRoute();
    await sendRouteInfo(rc, ["127.0.0.1:5222"]);
    expect(await nextUrls()).toEqual([clientUrl, "127.0.0.1:5222"].sort());
    rc.close();
    expect(await nextUrls()).toEqual([clientUrl]);
    rc = await createRoute();
    await sendRouteInfo(rc, ["127.0.0.1:5222", "127.0.0.1:7777"]);
    expect(await nextUrls()).toEqual([clientUrl, "127.0.0.1:5222", "127.0.0.1:7777"].sort());
    // A client that did not ask for async INFO (protocol 0) gets none.
    expect(await old.nothing(50)).toBe("");
  });

  test("no_advertise: the route INFO carries no client URLs and clients are not told of other servers", async () => {
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1", name: xyz, no_advertise: true }`);
    const routePort = routePortOf(s);
    const fresh = await infoClient(s.port);
    const { conn, info } = await rawRoute(routePort, "Server-B");
    topo.keepRaw(conn);
    expect(info.connect_urls).toBeUndefined();
    await conn.untilPong(`INFO ${JSON.stringify({ server_id: "Server-B", cluster: "xyz", connect_urls: ["127.0.0.1:5222"] })}\r\n`);
    expect(await fresh.nothing(100)).toBe("");
    expect((await clientInfo(s.port)).connect_urls).toBeUndefined();
  });

  test("TestServerPoolUpdatedWhenRouteGoesAway: clients' connect_urls follow the members of a real cluster", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "c", port: -1 }));
    const fresh = await infoClient(a.port);
    const b = await topo.inProcess(memberConf({ cluster: "c", port: -1, routes: [routePortOf(a)] }));
    const urls = async () => (JSON.parse((await fresh.expect(INFO_RE))[1]) as { connect_urls: string[] }).connect_urls.sort();
    expect(await urls()).toEqual([`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`].sort());
    await b.stop();
    expect(await urls()).toEqual([`127.0.0.1:${a.port}`]);
  });

  test("lame duck: the other servers drop this server's URL from what they tell their clients", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "c", port: -1, extra: "lame_duck_duration: 2s\nlame_duck_grace_period: 1s" }));
    const b = await topo.inProcess(memberConf({ cluster: "c", port: -1, routes: [routePortOf(a)] }));
    await waitFor("route", () => numRoutes(b.server) === 1);
    const fresh = await infoClient(b.port);
    expect((await clientInfo(b.port)).connect_urls).toEqual(expect.arrayContaining([`127.0.0.1:${a.port}`]));
    void a.server.enterLameDuckMode();
    const info = JSON.parse((await fresh.expect(INFO_RE))[1]) as { connect_urls: string[] };
    expect(info.connect_urls).toEqual([`127.0.0.1:${b.port}`]);
  });
});

describe("routes: cluster names", () => {
  test("TestEphemeralClusterName: without a name the server makes one up and tells clients", async () => {
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1" }`);
    expect((await clientInfo(s.port)).cluster).toMatch(/^[0-9A-Za-z]{22}$/);
  });

  test("TestClusterNameOption: the configured name is the clients' INFO cluster", async () => {
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { name: MyCluster, listen: "127.0.0.1:-1" }`);
    expect((await clientInfo(s.port)).cluster).toBe("MyCluster");
  });

  test("TestClusterNameConflictsDropRoutes: servers with different names never form a route", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "AAA", port: -1 }));
    const b = await topo.inProcess(memberConf({ cluster: "BBB", port: -1, routes: [routePortOf(a)] }));
    await new Promise((r) => setTimeout(r, 500));
    expect(numRoutes(a.server)).toBe(0);
    expect(numRoutes(b.server)).toBe(0);
  });

  test("TestClusterNameDynamicNegotiation: servers without names converge on one", async () => {
    const seed = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1" }`);
    const seedPort = routePortOf(seed);
    const others = [];
    for (let i = 0; i < 4; i++) {
      others.push(await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1", routes: ["nats-route://127.0.0.1:${seedPort}"] }`));
    }
    const all = [seed, ...others];
    await waitFor("cluster formed", () => all.every((s) => numRoutes(s.server) === all.length - 1), 10_000);
    const names = new Set(await Promise.all(all.map(async (s) => (await clientInfo(s.port)).cluster)));
    expect(names.size).toBe(1);
  });

  test("TestRouteClusterNameConflictBetweenStaticAndDynamic: a dynamic name yields to a configured one", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "AAAAAAAAAAAAAAAAAAAA", port: -1 }));
    const b = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1", routes: ["nats://127.0.0.1:${routePortOf(a)}"] }`);
    await waitFor("cluster formed", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    expect((await clientInfo(b.port)).cluster).toBe("AAAAAAAAAAAAAAAAAAAA");
  });
});
