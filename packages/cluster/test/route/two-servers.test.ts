import type { NatsServer } from "@nats-ts/core";
import { afterEach, describe, expect, test } from "vitest";
import { memberConf, numRoutes, routePortOf, Topology, waitFor } from "./helpers.js";
import { MSG_RE, PONG_RE, RawConn, rawClient } from "./raw.js";

const topo = new Topology();
const raws: RawConn[] = [];
afterEach(async () => {
  for (const r of raws.splice(0)) r.close();
  await topo.stop();
});

/** Go's runServers: two routed servers A and B. */
async function runServers() {
  // Random route ports, read back once bound: ports picked ahead can be taken by a parallel test.
  const a = await topo.inProcess(memberConf({ cluster: "xyz", port: -1 }));
  const pa = Number(new URL(a.server.listeners.cluster[0]).port);
  const b = await topo.inProcess(memberConf({ cluster: "xyz", port: -1, routes: [pa] }));
  await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
  return { a, b };
}

/**
 * Go's NumSubscriptions: local subscriptions plus one per remote subject or queue group (a
 * remote queue group of weight w is w sublist entries here, one subscription in Go).
 */
function numSubscriptions(server: NatsServer): number {
  const seen = new Set<string>();
  let n = 0;
  for (const s of server.globalAccount.sublist.all()) {
    if (!s.remote) n++;
    else seen.add(`${s.sink.cid} ${s.subject} ${s.queue ?? ""}`);
  }
  return n + seen.size;
}

async function checkExpectedSubs(n: number, ...servers: NatsServer[]): Promise<void> {
  await waitFor(`${n} subscriptions`, () => servers.every((s) => numSubscriptions(s) === n));
}

async function client(port: number): Promise<RawConn> {
  const c = await rawClient(port);
  raws.push(c);
  return c;
}

async function send(c: RawConn, proto: string): Promise<void> {
  c.send(`${proto}PING\r\n`);
  await c.expect(PONG_RE);
}

