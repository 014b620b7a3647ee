import { createServer } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { Topology, waitFor } from "./helpers.js";
import { accountsConf } from "./pool-support.js";
import { CONNECT_RE, ERR_RE, INFO_RE, MSG_RE, RawConn } from "./raw.js";
import { listenerPort } from "../support/servers.js";

const topo = new Topology();
afterEach(() => topo.stop());

/** A server of cluster "local" with accounts (default A and B; users named as them, password pwd) and these `cluster {}` lines. */
async function pooledServer(clusterExtra: string, routes: number[] = [], accounts = ["A", "B"]) {
  const seeds = routes.map((p) => `"nats://127.0.0.1:${p}"`).join(", ");
  const s = await topo.inProcess(`
    listen: "127.0.0.1:-1"
    ${accountsConf(accounts)}
    cluster { name: local, listen: "127.0.0.1:-1", routes: [${seeds}]
      ${clusterExtra}
    }
  `);
  return { s, routePort: listenerPort(s.server, "cluster") };
}

/** A fake route that dialled the server: CONNECT, then an INFO with the given pool fields. */
async function fakeRoute(routePort: number, id: string, fields: Record<string, unknown>): Promise<{ conn: RawConn; info: Record<string, unknown> }> {
  const conn = topo.keepRaw(await RawConn.open(routePort));
  const info = JSON.parse((await conn.expect(INFO_RE))[1]) as Record<string, unknown>;
  conn.send(`CONNECT {"verbose":false,"name":"${id}","cluster":"local","headers":true,"lnoc":true,"lnocu":true}\r\n`);
  conn.send(`INFO ${JSON.stringify({ server_id: id, cluster: "local", headers: true, lnoc: true, lnocu: true, ...fields })}\r\n`);
  return { conn, info };
}

/** A logged-in client of account `user` speaking the raw protocol. */
async function accountClient(port: number, user: string): Promise<RawConn> {
  const c = topo.keepRaw(await RawConn.open(port));
  await c.expect(INFO_RE);
  await c.untilPong(`CONNECT {"verbose":false,"user":"${user}","pass":"pwd","headers":true,"protocol":1}\r\n`);
  return c;
}

/** A fake peer's listener the server under test dials; every accepted connection is kept. */
async function fakeListener(): Promise<{ port: number; accepted: RawConn[] }> {
  const accepted: RawConn[] = [];
  const l = topo.keepListener(createServer((sock) => accepted.push(topo.keepRaw(RawConn.adopt(sock)))));
  await new Promise<void>((r) => l.listen(0, "127.0.0.1", () => r()));
  return { port: (l.address() as { port: number }).port, accepted };
}

