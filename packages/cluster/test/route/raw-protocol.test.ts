import { createServer, type Socket } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { Topology } from "./helpers.js";
import { listenerPort } from "../support/servers.js";
import { CONNECT_RE, ERR_RE, INFO_RE, MSG_RE, RawConn, rawClient, rawRoute, RMSG_RE, RSUB_RE, RUNSUB_RE } from "./raw.js";

const topo = new Topology();
afterEach(() => topo.stop());

/**
 * Go's test/configs/cluster.conf (route credentials, cluster xyz) with random ports, and one route
 * per remote server (`pool_size: -1`) as Go's raw-protocol test harness sets.
 */
async function routeServer(opts: { routes?: number[]; extra?: string } = {}) {
  const routes = (opts.routes ?? []).map((p) => `"nats-route://foo:bar@127.0.0.1:${p}"`).join(", ");
  const s = await topo.inProcess(`
    listen: "127.0.0.1:-1"
    ${opts.extra ?? ""}
    cluster {
      listen: "127.0.0.1:-1"
      name: xyz
      pool_size: -1
      authorization { user: route_user, password: top_secret, timeout: 0.5 }
      routes = [${routes}]
    }
  `);
  return { s, routePort: listenerPort(s.server, "cluster"), clientPort: s.port };
}

async function client(port: number): Promise<RawConn> {
  return topo.keepRaw(await rawClient(port));
}

async function route(port: number, id: string, creds?: { user: string; pass: string }) {
  const r = await rawRoute(port, id, creds);
  topo.keepRaw(r.conn);
  return r;
}

/** Go's sendRouteInfo: the fake route's own INFO, so the server registers it. */
function sendRouteInfo(c: RawConn, id: string): void {
  c.send(`INFO {"server_id":"${id}","cluster":"xyz"}\r\n`);
}