describe("routes: two servers (Go test/cluster_test.go, test/client_cluster_test.go)", () => {
  test("TestBasicClusterPubSub: a PUB on B reaches A's subscriber", async () => {
    const { a, b } = await runServers();
    const ca = await client(a.port);
    await send(ca, "SUB foo 22\r\n");
    await checkExpectedSubs(1, a.server, b.server);
    const cb = await client(b.port);
    await send(cb, "PUB foo 2\r\nok\r\n");
    const m = await ca.expect(MSG_RE);
    expect([m[1], m[2], m[3], m[4], m[5]]).toEqual(["foo", "22", undefined, "2", "ok"]);
  });

  test("TestClusterDoubleMsgs: one queue delivery and every plain subscription, once each", async () => {
    const { a, b } = await runServers();
    const a1 = await client(a.port);
    const a2 = await client(a.port);
    const cb = await client(b.port);
    await send(a1, "SUB foo qg1 1\r\nSUB foo qg1 2\r\nSUB foo qg1 3\r\n");
    await checkExpectedSubs(1, b.server);
    await send(cb, "PUB foo 2\r\nok\r\n");
    expect(["1", "2", "3"]).toContain((await a1.expect(MSG_RE))[2]);
    await send(a2, "SUB > 1\r\nSUB foo 2\r\n");
    await checkExpectedSubs(3, b.server);
    await send(cb, "PUB foo 2\r\nok\r\n");
    expect(["1", "2", "3"]).toContain((await a1.expect(MSG_RE))[2]);
    expect((await a2.collect(MSG_RE, 2)).map((m) => m[2]).sort()).toEqual(["1", "2"]);
    a1.close();
    await checkExpectedSubs(2, b.server);
    await send(cb, "PUB foo 2\r\nok\r\n");
    expect((await a2.collect(MSG_RE, 2)).map((m) => m[2]).sort()).toEqual(["1", "2"]);
    await send(a2, "");
    expect(a2.pending).not.toMatch(/MSG/);
  });

  test("TestAutoUnsubscribePropagation: auto-unsubscribed subscriptions leave nothing behind on the other server", async () => {
    const { a, b } = await runServers();
    const ca = await client(a.port);
    for (let i = 1; i <= 100; i++) {
      ca.send(`SUB foo ${i}\r\nUNSUB ${i} 1\r\nPUB foo 2\r\nok\r\n`);
      await ca.expect(MSG_RE);
    }
    await send(ca, "");
    await checkExpectedSubs(0, b.server);
  });

  test("TestAutoUnsubscribePropagationOnClientDisconnect: a pending auto-unsubscribe goes away with its client", async () => {
    const { a, b } = await runServers();
    const ca = await client(a.port);
    await checkExpectedSubs(0, a.server, b.server);
    await send(ca, "SUB foo 1\r\nUNSUB 1 1\r\n");
    await checkExpectedSubs(1, a.server, b.server);
    ca.close();
    await checkExpectedSubs(0, a.server, b.server);
  });

  test("TestClusterDropsRemoteSids: the other server follows subscribe, unsubscribe and disconnect", async () => {
    const { a, b } = await runServers();
    const ca = await client(a.port);
    await send(ca, "SUB foo 1\r\n");
    await checkExpectedSubs(1, a.server, b.server);
    await send(ca, "SUB bar 2\r\n");
    await checkExpectedSubs(2, a.server, b.server);
    await send(ca, "UNSUB 1\r\n");
    await checkExpectedSubs(1, a.server, b.server);
    ca.close();
    await checkExpectedSubs(0, a.server, b.server);
  });

  test("TestNewRouteHeaderSupport: a message with headers crosses the route as HMSG and arrives intact", async () => {
    const { a, b } = await runServers();
    const ca = raws[raws.push(await RawConn.open(a.port)) - 1];
    await ca.expect(/INFO.*\r\n/);
    await send(ca, `CONNECT {"verbose":false,"headers":true}\r\nSUB foo bar 22\r\n`);
    await checkExpectedSubs(1, a.server, b.server);
    const cb = raws[raws.push(await RawConn.open(b.port)) - 1];
    await cb.expect(/INFO.*\r\n/);
    await send(cb, `CONNECT {"verbose":false,"headers":true}\r\nHPUB foo reply 12 14\r\nK1:V1,K2:V2 ok\r\n`);
    const m = await ca.expect(/HMSG foo 22 reply 12 14\r\nK1:V1,K2:V2 ok\r\n/);
    expect(m[0]).toBeDefined();
  });

  test("TestRequestsAcrossRoutes: requests answered by a responder on the other server", async () => {
    const { a, b } = await runServers();
    const nc1 = await topo.client(a.url);
    const nc2 = await topo.client(b.url);
    nc1.subscribe("foo-req", { callback: (_e, m) => {
        m.respond("I will help you");
      } });
    await nc1.flush();
    await checkExpectedSubs(1, a.server, b.server);
    for (let i = 0; i < 100; i++) expect((await nc2.request("foo-req", String(i), { timeout: 500 })).string()).toBe("I will help you");
  });

  test("TestRequestsAcrossRoutesToQueues: requests to a queue group with members on both servers", async () => {
    const { a, b } = await runServers();
    const nc1 = await topo.client(a.url);
    const nc2 = await topo.client(b.url);
    nc1.subscribe("foo-req", { queue: "booboo", callback: (_e, m) => {
        m.respond("I will help you");
      } });
    nc2.subscribe("foo-req", { queue: "booboo", callback: (_e, m) => {
        m.respond("I will help you");
      } });
    await nc1.flush();
    await nc2.flush();
    await checkExpectedSubs(2, a.server, b.server);
    for (let i = 0; i < 100; i++) await nc2.request("foo-req", String(i), { timeout: 500 });
    for (let i = 0; i < 100; i++) await nc1.request("foo-req", String(i), { timeout: 500 });
  });

  // Members that follow a block of remote entries must not get that block's share.
  test("TestQueueDistributionAcrossRoutes: members 2(A) 6(B) 4(A) each get an even share of what B publishes", async () => {
    const { a, b } = await runServers();
    const nc1 = await topo.client(a.url);
    const nc2 = await topo.client(b.url);
    const counts: number[] = [];
    const member = (nc: typeof nc1) => {
      const i = counts.push(0) - 1;
      nc.subscribe("foo", {
        queue: "bar",
        callback: () => {
          counts[i]++;
        },
      });
    };
    for (let i = 0; i < 2; i++) member(nc1);
    await nc1.flush();
    for (let i = 0; i < 6; i++) member(nc2);
    await nc2.flush();
    for (let i = 0; i < 4; i++) member(nc1);
    await nc1.flush();
    await checkExpectedSubs(7, a.server, b.server);
    const send = 10_000;
    for (let i = 0; i < send; i++) nc2.publish("foo");
    await nc2.flush();
    await waitFor("all received", () => counts.reduce((x, y) => x + y, 0) === send);
    const avg = send / counts.length;
    for (const n of counts) expect(n).toBeLessThanOrEqual(avg + (avg * 3) / 10);
  });

  // A routed queue message that finds no local member left falls back to a route member, as in Go.
  test("TestNewRouteNoQueueSubscribersBounce: requests keep getting answers while the other server's members go away", async () => {
    const { a, b } = await runServers();
    const ncA = await topo.client(a.url);
    const ncB = await topo.client(b.url);
    ncB.subscribe("foo.request", { queue: "workers", callback: (_e, m) => { m.respond("I will help you"); } });
    for (let i = 0; i < 100; i++) ncA.subscribe("foo.request", { queue: "workers", callback: (_e, m) => { m.respond("I will help you"); } });
    await ncB.flush();
    await ncA.flush();
    await checkExpectedSubs(101, a.server);
    let answers = 0;
    for (let i = 0; i < 500; i++) {
      await ncB.request("foo.request", "Help Me", { timeout: 1000 });
      answers++;
      if (i === 20) await ncA.close();
    }
    expect(answers).toBe(500);
  });

  test("TestNewRouteLargeDistinctQueueSubscribers: 100 queue groups on one server each get every message", async () => {
    const { a, b } = await runServers();
    const ncA = await topo.client(a.url);
    const ncB = await topo.client(b.url);
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 100; i++) ncB.subscribe("foo", { queue: `worker-${i}`, callback: () => { counts[i]++; } });
    await ncB.flush();
    await checkExpectedSubs(100, a.server);
    for (let i = 0; i < 10; i++) ncA.publish("foo");
    await ncA.flush();
    await waitFor("10 each", () => counts.every((n) => n === 10));
  });

  test("TestNewRouteSinglePublishOnNewAccount: one publish from a fresh connection in another account crosses the route", async () => {
    const accounts = "accounts { TEST22: { users: [{ user: t, password: t }] } }";
    const a = await topo.inProcess(memberConf({ cluster: "xyz", port: -1, extra: accounts }));
    const b = await topo.inProcess(memberConf({ cluster: "xyz", port: -1, routes: [routePortOf(a)], extra: accounts }));
    await waitFor("route", () => numRoutes(a.server) === 1 && numRoutes(b.server) === 1);
    const ca = raws[raws.push(await RawConn.open(a.port)) - 1];
    await ca.expect(/INFO.*\r\n/);
    await send(ca, `CONNECT {"verbose":false,"user":"t","pass":"t"}\r\nSUB foo 1\r\n`);
    await waitFor("interest on B", () => b.server.lookupAccount("TEST22")!.sublist.all().some((s) => s.remote));
    const cb = raws[raws.push(await RawConn.open(b.port)) - 1];
    await cb.expect(/INFO.*\r\n/);
    await send(cb, `CONNECT {"verbose":false,"user":"t","pass":"t"}\r\nPUB foo 2\r\nok\r\n`);
    cb.close();
    const m = await ca.expect(MSG_RE);
    expect([m[1], m[2], m[4], m[5]]).toEqual(["foo", "1", "2", "ok"]);
  });

  test("TestNewRouteQueueSubsDistribution: 100 members on each server share the messages about evenly", async () => {
    const { a, b } = await runServers();
    const ca = await client(a.port);
    const cb = await client(b.port);
    let subs = "";
    for (let i = 0; i < 100; i++) subs += `SUB foo bar ${i}\r\n`;
    await send(ca, subs);
    await send(cb, subs);
    await checkExpectedSubs(101, a.server, b.server);
    const sender = await client(a.port);
    await send(sender, "PUB foo 2\r\nok\r\n".repeat(100));
    const countMsgs = (c: RawConn) => (c.pending.match(/MSG foo/g) ?? []).length;
    await waitFor("100 delivered", () => countMsgs(ca) + countMsgs(cb) === 100);
    expect(countMsgs(ca)).toBeGreaterThanOrEqual(30);
    expect(countMsgs(cb)).toBeGreaterThanOrEqual(30);
  });
});