describe("routes: pool and pinned-account protocol", () => {
  test("an accepted route INFO carries route_pool_size; each pool connection gets only its accounts' interest", async () => {
    // With a pool of 2, account A hashes to index 0 and B to index 1.
    const { s, routePort } = await pooledServer("pool_size: 2");
    const a = await accountClient(s.port, "A");
    const b = await accountClient(s.port, "B");
    await a.untilPong("SUB fa 1\r\n");
    await b.untilPong("SUB fb 1\r\n");
    const one = await fakeRoute(routePort, "FAKE", { route_pool_size: 2, route_pool_idx: 1 });
    expect(one.info.route_pool_size).toBe(2);
    expect(one.info.route_pool_idx).toBeUndefined();
    expect(await one.conn.untilPong()).toMatch(/^RS\+ B fb\r\n(PING\r\n)?$/);
    const zero = await fakeRoute(routePort, "FAKE", { route_pool_size: 2, route_pool_idx: 0 });
    expect(await zero.conn.untilPong()).toMatch(/^RS\+ A fa\r\n(PING\r\n)?$/);
    // Later interest follows the same rule.
    await a.untilPong("SUB ga 2\r\n");
    await zero.conn.expect(/RS\+ A ga\r\n/);
    expect(await one.conn.untilPong()).not.toContain("ga");
  });

  test("a pinned account's route leaves the account out of RS+, RS- and RMSG, both ways", async () => {
    const { s, routePort } = await pooledServer(`accounts: ["B"]`);
    const b = await accountClient(s.port, "B");
    await b.untilPong("SUB foo 1\r\n");
    const { conn } = await fakeRoute(routePort, "FAKE", { route_pool_size: 3, route_account: "B" });
    expect(await conn.untilPong()).toMatch(/^RS\+ foo\r\n(PING\r\n)?$/);
    conn.send("RMSG foo 2\r\nok\r\n");
    expect((await b.expect(MSG_RE)).slice(1, 6)).toEqual(["foo", "1", undefined, "2", "ok"]);
    conn.send("RS+ bar\r\nRS+ work q 1\r\n");
    await conn.untilPong();
    await b.untilPong("PUB bar 2\r\nhi\r\nHPUB work reply 12 14\r\nK1:V1,K2:V2 ok\r\n");
    await conn.expect(/RMSG bar 2\r\nhi\r\n/);
    await conn.expect(/HMSG work \+ reply q 12 14\r\nK1:V1,K2:V2 ok\r\n/);
    await b.untilPong("UNSUB 1\r\n");
    await conn.expect(/RS- foo\r\n/);
    // Another account's interest never uses this route.
    const a = await accountClient(s.port, "A");
    await a.untilPong("SUB other 1\r\n");
    expect(await conn.untilPong()).not.toContain("other");
  });

  test("Invalid route pool index: an accepted route naming an index outside the pool is refused with Go's error", async () => {
    const { routePort } = await pooledServer("pool_size: 3");
    const { conn } = await fakeRoute(routePort, "FAKE", { route_pool_size: 3, route_pool_idx: 3 });
    expect((await conn.expect(ERR_RE))[1]).toBe("Invalid route pool index: 3 - pool size is 3");
    await conn.expectClosed();
  });

  test("a route we dialled whose INFO names a pool index is refused with Go's error", async () => {
    const { port, accepted } = await fakeListener();
    await pooledServer("pool_size: 3", [port]);
    await waitFor("dialled", () => accepted.length >= 1);
    const c = accepted[0];
    await c.expect(CONNECT_RE);
    c.send(`INFO ${JSON.stringify({ server_id: "FAKE", cluster: "local", route_pool_size: 3, route_pool_idx: 1 })}\r\n`);
    expect((await c.expect(ERR_RE))[1]).toBe("Route pool index should not be set but is set to 1");
    await c.expectClosed();
  });

  test("a pinned route to a server that does not pool is refused with Go's error and not dialled again; the pooled one carries every account", async () => {
    const { port, accepted } = await fakeListener();
    // Compression off: only the pooled connection holds its INFO back (with compression both would).
    const { s } = await pooledServer("compression: off", [port]);
    await waitFor("pool and system account routes dialled", () => accepted.length === 2);
    const old = { server_id: "OLD", cluster: "local" };
    let pinned: RawConn | undefined;
    let pooled: RawConn | undefined;
    for (const c of accepted) {
      await c.expect(CONNECT_RE);
      const info = await c.expect(INFO_RE, 300).catch(() => undefined);
      if (info !== undefined && JSON.parse(info[1]).route_account === "$SYS") pinned = c;
      else pooled = c;
    }
    pinned!.send(`INFO ${JSON.stringify(old)}\r\n`);
    expect((await pinned!.expect(ERR_RE))[1]).toBe('Not possible to have a dedicated route for account "$SYS" between those servers');
    await pinned!.expectClosed();
    // The pooled connection becomes the one route (its INFO comes after ours), with every account's interest.
    pooled!.send(`INFO ${JSON.stringify(old)}\r\n`);
    const info = JSON.parse((await pooled!.expect(INFO_RE))[1]) as Record<string, unknown>;
    expect(info.route_pool_size).toBe(3);
    const a = await accountClient(s.port, "A");
    const b = await accountClient(s.port, "B");
    await a.untilPong("SUB fa 1\r\n");
    await b.untilPong("SUB fb 1\r\n");
    await pooled!.expect(/RS\+ A fa\r\n/);
    await pooled!.expect(/RS\+ B fb\r\n/);
    await new Promise((r) => setTimeout(r, 1300));
    expect(accepted.length).toBe(2);
  });

  test("a pinned route for an account this server does not pin, or does not have, is refused with Go's errors", async () => {
    const { routePort } = await pooledServer(`accounts: ["Z"]`);
    const other = await fakeRoute(routePort, "FAKE1", { route_pool_size: 3, route_account: "B" });
    expect((await other.conn.expect(ERR_RE))[1]).toBe('No route for account "B"');
    await other.conn.expectClosed();
    const missing = await fakeRoute(routePort, "FAKE2", { route_pool_size: 3, route_account: "Z" });
    expect((await missing.conn.expect(ERR_RE))[1]).toBe('Unable to lookup account "Z": account missing');
    await missing.conn.expectClosed();
  });

  test("Route pool size reached: a connection we dialled to a remote whose pool is already full is closed and not dialled again", async () => {
    const { port, accepted } = await fakeListener();
    const s = await topo.logged(`listen: "127.0.0.1:-1"\ncluster { name: local, listen: "127.0.0.1:-1", pool_size: 2, compression: off, routes: ["nats://127.0.0.1:${port}"] }`);
    await waitFor("dialled", () => accepted.length === 2);
    // The remote fills both pool slots from its side first.
    const routePort = listenerPort(s.server, "cluster");
    for (const idx of [0, 1]) await (await fakeRoute(routePort, "FULL", { route_pool_size: 2, route_pool_idx: idx })).conn.untilPong();
    let pooled: RawConn | undefined;
    for (const c of accepted) {
      await c.expect(CONNECT_RE);
      if ((await c.expect(INFO_RE, 300).catch(() => undefined)) === undefined) pooled = c;
    }
    pooled!.send(`INFO ${JSON.stringify({ server_id: "FULL", cluster: "local", route_pool_size: 2 })}\r\n`);
    await pooled!.expectClosed();
    expect(s.lines.some((l) => l.startsWith("[DBG]") && l.includes('Route pool size reached, closing extra connection to "FULL"'))).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    expect(accepted.length).toBe(2);
  });

  test("hostile pool fields in a route INFO are refused; the server keeps serving", async () => {
    const { s, routePort } = await pooledServer("pool_size: 2");
    const cases: [Record<string, unknown>, string | undefined][] = [
      [{ route_pool_size: 1e9 }, "Invalid route pool size: 1000000000"],
      [{ route_pool_size: 2.5 }, "Invalid route pool size: 2.5"],
      [{ route_pool_size: 2, route_pool_idx: "1" }, "Invalid route pool index: 1 - pool size is 2"],
      [{ route_pool_size: 2, route_pool_idx: -1 }, "Invalid route pool index: -1 - pool size is 2"],
      [{ route_pool_size: 2, route_pool_idx: 0.5 }, "Invalid route pool index: 0.5 - pool size is 2"],
    ];
    for (const [fields, err] of cases) {
      const { conn } = await fakeRoute(routePort, "HOSTILE", fields);
      expect((await conn.expect(ERR_RE))[1]).toBe(err);
      await conn.expectClosed();
    }
    // Not a pool: a string size and an account that is not a string are read as absent.
    const { conn } = await fakeRoute(routePort, "ODD", { route_pool_size: "3", route_account: 7 });
    expect(await conn.untilPong()).not.toContain("-ERR");
    const c = await accountClient(s.port, "A");
    await c.untilPong("SUB foo 1\r\n");
    await conn.expect(/RS\+ A foo\r\n/);
  });

  test("TestRouteParseOriginClusterMsgArgs: LMSG with and without the account (pinned route or not), reply and queues", async () => {
    const { s, routePort } = await pooledServer(`accounts: ["MY_ACCOUNT"]`, [], ["MY_ACCOUNT"]);
    const c = await accountClient(s.port, "MY_ACCOUNT");
    await c.untilPong("SUB foo 1\r\n");
    const pinned = (await fakeRoute(routePort, "PINNED", { route_pool_size: 3, route_account: "MY_ACCOUNT" })).conn;
    const pooled = (await fakeRoute(routePort, "POOLED", { route_pool_size: 3, route_pool_idx: 0 })).conn;
    await pinned.untilPong();
    await pooled.untilPong();
    // 12 bytes of headers in 345 bytes.
    const payload = `NATS/1.0\r\n\r\n${"x".repeat(333)}`;
    const cases: [RawConn, string, string | undefined][] = [
      [pinned, "ORIGIN foo 12 345", undefined],
      [pinned, "ORIGIN foo bar 12 345", "bar"],
      [pinned, "ORIGIN foo + bar queue1 queue2 12 345", "bar"],
      [pinned, "ORIGIN foo | queue1 queue2 12 345", undefined],
      [pooled, "ORIGIN MY_ACCOUNT foo 12 345", undefined],
      [pooled, "ORIGIN MY_ACCOUNT foo bar 12 345", "bar"],
      [pooled, "ORIGIN MY_ACCOUNT foo + bar queue1 queue2 12 345", "bar"],
      [pooled, "ORIGIN MY_ACCOUNT foo | queue1 queue2 12 345", undefined],
    ];
    for (const [route, args, reply] of cases) {
      route.send(`LMSG ${args}\r\n${payload}\r\n`);
      const m = await c.expect(/HMSG (\S+) 1 (?:(\S+) )?(\d+) (\d+)\r\n/);
      expect([m[1], m[2], m[3], m[4]]).toEqual(["foo", reply, "12", "345"]);
      await c.expect(/x{333}\r\n/);
    }
  });

  test("a dialled route whose peer never answers is closed as stale and dialled again (Go's first ping timer)", async () => {
    const { port, accepted } = await fakeListener();
    const s = await topo.logged(`listen: "127.0.0.1:-1"\ncluster { name: local, listen: "127.0.0.1:-1", ping_interval: "100ms", ping_max: 1, routes: ["nats://127.0.0.1:${port}"] }`);
    await waitFor("pool and system account routes dialled", () => accepted.length === 2);
    await accepted[0].expectClosed(2000);
    await accepted[1].expectClosed(2000);
    expect(s.lines.filter((l) => l.includes("Router connection closed: Stale Connection")).length).toBe(2);
    await waitFor("dialled again", () => accepted.length >= 3, 3000);
  });
});