describe("routes: raw protocol (Go test/routes_test.go, test/new_routes_test.go)", () => {
  test("TestSendRouteInfoOnConnect: route INFO requires auth, names our route port, and a route INFO gets registered", async () => {
    const { routePort } = await routeServer();
    const { conn, info } = await route(routePort, "RouteID");
    expect(info.auth_required).toBe(true);
    expect(info.port).toBe(routePort);
    await conn.untilPong(`INFO ${JSON.stringify({ ...info, server_id: "RouteID", server_name: "" })}\r\n`);
  });

  test("TestNewRouteInfoOnConnect: route proto v2, a nonce, headers and leaf origin support", async () => {
    const { routePort } = await routeServer();
    const rc = topo.keepRaw(await RawConn.open(routePort));
    const info = JSON.parse((await rc.expect(INFO_RE))[1]) as Record<string, unknown>;
    expect(info.port).toBe(routePort);
    expect(info.proto as number).toBeGreaterThanOrEqual(2);
    expect(info.nonce).toMatch(/.+/);
    expect(info.headers).toBe(true);
    expect(info.lnoc).toBe(true);
    expect(info.lnocu).toBe(true);
  });

  test("TestRouteToSelf: a route that presents this server's own id is closed", async () => {
    const { s, routePort } = await routeServer();
    const { conn, info } = await route(routePort, s.server.id);
    conn.send(`INFO ${JSON.stringify(info)}\r\n`);
    await conn.expectClosed();
  });

  test("TestSendRouteSubAndUnsub: a client SUB/UNSUB becomes RS+/RS- on the route", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "ROUTER:xyz");
    sendRouteInfo(conn, "ROUTER:xyz");
    await conn.untilPong();
    c.send("SUB foo 22\r\n");
    const rs = await conn.expect(RSUB_RE);
    expect([rs[1], rs[2]]).toEqual(["$G", "foo"]);
    c.send("UNSUB 22\r\n");
    const ru = await conn.expect(RUNSUB_RE);
    expect([ru[1], ru[2]]).toEqual(["$G", "foo"]);
  });

  test("TestRouteForwardsMsgFromClients: the server solicits its configured route and forwards a client PUB as RMSG", async () => {
    let onAccept: (sock: Socket) => void = () => {};
    const accepted = new Promise<Socket>((resolve) => (onAccept = resolve));
    const l = topo.keepListener(createServer((sock) => onAccept(sock)));
    await new Promise<void>((r) => l.listen(0, "127.0.0.1", () => r()));
    const solicitPort = (l.address() as { port: number }).port;
    const { clientPort } = await routeServer({ routes: [solicitPort] });
    const c = await client(clientPort);
    const sock = await accepted;
    const rc = topo.keepRaw(RawConn.adopt(sock));
    // The soliciting side sends CONNECT (with the URL's credentials); its INFO waits for ours,
    // since it negotiates compression on it (Go's default "accept").
    const connect = JSON.parse((await rc.expect(CONNECT_RE))[1]) as Record<string, unknown>;
    expect(connect.user).toBe("foo");
    expect(connect.pass).toBe("bar");
    expect(connect.cluster).toBe("xyz");
    rc.send(`INFO {"server_id":"ROUTER:solicited","cluster":"xyz"}\r\n`);
    const info = JSON.parse((await rc.expect(INFO_RE))[1]) as Record<string, unknown>;
    expect(info.compression).toBe("not supported");
    await rc.untilPong("RS+ $G foo\r\n");
    await c.untilPong("PUB foo 2\r\nok\r\n");
    const m = await rc.expect(RMSG_RE);
    expect([m[1], m[2], m[3], m[4], m[5]]).toEqual(["$G", "foo", undefined, "2", "ok"]);
  });

  test("TestRouteForwardsMsgToClients: an RMSG from a route reaches the local subscriber", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "ROUTER:to-clients");
    await c.untilPong("SUB foo 1\r\n");
    conn.send("RMSG $G foo 2\r\nok\r\n");
    const m = await c.expect(MSG_RE);
    expect([m[1], m[2], m[4], m[5]]).toEqual(["foo", "1", "2", "ok"]);
  });

  test("TestRouteOneHopSemantics: a message from a route never goes back to a route", async () => {
    const { routePort } = await routeServer();
    const { conn } = await route(routePort, "ROUTER:onehop");
    conn.send("RS+ $G foo\r\nRMSG $G foo 2\r\nok\r\n");
    expect(await conn.nothing()).toBe("");
  });

  test("TestRouteOnlySendOnce: repeated RS+ for one subject still means one RMSG per message", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "ROUTER:once");
    await conn.untilPong("RS+ $G foo\r\nRS+ $G foo\r\n");
    await c.untilPong("PUB foo 2\r\nok\r\n");
    await conn.expect(RMSG_RE);
    expect(await conn.untilPong()).not.toMatch(/RMSG/);
  });

  test("TestRouteQueueSemantics: one RMSG naming the queue group, and a routed queue message reaches one local member", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "ROUTER:xyz");
    sendRouteInfo(conn, "ROUTER:xyz");
    await conn.untilPong("RS+ $G foo bar 1\r\nRS+ $G foo bar 2\r\n");
    await c.untilPong("PUB foo 2\r\nok\r\n");
    let m = await conn.expect(RMSG_RE);
    expect([m[1], m[2], m[3], m[4], m[5]]).toEqual(["$G", "foo", "| bar", "2", "ok"]);
    await conn.untilPong("RS+ $G foo\r\n");
    await c.untilPong("PUB foo 2\r\nok\r\n");
    m = await conn.expect(RMSG_RE);
    expect([m[1], m[2], m[3], m[4], m[5]]).toEqual(["$G", "foo", "| bar", "2", "ok"]);
    expect(await conn.untilPong()).not.toMatch(/RMSG/);
    await c.untilPong("SUB foo 1\r\n");
    await conn.expect(RSUB_RE);
    await c.untilPong("SUB foo bar 2\r\n");
    await conn.expect(RSUB_RE);
    await conn.untilPong("RMSG $G foo | bar 2\r\nok\r\n");
    const msgs = await c.collect(MSG_RE, 2);
    expect(msgs.map((x) => x[2]).sort()).toEqual(["1", "2"]);
  });

  test("TestNewRouteConnectSubs: a new route gets one RS+ per subject and one per queue group with its weight; RS- when the client goes", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    for (let i = 0; i < 10; i++) c.send(`SUB foo ${i}\r\nSUB foo bar ${100 + i}\r\n`);
    await c.untilPong();
    const { conn } = await route(routePort, "RTEST_NEW:22");
    sendRouteInfo(conn, "RTEST_NEW:22");
    const subs = await conn.collect(RSUB_RE, 2);
    for (const m of subs) {
      expect([m[1], m[2]]).toEqual(["$G", "foo"]);
      if (m[3] !== undefined) expect([m[3], m[4]]).toEqual(["bar", "10"]);
    }
    expect(subs.filter((m) => m[3] !== undefined)).toHaveLength(1);
    c.close();
    await conn.collect(RUNSUB_RE, 2);
  });

  test("TestNewRouteClientClosedWithQueueSubscriptions: every weight change is sent, one RS- when the client closes", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "RTEST_NEW:44");
    sendRouteInfo(conn, "RTEST_NEW:44");
    await conn.untilPong();
    for (let i = 0; i < 100; i++) c.send(`SUB foo bar ${i}\r\n`);
    await c.untilPong();
    const subs = await conn.collect(RSUB_RE, 100);
    expect(subs[99][4]).toBe("100");
    c.close();
    await conn.expect(RUNSUB_RE);
    expect(await conn.untilPong()).not.toMatch(/RS-/);
  });

  test("TestNewRouteClientClosedWithNormalSubscriptions: one RS- per subject when the client closes", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "RTEST_NEW:33");
    sendRouteInfo(conn, "RTEST_NEW:33");
    await conn.untilPong();
    await c.untilPong("SUB foo 1\r\n");
    await conn.expect(RSUB_RE);
    for (let i = 2; i <= 100; i++) c.send(`SUB foo ${i}\r\n`);
    await c.untilPong();
    c.close();
    await conn.expect(RUNSUB_RE);
    expect(await conn.untilPong()).not.toMatch(/RS[+-]/);
  });

  test("TestNewRouteRUnsubAccountSpecific: RS- removes interest in one account only", async () => {
    const accounts = Array.from({ length: 50 }, (_, i) => `A${i}: { users: [{ user: u${i}, password: p }] }`).join("\n");
    const { routePort, clientPort } = await routeServer({ extra: `accounts { ${accounts} }` });
    const { conn } = await route(routePort, "RTEST_NEW:77");
    sendRouteInfo(conn, "RTEST_NEW:77");
    for (let i = 0; i < 50; i++) conn.send(`RS+ A${i} foo\r\n`);
    await conn.untilPong();
    await conn.untilPong("RS- A22 foo\r\n");
    const pub = async (user: string) => {
      const c = topo.keepRaw(await RawConn.open(clientPort));
      await c.expect(INFO_RE);
      await c.untilPong(`CONNECT {"verbose":false,"user":"${user}","pass":"p"}\r\nPUB foo 2\r\nok\r\n`);
      c.close();
    };
    await pub("u22");
    await pub("u33");
    const m = await conn.expect(RMSG_RE);
    expect([m[1], m[2], m[5]]).toEqual(["A33", "foo", "ok"]);
    expect(await conn.untilPong()).not.toMatch(/RMSG/);
  });

  test("TestNewRouteRSubCleanupOnDisconnect: a route's interest goes away with the route", async () => {
    const { s, routePort } = await routeServer();
    const { conn } = await route(routePort, "RTEST_NEW:55");
    sendRouteInfo(conn, "RTEST_NEW:55");
    await conn.untilPong("RS+ $G foo\r\nRS+ $G bar baz 2\r\n");
    expect(s.server.globalAccount.sublist.count).toBe(3);
    conn.close();
    const deadline = Date.now() + 3000;
    while (s.server.globalAccount.sublist.count !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(s.server.globalAccount.sublist.count).toBe(0);
  });

  test("TestNewRouteSendSubsAndMsgs: RMSG carries the reply and every queue group the route asked for", async () => {
    const { routePort, clientPort } = await routeServer();
    const { conn } = await route(routePort, "RTEST_NEW:44");
    sendRouteInfo(conn, "RTEST_NEW:44");
    await conn.untilPong();
    await conn.untilPong("RS+ $G foo\r\n");
    const c = await client(clientPort);
    const pub = (withReply: boolean) => c.untilPong(withReply ? "PUB foo reply 2\r\nok\r\n" : "PUB foo 2\r\nok\r\n");
    // Interest the route adds or removes, then a message with or without reply, and the RMSG it gets (none: nothing).
    const steps: [string, boolean, (string | undefined)[] | undefined][] = [
      ["", false, ["$G", "foo", undefined, "2", "ok"]],
      ["RS+ $G foo bar 1\r\n", true, ["$G", "foo", "+ reply bar", "2", "ok"]],
      ["RS+ $G foo baz 1\r\n", true, ["$G", "foo", "+ reply bar baz", "2", "ok"]],
      ["RS+ $G *\r\n", true, ["$G", "foo", "+ reply bar baz", "2", "ok"]],
      ["", false, ["$G", "foo", "| bar baz", "2", "ok"]],
      ["RS- $G foo baz\r\nRS- $G foo bar\r\n", false, ["$G", "foo", undefined, "2", "ok"]],
      ["RS- $G foo\r\nRS- $G *\r\n", false, undefined],
    ];
    for (const [interest, withReply, expected] of steps) {
      await conn.untilPong(interest);
      await pub(withReply);
      if (expected === undefined) {
        expect(await conn.nothing()).toBe("");
        continue;
      }
      const m = await conn.expect(RMSG_RE);
      expect([m[1], m[2], m[3], m[4], m[5]]).toEqual(expected);
    }
  });

  test("TestNewRouteProcessRoutedMsgs: routed messages reach plain subscribers and only the queue groups named", async () => {
    const { routePort, clientPort } = await routeServer();
    const { conn } = await route(routePort, "RTEST_NEW:55");
    sendRouteInfo(conn, "RTEST_NEW:55");
    await conn.untilPong();
    const c = await client(clientPort);
    const sub = async (proto: string) => {
      await c.untilPong(`${proto}\r\n`);
      await conn.expect(RSUB_RE);
    };
    const routed = async (proto: string, n: number) => {
      await conn.untilPong(`${proto}\r\nok\r\n`);
      const msgs = await c.collect(MSG_RE, n);
      expect(await c.untilPong()).not.toMatch(/MSG/);
      return msgs.map((m) => [m[2], m[3]]).sort();
    };
    await sub("SUB foo 1");
    expect(await routed("RMSG $G foo 2", 1)).toEqual([["1", undefined]]);
    expect(await routed("RMSG $G foo reply 2", 1)).toEqual([["1", "reply"]]);
    await sub("SUB foo bar 11");
    await sub("SUB foo baz 22");
    expect(await routed("RMSG $G foo 2", 1)).toEqual([["1", undefined]]);
    expect(await routed("RMSG $G foo | bar 2", 2)).toEqual([["1", undefined], ["11", undefined]]);
    expect(await routed("RMSG $G foo | bar baz 2", 3)).toEqual([["1", undefined], ["11", undefined], ["22", undefined]]);
    expect(await routed("RMSG $G foo + reply bar baz 2", 3)).toEqual([["1", "reply"], ["11", "reply"], ["22", "reply"]]);
  });

  test("TestNewRouteProgressiveNormalSubs: RS+ on a subject's first subscription, every queue weight change, RS- on the last", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "RTEST_NEW:33");
    sendRouteInfo(conn, "RTEST_NEW:33");
    await conn.untilPong();
    const send = async (proto: string) => {
      await c.untilPong(`${proto}\r\n`);
    };
    await send("SUB foo 1");
    await conn.expect(RSUB_RE);
    await send("SUB foo 2");
    expect(await conn.nothing()).toBe("");
    for (const [proto, weight] of [["SUB foo bar 3", "1"], ["SUB foo bar 4", "2"], ["SUB foo bar 5", "3"], ["UNSUB 5", "2"], ["UNSUB 4", "1"]]) {
      await send(proto);
      expect((await conn.expect(RSUB_RE))[4]).toBe(weight);
    }
    await send("UNSUB 3");
    await conn.expect(RUNSUB_RE);
    await send("UNSUB 1");
    expect(await conn.nothing()).toBe("");
    await send("UNSUB 2");
    await conn.expect(RUNSUB_RE);
  });

  test("a route that stops reading is closed as a slow consumer; its interest goes with it", async () => {
    const { s: srv, routePort, clientPort } = await routeServer({ extra: "max_pending: 2MB" });
    const { conn } = await route(routePort, "ROUTER:slow");
    sendRouteInfo(conn, "ROUTER:slow");
    await conn.untilPong("RS+ $G big\r\n");
    conn.socket.pause();
    const c = await client(clientPort);
    const payload = "x".repeat(64 * 1024);
    for (let i = 0; i < 400 && !conn.closed; i++) {
      c.send(`PUB big ${payload.length}\r\n${payload}\r\n`);
      if (i % 20 === 19) {
        await c.untilPong();
      }
    }
    const deadline = Date.now() + 5000;
    while (srv.server.globalAccount.sublist.count !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(srv.server.globalAccount.sublist.count).toBe(0);
    expect(srv.server.stats.slowConsumers).toBe(1);
  });

  test("gateway INFO relayed over a route (no server id) leaves the route up", async () => {
    const { routePort } = await routeServer();
    const { conn } = await route(routePort, "ROUTER:gw");
    sendRouteInfo(conn, "ROUTER:gw");
    await conn.untilPong(`INFO {"gateway":"B","gateway_urls":["127.0.0.1:7222"],"gateway_cmd":1}\r\nINFO {"cluster":"xyz"}\r\n`);
    expect(conn.closed).toBe(false);
  });

  test("TestRoutePings: a route is pinged every ping interval", async () => {
    const { routePort } = await routeServer({ extra: `ping_interval: "50ms"` });
    const { conn } = await route(routePort, "ROUTER:pings");
    sendRouteInfo(conn, "ROUTER:pings");
    for (let i = 0; i < 5; i++) {
      await conn.expect(/PING\r\n/, 1000);
      conn.send("PONG\r\n");
    }
  });

  test("a route that stops answering PINGs is closed as stale after ping_max", async () => {
    const { routePort } = await routeServer({ extra: `ping_interval: "50ms"\nping_max: 2` });
    const { conn } = await route(routePort, "ROUTER:stale");
    sendRouteInfo(conn, "ROUTER:stale");
    expect((await conn.expect(ERR_RE, 2000))[1]).toBe("Stale Connection");
    await conn.expectClosed();
  });

  test("random bytes on the route port (before and after the handshake) never hurt the server", async () => {
    const { routePort, clientPort } = await routeServer();
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = ["RS+ ", "RS- ", "RMSG ", "HMSG ", "LS+ ", "LS- ", "INFO ", "CONNECT ", "PING", "PONG", "-ERR ", "$G ", "foo ", "| ", "+ ", "{", "}", "\r\n", " ", "9", "-1", "\u0000", "é"];
    for (let i = 0; i < 30; i++) {
      const garbage = Array.from({ length: 5 + Math.floor(rand() * 40) }, () => pieces[Math.floor(rand() * pieces.length)]).join("");
      const handshake = i % 2 === 0;
      const conn = handshake ? (await route(routePort, `ROUTER:fuzz${i}`)).conn : topo.keepRaw(await RawConn.open(routePort));
      if (handshake) sendRouteInfo(conn, `ROUTER:fuzz${i}`);
      conn.send(garbage);
      await conn.nothing(10);
      conn.close();
    }
    const c = await client(clientPort);
    c.send("SUB ok 1\r\nPUB ok 2\r\nhi\r\n");
    expect((await c.expect(MSG_RE))[5]).toBe("hi");
    const { conn } = await route(routePort, "ROUTER:after");
    sendRouteInfo(conn, "ROUTER:after");
    await conn.untilPong();
  });

  test("LMSG (a message that came from a leaf node of the remote's cluster) reaches local subscribers", async () => {
    const { routePort, clientPort } = await routeServer();
    const c = await client(clientPort);
    const { conn } = await route(routePort, "ROUTER:lmsg");
    sendRouteInfo(conn, "ROUTER:lmsg");
    await c.untilPong(`CONNECT {"verbose":false,"headers":true}\r\nSUB foo 1\r\nSUB foo bar 2\r\n`);
    conn.send("LMSG leafcluster $G foo 0 2\r\nok\r\n");
    const m = await c.expect(MSG_RE);
    expect([m[1], m[2], m[5]]).toEqual(["foo", "1", "ok"]);
    conn.send("LMSG leafcluster $G foo + reply bar 12 14\r\nK1:V1,K2:V2 ok\r\n");
    const h = await c.collect(/HMSG foo (\d+) reply 12 14\r\nK1:V1,K2:V2 ok\r\n/, 2);
    expect(h.map((x) => x[1]).sort()).toEqual(["1", "2"]);
    conn.send("LMSG leafcluster $G foo x 2\r\nok\r\n");
    await conn.expectClosed();
  });

  test("TestRouteNoLeakOnAuthTimeout: a route that never authenticates gets the timeout error and leaves no route behind", async () => {
    const s = await topo.inProcess(`listen: "127.0.0.1:-1"\ncluster { listen: "127.0.0.1:-1", name: xyz, authorization { user: foo, password: bar, timeout: 0.05 } }`);
    const routePort = listenerPort(s.server, "cluster");
    const rc = topo.keepRaw(await RawConn.open(routePort));
    await rc.expect(INFO_RE);
    expect((await rc.expect(ERR_RE, 2000))[1]).toBe("Authentication Timeout");
    await rc.expectClosed();
    const plugin = s.server.plugin<import("../../src/index.js").ClusterPlugin>("cluster")!;
    expect((plugin.routez({ subscriptions: false, subscriptionsDetail: false }) as { num_routes: number }).num_routes).toBe(0);
  });

  test("TestClientConnectToRoutePort: a client on the route port is told it is on the wrong port", async () => {
    const { routePort } = await routeServer();
    const rc = topo.keepRaw(await RawConn.open(routePort));
    await rc.expect(INFO_RE);
    rc.send(`CONNECT {"verbose":false,"user":"route_user","pass":"top_secret","lang":"go","version":"1.0"}\r\n`);
    const err = await rc.expect(ERR_RE);
    expect(err[1]).toBe("attempted to connect to route port");
    await rc.expectClosed();
  });

  test("route credentials: a wrong password and a missing CONNECT are refused", async () => {
    const { routePort } = await routeServer();
    const bad = await route(routePort, "ROUTER:bad", { user: "route_user", pass: "nope" });
    expect((await bad.conn.expect(ERR_RE))[1]).toBe("Authorization Violation");
    await bad.conn.expectClosed();
    const early = topo.keepRaw(await RawConn.open(routePort));
    await early.expect(INFO_RE);
    early.send("RS+ $G foo\r\n");
    expect((await early.expect(ERR_RE))[1]).toBe("Authorization Violation");
    await early.expectClosed();
    // Silence: the auth timeout (0.5 s) closes a route that never sends CONNECT.
    const silent = topo.keepRaw(await RawConn.open(routePort));
    await silent.expect(INFO_RE);
    expect((await silent.expect(ERR_RE, 2000))[1]).toBe("Authentication Timeout");
    await silent.expectClosed();
  });

  test("malformed route protocol closes that route only; the server keeps serving", async () => {
    const { routePort, clientPort } = await routeServer();
    const cases = [
      "FOO BAR\r\n",
      "RS+ $G\r\n",
      "RS+ $G foo bar\r\n",
      "RMSG $G\r\n",
      "RMSG $G foo x\r\n",
      "HMSG $G foo 10 5\r\n",
      "RMSG $G foo bad | q 2\r\nok\r\n",
      "INFO [1,2]\r\n",
      "-ERR 'boom'\r\n",
    ];
    for (const proto of cases) {
      const { conn } = await route(routePort, `ROUTER:${proto.length}`);
      sendRouteInfo(conn, `ROUTER:bad${proto.length}`);
      conn.send(proto);
      await conn.expectClosed();
    }
    // A good route and a client still work.
    const c = await client(clientPort);
    const { conn } = await route(routePort, "ROUTER:good");
    sendRouteInfo(conn, "ROUTER:good");
    await conn.untilPong("RS+ $G foo\r\n");
    await c.untilPong("PUB foo 2\r\nok\r\n");
    expect((await conn.expect(RMSG_RE))[5]).toBe("ok");
  });
});
