import { connect as rawConnect } from "node:net";
import { networkInterfaces } from "node:os";
import { NatsServer } from "@nats-ts/core";
import { afterEach, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { connz, monitorPlugin, type ConnzJson, type ConnzOptions } from "../src/index.js";
import { accountsAuthenticator, bothModes, eventually, startMonitored, type Harness } from "./helpers.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const poll = (path: string, opts: ConnzOptions) => bothModes<ConnzJson>(h, path, () => connz(h.monitor.context!, opts));

/** Go's createClientConnSubscribeAndPublish: subscribe to "foo" and publish one message to it. */
async function subscribeAndPublish(name?: string): Promise<NatsConnection> {
  const nc = await h.client(name === undefined ? {} : { name });
  nc.subscribe("foo");
  nc.publish("foo", "Hello World");
  await nc.flush();
  return nc;
}

async function cidOf(name: string): Promise<number> {
  const c: ConnzJson = await h.json("/connz?state=any&limit=1000");
  return c.connections.find((x) => x.name === name)!.cid;
}

describe("/connz", () => {
  test("TestMonitorNoPort / TestNoMonitorPort: no HTTP listener unless a monitoring port is set", async () => {
    h = await startMonitored({ httpPort: 0 });
    expect(h.monitor.httpPort).toBe(0);
    expect(h.server.listeners.monitoring).toBeUndefined();
  });

  test("TestMonitorErrorOnListen: a monitoring port in use fails the start", async () => {
    h = await startMonitored();
    const second = new NatsServer({ host: "127.0.0.1", port: 0, httpPort: h.monitor.httpPort }, { plugins: [monitorPlugin()] });
    await expect(second.start()).rejects.toThrow(/can't listen to the monitor port: listen EADDRINUSE/);
    await second.shutdown();
  });

  test("TestMonitorStop: shutting the server down stops the monitoring listener", async () => {
    h = await startMonitored();
    const url = `http://127.0.0.1:${h.monitor.httpPort}/varz`;
    expect((await fetch(url)).status).toBe(200);
    await h.server.shutdown();
    await expect(fetch(url)).rejects.toThrow();
  });

  test("TestHTTPHost: a monitor bound to 127.0.0.1 is not reachable on other addresses", async () => {
    const other = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === "IPv4" && !a.internal);
    expect(other, "a non-loopback IPv4 address to try").toBeDefined();
    h = await startMonitored({ httpHost: "127.0.0.1" });
    await expect(fetch(`http://${other!.address}:${h.monitor.httpPort}/varz`)).rejects.toThrow();
    expect((await fetch(`http://127.0.0.1:${h.monitor.httpPort}/varz`)).status).toBe(200);
  });

  test("TestMonitorHTTPBasePath: endpoints live under http_base_path", async () => {
    h = await startMonitored({ blocks: { http_base_path: "/nats" } });
    const base = `http://127.0.0.1:${h.monitor.httpPort}`;
    expect((await fetch(`${base}/nats/varz`)).status).toBe(200);
    expect((await fetch(`${base}/nats/`)).status).toBe(200);
    expect((await fetch(`${base}/varz`)).status).toBe(404);
    expect((await h.json("/nats/varz")).http_base_path).toBe("/nats");
  });

  test("TestMonitorConnz / TestConnz: a client's counters, names and endpoints", async () => {
    h = await startMonitored();
    const empty = await poll("/connz", {});
    for (const c of empty) expect([c.num_connections, c.total, c.connections.length]).toEqual([0, 0, 0]);
    await subscribeAndPublish("monitored");
    for (const c of await poll("/connz", {})) {
      expect(c.num_connections).toBe(1);
      expect(c.total).toBe(1);
      expect(c.limit).toBe(1024);
      expect(c.offset).toBe(0);
      const ci = c.connections[0];
      expect(ci.ip).toBe("127.0.0.1");
      expect(ci.port).toBeGreaterThan(0);
      expect(ci.name).toBe("monitored");
      expect(ci.lang).toBe("nats.js");
      expect(ci.version).not.toBe("");
      expect([ci.in_msgs, ci.out_msgs, ci.in_bytes, ci.out_bytes, ci.subscriptions]).toEqual([1, 1, 11, 11, 1]);
      expect(ci.kind).toBe("Client");
      expect(ci.type).toBe("nats");
      expect(ci.subscriptions_list).toBeUndefined();
    }
  });

  test("TestMonitorConnzBadParams: bad values answer 400", async () => {
    h = await startMonitored();
    for (const q of ["auth=xxx", "subs=xxx", "offset=xxx", "limit=xxx", "state=xxx", "cid=xxx"]) {
      expect((await h.get(`/connz?${q}`)).status).toBe(400);
    }
  });

  test("TestConnzWithSubs: subs=1 lists the client's subject", async () => {
    h = await startMonitored();
    await subscribeAndPublish();
    for (const c of await poll("/connz?subs=1", { subscriptions: true })) expect(c.connections[0].subscriptions_list).toEqual(["foo"]);
  });

  test("TestMonitorConnzWithSubs: subs=1 lists subjects", async () => {
    h = await startMonitored();
    const nc = await h.client();
    nc.subscribe("hello.foo");
    await nc.flush();
    for (const c of await poll("/connz?subs=1", { subscriptions: true })) {
      expect(c.connections[0].subscriptions_list).toEqual(["hello.foo"]);
    }
  });

  test("TestMonitorConnzWithSubsDetail: subs=detail lists sid, queue and delivered counts", async () => {
    h = await startMonitored();
    const nc = await h.client();
    nc.subscribe("hello.foo");
    nc.subscribe("hello.q", { queue: "workers" });
    nc.publish("hello.foo", "x");
    await nc.flush();
    for (const c of await poll("/connz?subs=detail", { subscriptionsDetail: true })) {
      const detail = c.connections[0].subscriptions_list_detail!;
      expect(detail.find((d) => d.subject === "hello.foo")).toMatchObject({ sid: "1", msgs: 1, cid: c.connections[0].cid });
      expect(detail.find((d) => d.subject === "hello.q")).toMatchObject({ qgroup: "workers", msgs: 0 });
    }
  });

  test("TestMonitorClosedConnzWithSubsDetail: closed connections keep their subscriptions", async () => {
    h = await startMonitored();
    const nc = await h.client({ name: "closing" });
    nc.subscribe("hello.foo");
    await nc.flush();
    await nc.close();
    await eventually(() => h.server.closedConnections.size === 1);
    for (const c of await poll("/connz?state=closed&subs=detail", { state: "closed", subscriptionsDetail: true })) {
      expect(c.connections[0].subscriptions_list_detail!.map((d) => d.subject)).toEqual(["hello.foo"]);
      expect(c.connections[0].subscriptions).toBe(1);
    }
  });

  test("closed connections keep each subscription's sid, queue group, deliveries and max", async () => {
    h = await startMonitored();
    const nc = await h.client({ name: "closing" });
    nc.subscribe("hello.foo");
    nc.subscribe("hello.q", { queue: "workers", max: 5 });
    await nc.flush();
    nc.publish("hello.q", "x");
    nc.publish("hello.q", "y");
    await nc.flush();
    await nc.close();
    await eventually(() => h.server.closedConnections.size === 1);
    for (const c of await poll("/connz?state=closed&subs=detail", { state: "closed", subscriptionsDetail: true })) {
      const conn = c.connections[0];
      expect(conn.type).toBe("nats");
      expect(conn.subscriptions_list_detail).toEqual([
        { subject: "hello.foo", sid: "1", msgs: 0, cid: conn.cid },
        { subject: "hello.q", qgroup: "workers", sid: "2", msgs: 2, max: 5, cid: conn.cid },
      ]);
    }
  });

  test("TestMonitorConnzWithCID: cid picks one connection, a miss gives none", async () => {
    h = await startMonitored();
    for (let i = 1; i <= 10; i++) {
      const nc = await subscribeAndPublish(`c${i}`);
      if (i === 5) {
        nc.subscribe("hello.foo");
        nc.subscribe("hello.bar");
        await nc.flush();
      }
    }
    const cid = await cidOf("c5");
    for (const c of await poll(`/connz?cid=${cid}`, { cid })) {
      expect(c.num_connections).toBe(1);
      expect(c.connections[0].cid).toBe(cid);
      expect(c.connections[0].subscriptions).toBe(3);
    }
    for (const c of await poll("/connz?cid=100", { cid: 100 })) expect(c.num_connections).toBe(0);
  });

  test("TestMonitorConnzLastActivity: last_activity moves with client traffic", async () => {
    h = await startMonitored();
    const nc = await subscribeAndPublish("active");
    const before = (await h.json("/connz")).connections[0].last_activity;
    await sleep(20);
    nc.publish("foo", "again");
    await nc.flush();
    const after = (await h.json("/connz")).connections[0].last_activity;
    expect(Date.parse(after)).toBeGreaterThan(Date.parse(before));
  });

  test("TestMonitorConnzWithOffsetAndLimit / TestConnzWithOffsetAndLimit: paging over connections", async () => {
    h = await startMonitored();
    for (const c of await poll("/connz?offset=1&limit=1", { offset: 1, limit: 1 })) expect(c.connections).toEqual([]);
    for (const c of await poll("/connz?offset=-1&limit=-1", { offset: -11, limit: -11 })) {
      expect(c.connections).toEqual([]);
      expect(c.offset).toBe(0);
      expect(c.limit).toBe(1024);
    }
    await subscribeAndPublish();
    await subscribeAndPublish();
    for (const c of await poll("/connz?offset=1&limit=1", { offset: 1, limit: 1 })) {
      expect([c.limit, c.offset, c.connections.length, c.num_connections, c.total]).toEqual([1, 1, 1, 1, 2]);
    }
    for (const c of await poll("/connz?offset=2&limit=1", { offset: 2, limit: 1 })) {
      expect([c.limit, c.offset, c.connections.length, c.num_connections, c.total]).toEqual([1, 2, 0, 0, 2]);
    }
  });

  test("TestMonitorConnzOffsetOverflow: huge offsets page to nothing", async () => {
    h = await startMonitored();
    await subscribeAndPublish();
    const max = "9223372036854775807";
    for (const c of await poll(`/connz?offset=${max}&limit=1`, { offset: Number(max), limit: 1 })) {
      expect(c.connections).toEqual([]);
      expect(c.num_connections).toBe(0);
    }
    expect(() => connz(h.monitor.context!, { offset: Number.MAX_SAFE_INTEGER, limit: Number.MAX_SAFE_INTEGER })).not.toThrow();
  });

  test("TestMonitorConnzWithNamedClient: the CONNECT name is reported", async () => {
    h = await startMonitored();
    await h.client({ name: "test-client" });
    for (const c of await poll("/connz", {})) expect(c.connections[0].name).toBe("test-client");
  });

  test("TestMonitorConnzWithStateForClosedConns: open, closed and any", async () => {
    h = await startMonitored();
    for (let i = 0; i < 10; i++) {
      const closing = await subscribeAndPublish(`closed-${i}`);
      closing.subscribe("hello.closed.conns");
      await closing.flush();
      await closing.close();
      const open = await subscribeAndPublish(`open-${i}`);
      open.subscribe("hello.open.conns");
      await open.flush();
    }
    await eventually(() => h.server.closedConnections.size === 10);
    const closedCid = await cidOf("closed-0");
    const openCid = await cidOf("open-0");
    const count = async (q: string, o: ConnzOptions) => (await poll(q, o)).map((c) => c.connections.length);
    expect(await count("/connz?state=open", { state: "open" })).toEqual([10, 10]);
    expect(await count("/connz?state=closed", { state: "closed" })).toEqual([10, 10]);
    expect(await count("/connz?state=ALL", { state: "any" })).toEqual([20, 20]);
    expect(await count(`/connz?cid=${closedCid}&state=open`, { cid: closedCid, state: "open" })).toEqual([0, 0]);
    expect(await count(`/connz?cid=${closedCid}&state=closed`, { cid: closedCid, state: "closed" })).toEqual([1, 1]);
    expect(await count(`/connz?cid=${closedCid}&state=ALL`, { cid: closedCid, state: "any" })).toEqual([1, 1]);
    for (const c of await poll(`/connz?cid=${closedCid}&state=closed&subs=true`, { cid: closedCid, state: "closed", subscriptions: true })) {
      expect(c.connections[0].subscriptions).toBe(2);
      expect(c.connections[0].subscriptions_list).toHaveLength(2);
    }
    for (const c of await poll(`/connz?cid=${closedCid}&state=closed&subs=false`, { cid: closedCid, state: "closed" })) {
      expect(c.connections[0].subscriptions).toBe(2);
      expect(c.connections[0].subscriptions_list).toBeUndefined();
    }
    expect(await count(`/connz?cid=${openCid}&state=open`, { cid: openCid, state: "open" })).toEqual([1, 1]);
    expect(await count(`/connz?cid=${openCid}&state=all`, { cid: openCid, state: "any" })).toEqual([1, 1]);
    expect(await count(`/connz?cid=${openCid}&state=closed`, { cid: openCid, state: "closed" })).toEqual([0, 0]);
  });

  test("TestMonitorConnzClosedConnsBadClient: a client that hangs up at once is listed as closed", async () => {
    h = await startMonitored();
    const sock = rawConnect(h.server.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    sock.destroy();
    await eventually(() => h.server.closedConnections.size === 1);
    const ci = connz(h.monitor.context!, { state: "closed" }).connections[0];
    const uptime = Date.parse(ci.stop!) - Date.parse(ci.start);
    expect(Number.parseInt(ci.idle, 10) * 1000).toBeLessThanOrEqual(Math.max(uptime, 0) + 999);
    expect(Date.parse(ci.last_activity)).toBeGreaterThan(0);
  });

  test("TestMonitorAuthorizedUsers: auth=1 shows users and accounts, user= filters", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP", "OTHER"] });
    await h.client({ user: "app", pass: "app", name: "a" });
    await h.client({ user: "other", pass: "other", name: "o" });
    for (const c of await poll("/connz?auth=1", { auth: true })) {
      expect(c.connections.map((x) => [x.authorized_user, x.account])).toEqual([
        ["app", "APP"],
        ["other", "OTHER"],
      ]);
    }
    for (const c of await poll("/connz", {})) expect(c.connections[0].authorized_user).toBeUndefined();
    for (const c of await poll("/connz?auth=1&user=other", { auth: true, user: "other" })) {
      expect(c.connections.map((x) => x.name)).toEqual(["o"]);
    }
    for (const c of await poll("/connz?acc=APP", { account: "APP" })) expect(c.connections.map((x) => x.name)).toEqual(["a"]);
  });
});

describe("/connz sorting", () => {
  const orderOf = async (q: string, o: ConnzOptions) => (await poll(q, o)).map((c) => c.connections.map((x) => x.name));

  test("TestMonitorConnzDefaultSorted / TestMonitorConnzSortedByCid / TestMonitorConnzSortedByStart: ascending cid", async () => {
    h = await startMonitored();
    for (let i = 0; i < 4; i++) await subscribeAndPublish(`c${i}`);
    const cids = async (q: string, o: ConnzOptions) => (await poll(q, o)).map((c) => c.connections.map((x) => x.cid));
    for (const [q, o] of [["/connz", {}], ["/connz?sort=cid", { sort: "cid" }], ["/connz?sort=start", { sort: "start" }]] as const) {
      for (const list of await cids(q, o)) expect(list).toEqual([...list].sort((a, b) => a - b));
    }
  });

  test("TestMonitorConnzSortedByBytesAndMsgs: busiest first", async () => {
    h = await startMonitored();
    for (let i = 0; i < 3; i++) await subscribeAndPublish(`quiet${i}`);
    const busy = await h.client({ name: "busy" });
    busy.subscribe("busy");
    for (let i = 0; i < 100; i++) busy.publish("busy", "Hello World");
    await busy.flush();
    for (const sort of ["bytes_to", "msgs_to", "bytes_from", "msgs_from"]) {
      for (const names of await orderOf(`/connz?sort=${sort}`, { sort })) expect(names[0]).toBe("busy");
    }
  });

  test("TestMonitorConnzSortedByPending: the connection with the most queued bytes first", async () => {
    h = await startMonitored();
    await subscribeAndPublish("reader");
    // A client that subscribes and never reads: what it is sent piles up once the kernel buffers are full.
    const sock = rawConnect(h.server.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    sock.pause();
    sock.write('CONNECT {"name":"stuck"}\r\nSUB stuck 1\r\nPING\r\n');
    try {
      await eventually(() => h.server.globalAccount.sublist.hasInterest("stuck"));
      const pub = await h.client({ name: "publisher" });
      const chunk = new Uint8Array(64 * 1024);
      for (let i = 0; i < 128; i++) pub.publish("stuck", chunk);
      await pub.flush();
      await eventually(() => [...h.server.connections.values()].some((c) => c.pendingBytes > 0));
      for (const c of await poll("/connz?sort=pending", { sort: "pending" })) {
        expect(c.connections[0].name).toBe("stuck");
        expect(c.connections[0].pending_bytes).toBeGreaterThan(0);
      }
    } finally {
      sock.destroy();
    }
  });

  test("TestMonitorConnzSortedBySubs: most subscriptions first", async () => {
    h = await startMonitored();
    await subscribeAndPublish("one");
    const many = await subscribeAndPublish("many");
    for (const s of ["a", "b", "c"]) many.subscribe(s);
    await many.flush();
    for (const names of await orderOf("/connz?sort=subs", { sort: "subs" })) expect(names).toEqual(["many", "one"]);
  });

  test("TestMonitorConnzSortedByLast: most recent activity first", async () => {
    h = await startMonitored();
    const a = await subscribeAndPublish("a");
    await subscribeAndPublish("b");
    await sleep(15);
    a.publish("foo", "late");
    await a.flush();
    for (const names of await orderOf("/connz?sort=last", { sort: "last" })) expect(names[0]).toBe("a");
  });

  test("TestMonitorConnzSortedByIdle / TestMonitorConnzSortByIdleTime: most idle first", async () => {
    h = await startMonitored();
    await subscribeAndPublish("idle");
    await sleep(15);
    const active = await subscribeAndPublish("active");
    active.publish("foo", "x");
    await active.flush();
    for (const names of await orderOf("/connz?sort=idle", { sort: "idle" })) expect(names).toEqual(["idle", "active"]);
  });

  test("TestMonitorConnzSortedByUptime: ascending uptime", async () => {
    h = await startMonitored();
    for (let i = 0; i < 4; i++) {
      await subscribeAndPublish(`c${i}`);
      await sleep(10);
    }
    for (const c of await poll("/connz?sort=uptime", { sort: "uptime" })) {
      const ups = c.connections.map((x) => Date.now() - Date.parse(x.start));
      expect(ups).toEqual([...ups].sort((a, b) => a - b));
    }
  });

  test("TestMonitorConnzSortedByUptimeClosedConn: closed connections sort by stop - start", async () => {
    h = await startMonitored();
    for (let i = 0; i < 4; i++) {
      const nc = await subscribeAndPublish(`c${i}`);
      await sleep(10 * (4 - i));
      await nc.close();
    }
    await eventually(() => h.server.closedConnections.size === 4);
    for (const c of await poll("/connz?state=closed&sort=uptime", { state: "closed", sort: "uptime" })) {
      const ups = c.connections.map((x) => Date.parse(x.stop!) - Date.parse(x.start));
      expect(ups).toEqual([...ups].sort((a, b) => a - b));
    }
  });

  test("TestMonitorConnzSortedByStopOnOpen / TestMonitorConnzSortedByReasonOnOpen: only for closed", async () => {
    h = await startMonitored();
    for (const sort of ["stop", "reason"]) {
      const r = await h.get(`/connz?sort=${sort}`);
      expect(r.status).toBe(400);
      expect(() => connz(h.monitor.context!, { sort })).toThrow(`sort by ${sort} only valid on closed connections`);
    }
  });

  test("TestMonitorConnzSortedByStopTimeClosedConn: latest stop first", async () => {
    h = await startMonitored();
    for (let i = 0; i < 4; i++) {
      const nc = await subscribeAndPublish(`c${i}`);
      await nc.close();
      await sleep(5);
    }
    await eventually(() => h.server.closedConnections.size === 4);
    for (const c of await poll("/connz?state=closed&sort=stop", { state: "closed", sort: "stop" })) {
      const stops = c.connections.map((x) => Date.parse(x.stop!));
      expect(stops).toEqual([...stops].sort((a, b) => b - a));
    }
  });

  test("TestMonitorConnzSortedByReason: ascending reason", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP"] });
    const ok = await h.client({ user: "app", pass: "app" });
    await ok.close();
    await expect(h.client({ user: "app", pass: "bad", reconnect: false })).rejects.toThrow();
    await eventually(() => h.server.closedConnections.size === 2);
    for (const c of await poll("/connz?state=closed&sort=reason", { state: "closed", sort: "reason" })) {
      expect(c.connections.map((x) => x.reason)).toEqual(["Authentication Failure", "Client Closed"]);
    }
  });

  test("TestMonitorConnzSortBadRequest: an unknown sort answers 400", async () => {
    h = await startMonitored();
    const r = await h.get("/connz?sort=foo");
    expect([r.status, r.text]).toEqual([400, "invalid sorting option: foo"]);
  });

  test("TestMonitorConnzSortByRTT: slowest round trip first", async () => {
    h = await startMonitored({ pingInterval: 30 });
    await subscribeAndPublish("a");
    await subscribeAndPublish("b");
    await eventually(() => [...h.server.connections.values()].every((c) => c.rtt > 0));
    // Each answer's own rtt strings, in nanoseconds (PINGs keep re-measuring them).
    const unit: Record<string, number> = { ns: 1, µs: 1e3, ms: 1e6, s: 1e9 };
    const nanos = (rtt: string) => {
      const m = /^([0-9.]+)(ns|µs|ms|s)$/.exec(rtt)!;
      return Number(m[1]) * unit[m[2]];
    };
    for (const c of await poll("/connz?sort=rtt", { sort: "rtt" })) {
      const rtts = c.connections.map((x) => nanos(x.rtt));
      expect(rtts).toEqual([...rtts].sort((a, b) => b - a));
    }
  });

  test("TestMonitorConnzRTT: the round-trip time is reported once measured", async () => {
    h = await startMonitored({ pingInterval: 30 });
    await subscribeAndPublish("timed");
    const ci = await eventually(async () => {
      const c: ConnzJson = await h.json("/connz");
      return c.connections[0].rtt !== "0s" ? c.connections[0] : undefined;
    });
    expect(ci.rtt).toMatch(/^[0-9.]+(ns|µs|ms|s)$/);
  });
});
