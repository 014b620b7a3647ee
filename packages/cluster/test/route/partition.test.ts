import { afterEach, describe, expect, test } from "vitest";
import { freePort, memberConf, numRoutes, remoteSubjects, routezOf, Topology, waitFor } from "./helpers.js";
import { listenerPort } from "../support/servers.js";
import { TcpProxy } from "../support/tcp-proxy.js";

const topo = new Topology();
const proxies: TcpProxy[] = [];
afterEach(async () => {
  await topo.stop();
  for (const p of proxies.splice(0)) await p.stop();
});

async function proxyTo(port: number): Promise<TcpProxy> {
  const p = await TcpProxy.start(port);
  proxies.push(p);
  return p;
}

describe("routes: partitions", () => {
  test("a cut route heals, interest re-syncs both ways and no queue message is delivered twice", async () => {
    const a = await topo.inProcess(memberConf({ name: "A", cluster: "p", port: -1 }));
    const proxy = await proxyTo(listenerPort(a.server, "cluster"));
    const b = await topo.inProcess(memberConf({ name: "B", cluster: "p", port: -1, routes: [proxy.port] }));
    await waitFor("route through the proxy", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);

    const counts = new Map<string, number>();
    const member = (_e: unknown, m: { string(): string }) => {
      counts.set(m.string(), (counts.get(m.string()) ?? 0) + 1);
    };
    const na = await topo.client(a.url);
    const nb = await topo.client(b.url);
    na.subscribe("jobs", { queue: "q", callback: member });
    nb.subscribe("jobs", { queue: "q", callback: member });
    await na.flush();
    await nb.flush();
    await waitFor("queue interest crossed", () => remoteSubjects(a.server, b.server.id).includes("jobs"));

    let sent = 0;
    const publishSome = async (n: number) => {
      for (let i = 0; i < n; i++) na.publish("jobs", String(sent++));
      await na.flush();
    };
    await publishSome(200);
    // What is in flight on a route when it is cut is lost (at most once, as in Go): settle first.
    await waitFor("first batch delivered", () => counts.size === sent);
    proxy.cut();
    await waitFor("partitioned", () => numRoutes(a.server) === 0 && numRoutes(b.server) === 0);
    await publishSome(200);
    // Interest that appears during the partition must reach A once the route is back.
    const late: string[] = [];
    nb.subscribe("late", { callback: (_e, m) => { late.push(m.string()); } });
    await nb.flush();
    proxy.heal();
    await waitFor("healed", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1, 8000);
    await publishSome(200);
    await waitFor("every job delivered", () => counts.size === sent);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    await waitFor("B's new interest on A", async () => {
      na.publish("late", "after-heal");
      await na.flush();
      return late.includes("after-heal");
    });
  });

  test("TestRouteSolicitedReconnectsEvenIfImplicit: a gossiped route that drops is dialled again, then given up after connect_retries", async () => {
    // One route per server pair (pool_size: -1) so that the failed dials are the one route's.
    const s1 = await topo.inProcess(memberConf({ name: "S1", cluster: "abc", port: -1, clusterExtra: "pool_size: -1" }));
    const p1 = listenerPort(s1.server, "cluster");
    // S3 is reached by gossip at the address it advertises: a proxy the test can cut. S3's route port
    // must be known before S3 starts (the proxy's port is in its configuration).
    const p3 = await freePort();
    const toS3 = await proxyTo(p3);
    const s2 = await topo.logged(memberConf({ name: "S2", cluster: "abc", port: -1, routes: [p1], clusterExtra: "connect_retries: 2\npool_size: -1" }));
    const s3 = await topo.inProcess(
      memberConf({ name: "S3", cluster: "abc", port: p3, routes: [p1], clusterExtra: `connect_retries: 2\npool_size: -1\nadvertise: "127.0.0.1:${toS3.port}"` }),
    );
    await waitFor("cluster formed", () => [s1, s2, s3].every((s) => numRoutes(s.server) === 2));
    const s2ToS3 = () => routezOf(s2.server).routes.find((r) => r.remote_name === "S3");
    expect(toS3.accepted).toBeGreaterThan(0);
    // Drop the S2-S3 route (neither has it configured): it must come back.
    toS3.cut();
    toS3.heal();
    await waitFor("S2-S3 route back", () => s2ToS3() !== undefined && numRoutes(s3.server) === 2, 8000);
    // With S3 gone (nothing listens at its address), S2 dials 1 + connect_retries times and stops.
    await s3.stop();
    await toS3.stop();
    const failures = () => s2.lines.filter((l) => /Error trying to connect to route \(attempt \d+\)/.test(l)).length;
    await waitFor("three failed dials", () => failures() === 3, 8000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(failures()).toBe(3);
  });

  test("TestRouteReconnectExponentialBackoff: with connect_backoff the delay between attempts doubles", async () => {
    // Port 1: nothing listens there, and outside the ephemeral range a dial can never connect to itself.
    const closed = 1;
    // One route (pool_size: -1): the attempts logged are that route's alone.
    const s = await topo.logged(memberConf({ cluster: "b", port: -1, routes: [closed], clusterExtra: "connect_backoff: true\npool_size: -1" }));
    const attempts = () => s.lines.map((l, i) => (/Error trying to connect to route \(attempt \d+\)/.test(l) ? s.times[i] : -1)).filter((t) => t >= 0);
    await waitFor("three attempts", () => attempts().length >= 3, 8000);
    const [t1, t2, t3] = attempts();
    expect(t2 - t1).toBeGreaterThanOrEqual(900);
    expect(t3 - t2).toBeGreaterThanOrEqual(1800);
  });
});
