import { NatsServer, optionsFromConf, parseConf } from "@nats-ts/core";
import { afterEach, describe, expect, test } from "vitest";
import { startRoutes, type RouteService } from "../../src/route/index.js";
import { listenerPort } from "../support/servers.js";
import { freePort, memberConf, numRoutes, routezOf, Topology, waitFor } from "./helpers.js";

const topo = new Topology();
const extra: { stop(): Promise<void> | void }[] = [];
afterEach(async () => {
  for (const e of extra.splice(0)) await e.stop();
  await topo.stop();
});

describe("routes: monitoring", () => {
  test("routez reports Go's route fields, and the remote interest when asked", async () => {
    // One route per remote (pool_size: -1), so that routes[0] is the one carrying everything.
    const a = await topo.inProcess(memberConf({ name: "A", cluster: "m", port: -1, clusterExtra: "pool_size: -1" }));
    const pa = listenerPort(a.server, "cluster");
    const b = await topo.inProcess(memberConf({ name: "B", cluster: "m", port: -1, routes: [pa], clusterExtra: "pool_size: -1" }));
    await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    const nc = await topo.client(a.url);
    nc.subscribe("watched.>");
    nc.subscribe("work", { queue: "q" });
    await nc.flush();
    await waitFor("interest on B", () => routezOf(b.server).routes[0].subscriptions === 2);
    const pub = await topo.client(b.url);
    pub.publish("watched.one", "12345");
    await pub.flush();
    await waitFor("counted", () => routezOf(b.server).routes[0].out_msgs === 1);

    const z = routezOf(b.server, true);
    expect(z.num_routes).toBe(1);
    const r = z.routes[0];
    expect(r).toMatchObject({
      remote_id: a.server.id,
      remote_name: "A",
      did_solicit: true,
      is_configured: true,
      ip: "127.0.0.1",
      port: pa,
      out_msgs: 1,
      out_bytes: 5,
      pending_size: 0,
      subscriptions: 2,
    });
    expect(typeof r.rid).toBe("number");
    expect(new Date(r.start as string).getTime()).toBeGreaterThan(0);
    expect(new Date(r.last_activity as string).getTime()).toBeGreaterThan(0);
    expect(r.uptime).toMatch(/^\d+s$/);
    expect(r.idle).toMatch(/^\d+s$/);
    expect((r.subscriptions_list as string[]).sort()).toEqual(["watched.>", "work"]);

    const onA = routezOf(a.server).routes[0];
    expect(onA).toMatchObject({ remote_id: b.server.id, remote_name: "B", did_solicit: false, is_configured: false, in_msgs: 1, in_bytes: 5 });

    const plugin = a.server.plugin<import("../../src/index.js").ClusterPlugin>("cluster")!;
    const detail = plugin.routez({ subscriptions: false, subscriptionsDetail: true }) as { routes: { subscriptions_list_detail: unknown[] }[] };
    expect(detail.routes[0].subscriptions_list_detail).toEqual([]);
    const detailB = b.server.plugin<import("../../src/index.js").ClusterPlugin>("cluster")!.routez({ subscriptions: false, subscriptionsDetail: true }) as {
      routes: { subscriptions_list_detail: Record<string, unknown>[] }[];
    };
    expect(detailB.routes[0].subscriptions_list_detail).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ account: "$G", subject: "watched.>" }),
        expect.objectContaining({ account: "$G", subject: "work", qgroup: "q" }),
      ]),
    );
  });

  test("TestRouteRTT: routez shows the route's round trip once a PING came back", async () => {
    const a = await topo.inProcess(memberConf({ cluster: "m", port: -1 }));
    const b = await topo.inProcess(memberConf({ cluster: "m", port: -1, routes: [listenerPort(a.server, "cluster")] }));
    await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    for (const s of [a, b]) {
      const rtt = await waitFor("rtt", () => routezOf(s.server).routes[0].rtt as string | undefined);
      expect(rtt).toMatch(/^[\d.]+(ns|µs|ms|s)$/);
    }
  });

  test("the routes service gives /varz its cluster object and route count", async () => {
    const port = await freePort();
    const { options } = optionsFromConf(
      parseConf(`
        listen: "127.0.0.1:-1"
        cluster {
          name: east
          listen: "127.0.0.1:${port}"
          authorization { user: ruser, password: pwd, timeout: 3 }
          routes: ["nats-route://ruser:pwd@127.0.0.1:1", "nats-route://127.0.0.1:2"]
        }
      `),
    );
    const server = new NatsServer(options);
    await server.start();
    const routes = (await startRoutes(server)) as RouteService;
    extra.push({ stop: () => server.shutdown() }, routes);
    expect(routes.varzCluster()).toEqual({
      name: "east",
      addr: "127.0.0.1",
      cluster_port: port,
      auth_timeout: 3,
      urls: ["127.0.0.1:1", "127.0.0.1:2"],
      tls_timeout: undefined,
      tls_required: undefined,
      tls_verify: undefined,
      pool_size: 3,
    });
    expect(routes.numRoutes()).toBe(0);
    expect(routes.varz()).toEqual({ cluster: routes.varzCluster(), routes: 0, remotes: 0 });
    expect(routes.port).toBe(port);
    expect(routes.clusterName).toBe("east");
  });
});
