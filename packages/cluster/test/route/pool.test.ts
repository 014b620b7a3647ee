import { createServer } from "node:net";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterEach, describe, expect, test } from "vitest";
import { routePoolIndex } from "../../src/route/pool.js";
import { routez, varzCluster } from "../../src/route/monitor.js";
import { freePort, Topology, waitFor } from "./helpers.js";
import { RawConn } from "./raw.js";
import { clusterFormed, connectRace, connections, cut, member, sendAndRecv, startManaged, userClient } from "./pool-support.js";

const topo = new Topology();
afterEach(() => topo.stop());

describe("routes: pooling", () => {
  test("the pool index is Go's computeRoutePoolIdx: FNV-1a of the account name modulo the pool size", () => {
    expect(routePoolIndex(2, "A")).toBe(0);
    expect(routePoolIndex(2, "B")).toBe(1);
    expect([routePoolIndex(4, "A"), routePoolIndex(4, "B"), routePoolIndex(4, "C"), routePoolIndex(4, "D")]).toEqual([0, 1, 2, 3]);
    // The FNV-1a 32-bit test vectors, seen through a pool larger than any hash.
    expect(routePoolIndex(2 ** 32, "a")).toBe(0xe40c292c);
    expect(routePoolIndex(2 ** 32, "foobar")).toBe(0xbf9cf968);
    expect(routePoolIndex(1, "anything")).toBe(0);
    expect(routePoolIndex(-1, "anything")).toBe(0);
  });

  test("TestRoutePool: each account on its pool connection; a dropped pool connection comes back", async () => {
    const s1 = await startManaged(topo, member("pool_size: 2"));
    const s2 = await startManaged(topo, member("pool_size: 2", [s1.routePort]));
    await clusterFormed([s1, s2]);
    for (const s of [s1, s2]) {
      expect(s.manager.table.accountPoolIndex("A")).toBe(0);
      expect(s.manager.table.accountPoolIndex("B")).toBe(1);
    }
    await sendAndRecv(topo, s1, s2, "A", 1000);
    await sendAndRecv(topo, s1, s2, "B", 1000);
    // Account A went over the pool connection at index 0, B over the one at index 1.
    const pool1 = s1.manager.table.remotes.get(s2.server.id)!.conns;
    const pool2 = s2.manager.table.remotes.get(s1.server.id)!.conns;
    for (let i = 0; i < 2; i++) {
      expect(pool1[i]!.outMsgs).toBeGreaterThanOrEqual(1000);
      expect(pool2[i]!.inMsgs).toBeGreaterThanOrEqual(1000);
    }
    // S1 drops its connection at index 0, S2 its connection at index 1 (at once, to wait one reconnect delay only).
    const drops = ([[s1, s2, 0], [s2, s1, 1]] as const).map(([s, other, idx]) => {
      const dropped = s.manager.table.remotes.get(other.server.id)!.conns[idx]!;
      cut(dropped);
      return () => {
        const c = s.manager.table.remotes.get(other.server.id)?.conns[idx];
        return c !== undefined && c !== dropped;
      };
    });
    await waitFor("both slots refilled", () => drops.every((refilled) => refilled()));
    await clusterFormed([s1, s2]);
    await sendAndRecv(topo, s2, s1, "A", 10);
  });

  test("TestRoutePoolConnectRace: servers soliciting each other settle on one pool each, all solicited and configured", async () => {
    // No pool, a pool of one and a pool of five: three independent clusters at once.
    await Promise.all(["pool_size: -1", "pool_size: 1", "pool_size: 5"].map((pool) => connectRace(topo, pool)));
  });

  test("TestRoutePoolRouteStoredSameIndexBothSides: both ends keep a connection at the same pool index", async () => {
    const accounts = ["A", "B", "C", "D"];
    const s1 = await startManaged(topo, member("pool_size: 4", [], { accounts }));
    const s2 = await startManaged(topo, member("pool_size: 4", [s1.routePort], { accounts }));
    for (let round = 0; round < 2; round++) {
      await clusterFormed([s1, s2]);
      const on1 = s1.manager.table.remotes.get(s2.server.id)!.conns;
      const on2 = s2.manager.table.remotes.get(s1.server.id)!.conns;
      expect(on1.map((c) => c!.remotePort)).toEqual(on2.map((c) => c!.localPort));
      const pinned1 = s1.manager.table.pinned.get("$SYS")!.get(s2.server.id)!;
      expect(pinned1.remotePort).toBe(s2.manager.table.pinned.get("$SYS")!.get(s1.server.id)!.localPort);
      for (const c of connections(s1)) cut(c);
      await waitFor("all dropped", () => connections(s1).every((c) => !on1.includes(c)));
    }
  });

  test("TestRoutePoolSizeDifferentOnEachServer: the larger pool size wins between two servers; every account reaches every server once", async () => {
    const accounts = ["A", "B", "C", "D"];
    const s1 = await startManaged(topo, member(`pool_size: 3\naccounts: ["A"]`, [], { name: "S1", accounts }));
    const s2 = await startManaged(topo, member(`pool_size: 2\naccounts: ["A"]`, [s1.routePort], { name: "S2", accounts }));
    const s3 = await startManaged(topo, member(`pool_size: 4\naccounts: ["A"]`, [s1.routePort], { name: "S3", accounts }));
    const servers = [s1, s2, s3];
    // Go's 9, 9, 10 (the larger pool plus pinned A between each pair), plus the system account's route to each of the two others.
    const expected = [11, 11, 12];
    await waitFor(`route connections ${expected}`, () => servers.every((s, i) => s.manager.table.size === expected[i]));
    expect(s1.manager.table.remotes.get(s2.server.id)!.poolSize).toBe(2);
    expect(s2.manager.table.remotes.get(s1.server.id)!.poolSize).toBe(3);
    expect(s1.manager.table.remotes.get(s3.server.id)!.poolSize).toBe(4);

    // One subscriber per account per server; a message from any server in any account reaches each once.
    const got = new Map<string, string[]>();
    for (const acc of accounts) {
      for (const s of servers) {
        const nc = await userClient(topo, s, acc);
        const key = `${acc}@${s.server.id}`;
        got.set(key, []);
        nc.subscribe("foo", { callback: (_e, m) => void got.get(key)!.push(m.string()) });
        await nc.flush();
      }
    }
    for (const acc of accounts) {
      for (const s of servers) await waitFor(`${acc} interest on ${s.server.name}`, () => s.server.lookupAccount(acc)!.sublist.match("foo").psubs.length === 3);
    }
    const pubs: NatsConnection[] = [];
    for (const s of servers) {
      for (const acc of accounts) {
        const nc = await userClient(topo, s, acc);
        nc.publish("foo", `${acc} from ${s.server.name}`);
        pubs.push(nc);
      }
    }
    for (const nc of pubs) await nc.flush();
    await waitFor("every message everywhere", () => [...got.values()].every((g) => g.length >= 3));
    for (const nc of pubs) await nc.flush();
    for (const [key, g] of got) {
      const acc = key.split("@")[0];
      expect(g.sort()).toEqual(servers.map((s) => `${acc} from ${s.server.name}`).sort());
    }

    // S3 goes: the others forget it, and its pool size.
    const s3id = s3.server.id;
    await s3.stop();
    await waitFor("S3's routes gone", () => s1.manager.table.size === 5 && s2.manager.table.size === 5);
    expect(s1.manager.table.remotes.has(s3id)).toBe(false);
    expect(s2.manager.table.remotes.has(s3id)).toBe(false);
  });

  test("TestRoutePoolWithOlderServerConnectAndReconnect: a pooling server stops dialling one that does not pool, and dials it again after a restart", async () => {
    // Each names the other (Go's config reload does it there): S1's route port must be known ahead.
    const p1 = await freePort();
    const s2 = await startManaged(topo, member("pool_size: -1", [p1], { name: "B" }));
    const s1 = await startManaged(topo, member("pool_size: 3", [s2.routePort], { name: "A", routePort: p1 }));
    const duplicates = () => s1.lines.filter((l) => l.includes("Duplicate Route")).length;
    /** Go's checkRepeatConnect: no duplicate route for longer than a reconnect cycle (1 s plus up to 100 ms). */
    const noRepeatConnect = async () => {
      let seen = duplicates();
      let last = Date.now();
      const end = Date.now() + 2500;
      while (Date.now() < end) {
        if (duplicates() !== seen) {
          seen = duplicates();
          last = Date.now();
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(Date.now() - last).toBeGreaterThanOrEqual(1200);
    };
    await clusterFormed([s1, s2]);
    await noRepeatConnect();
    expect(connections(s1).map((c) => c.noPool)).toEqual([true]);
    // S2 restarts on its port without routes of its own: S1 must dial it again.
    const port2 = s2.routePort;
    await s2.stop();
    const again = await startManaged(topo, member("pool_size: -1", [], { name: "B", routePort: port2 }));
    await clusterFormed([s1, again]);
    await noRepeatConnect();
    await sendAndRecv(topo, s1, again, "A", 5);
  });

  test("TestRoutePoolBadAuthNoRunawayCreateRoute: wrong route credentials do not make the pool dial in a loop", async () => {
    const auth = `authorization { user: correct, password: correct, timeout: 5 }`;
    const s1 = await startManaged(topo, member(`pool_size: 4\n${auth}`, [], { name: "S1" }));
    const bad = `pool_size: 5\nroutes: ["nats://incorrect:incorrect@127.0.0.1:${s1.routePort}"]`;
    await startManaged(topo, member(bad, [], { name: "S2" }));
    await new Promise((r) => setTimeout(r, 1500));
    // One failed pool connection and the pinned one per reconnect (every second), nothing more.
    expect(s1.lines.filter((l) => l.startsWith("[ERR]")).length).toBeLessThanOrEqual(10);
    const good = `pool_size: 5\nroutes: ["nats://correct:correct@127.0.0.1:${s1.routePort}"]`;
    const s3 = await startManaged(topo, member(good, [], { name: "S3" }));
    await waitFor("S3 has its pool to S1", () => s3.manager.table.size === 6 && s1.manager.table.remotes.get(s3.server.id)?.conns.every((c) => c !== undefined));
  });

  test("TestRoutePoolFirstPongBlocksChain: an early PONG does not stop the pool's next connection", async () => {
    const accepted: RawConn[] = [];
    const l = topo.keepListener(createServer((sock) => accepted.push(topo.keepRaw(RawConn.adopt(sock)))));
    await new Promise<void>((r) => l.listen(0, "127.0.0.1", () => r()));
    const mockPort = (l.address() as { port: number }).port;
    await startManaged(topo, member("pool_size: 3\ncompression: off", [mockPort], { name: "S2" }));
    await waitFor("pool and system account connections", () => accepted.length === 2);
    // The pooled connection sends CONNECT and waits for our INFO; the pinned one sends its INFO at once.
    let pooled: RawConn | undefined;
    for (const c of accepted) {
      await c.expect(/CONNECT \{[^\r\n]*\}\r\n/);
      const info = await c.expect(/INFO (\{[^\r\n]*\})\r\n/, 300).catch(() => undefined);
      if (info === undefined) pooled = c;
      else expect(JSON.parse(info[1]).route_account).toBe("$SYS");
    }
    expect(pooled).toBeDefined();
    // A PONG before our INFO, then the INFO: the server registers the route and PINGs.
    pooled!.send("PONG\r\n");
    pooled!.send(`INFO ${JSON.stringify({ server_id: "MOCK_SERVER_ID", server_name: "mock", host: "127.0.0.1", port: mockPort, cluster: "local", headers: true, proto: 1, route_pool_size: 3 })}\r\n`);
    const delayed = JSON.parse((await pooled!.expect(/INFO (\{[^\r\n]*\})\r\n/))[1]) as Record<string, unknown>;
    expect(delayed.route_pool_size).toBe(3);
    expect(delayed.route_pool_idx).toBeUndefined();
    await pooled!.expect(/PING\r\n/);
    pooled!.send("PONG\r\n");
    await waitFor("the pool's second connection", () => accepted.length === 3, 3000);
  });
});

describe("routes: pool monitoring", () => {
  test("TestMonitorRoutezPoolSize: /varz pool_size, routes and remotes; /routez lists every pool connection", async () => {
    const s1 = await startManaged(topo, member("pool_size: 5"));
    const s2 = await startManaged(topo, member("pool_size: 5", [s1.routePort]));
    const s3 = await startManaged(topo, member("pool_size: 5", [s1.routePort]));
    const servers = [s1, s2, s3];
    await clusterFormed(servers);
    for (const s of servers) {
      expect(varzCluster(s.manager).pool_size).toBe(5);
      expect(s.manager.table.remotes.size).toBe(2);
      // Go's 10 route connections (5 to each of 2 servers), plus the system account's one to each.
      const z = routez(s.manager, { subscriptions: false, subscriptionsDetail: false }) as { num_routes: number; routes: Record<string, unknown>[] };
      expect(z.num_routes).toBe(12);
      expect(z.routes.length).toBe(12);
      const per = new Map<unknown, number>();
      for (const r of z.routes) per.set(r.remote_id, (per.get(r.remote_id) ?? 0) + (r.account === undefined ? 1 : 0));
      expect([...per.values()]).toEqual([5, 5]);
    }
  });

  test("TestMonitorRoutezPerAccount: each remote has one and only one route for a pinned account", async () => {
    const s1 = await startManaged(topo, member(`accounts: ["A"]`));
    const s2 = await startManaged(topo, member(`accounts: ["A"]`, [s1.routePort]));
    const s3 = await startManaged(topo, member(`accounts: ["A"]`, [s1.routePort]));
    const servers = [s1, s2, s3];
    await clusterFormed(servers);
    for (const s of servers) {
      // Default pool size + account A + the system account, to each of 2 servers.
      const z = routez(s.manager, { subscriptions: false, subscriptionsDetail: false }) as { num_routes: number; routes: Record<string, unknown>[] };
      expect(z.num_routes).toBe(2 * (3 + 1 + 1));
      const forA = new Map<unknown, number>();
      for (const r of z.routes) forA.set(r.remote_id, (forA.get(r.remote_id) ?? 0) + (r.account === "A" ? 1 : 0));
      expect(forA.size).toBe(2);
      expect([...forA.values()]).toEqual([1, 1]);
    }
  });
});
