import { afterEach, describe, expect, test } from "vitest";
import { ClosedReason, type ConnectionSnapshot, type ForeignConnection, type NatsServer } from "../../src/index.js";
import { connectTo, startServer } from "../helpers.js";

/** A stand-in for a plugin's connection: its snapshot is whatever the test sets. */
function foreign(server: NatsServer, fields: Partial<ConnectionSnapshot> = {}): ForeignConnection & { state: Partial<ConnectionSnapshot> } {
  const cid = server.foreignConnections.allocateCid();
  const start = new Date();
  const conn = {
    cid,
    state: fields,
    close(reason: ClosedReason): void {
      conn.state = { ...conn.state, reason };
      server.foreignConnections.remove(conn);
    },
    snapshot(): ConnectionSnapshot {
      return {
        cid,
        kind: "CLIENT",
        host: "127.0.0.1",
        port: 5000 + cid,
        start,
        stop: undefined,
        reason: undefined,
        name: "",
        lang: "",
        version: "",
        account: undefined,
        user: undefined,
        connectUser: "",
        transport: "mqtt",
        rtt: 0,
        tls: undefined,
        certificate: undefined,
        stats: { inMsgs: 0, outMsgs: 0, inBytes: 0, outBytes: 0 },
        subscriptions: [],
        lastActivity: start,
        ...conn.state,
      };
    },
  };
  return conn;
}

describe("foreign connections", () => {
  let server: NatsServer | undefined;
  afterEach(async () => {
    await server?.shutdown();
    server = undefined;
  });

  test("are counted with core clients and share their connection ids", async () => {
    server = await startServer();
    const nc = await connectTo(server);
    const a = foreign(server);
    expect(server.foreignConnections.add(a)).toBe(true);
    const nc2 = await connectTo(server);
    expect(server.clientCount).toBe(3);
    expect(server.stats.totalConnections).toBe(3);
    const cids = [...server.connections.keys(), a.cid];
    expect(new Set(cids).size).toBe(3);
    expect(server.foreignConnections.get(a.cid)).toBe(a);
    server.foreignConnections.remove(a);
    expect(server.clientCount).toBe(2);
    expect(server.stats.totalConnections).toBe(3);
    await nc.close();
    await nc2.close();
  });

  test("max_connections counts foreign connections, both ways", async () => {
    server = await startServer({ maxConnections: 2 });
    const a = foreign(server);
    const b = foreign(server);
    expect(server.foreignConnections.add(a)).toBe(true);
    expect(server.foreignConnections.add(b)).toBe(true);
    expect(server.foreignConnections.add(foreign(server))).toBe(false);
    expect(server.foreignConnections.size).toBe(2);
    // A NATS client over the limit is refused as well.
    await expect(connectTo(server)).rejects.toThrow(/maximum connections exceeded/);
    server.foreignConnections.remove(b);
    const nc = await connectTo(server);
    expect(server.foreignConnections.add(foreign(server))).toBe(false);
    await nc.close();
  });

  test("authenticated: connect event with the snapshot, counted in its account", async () => {
    server = await startServer({ accounts: { A: { users: [{ user: "a", password: "a" }] } } });
    const events: ConnectionSnapshot[] = [];
    server.events.on("foreignClientConnected", (s) => events.push(s));
    const a = foreign(server, { account: "A", user: "a", mqttClient: "dev1" });
    server.foreignConnections.add(a);
    expect(events).toHaveLength(0);
    server.foreignConnections.authenticated(a);
    server.foreignConnections.authenticated(a);
    expect(events.map((s) => s.mqttClient)).toEqual(["dev1"]);
    expect(server.lookupAccount("A")!.connections).toBe(1);
    server.foreignConnections.remove(a);
    expect(server.lookupAccount("A")!.connections).toBe(0);
  });

  test("an account at its max_connections refuses them (core and foreign clients count together)", async () => {
    server = await startServer({ accounts: { A: { users: [{ user: "a", password: "a" }], limits: { maxConnections: 2 } } } });
    const nc = await connectTo(server, { user: "a", pass: "a" });
    const a = foreign(server, { account: "A" });
    const b = foreign(server, { account: "A" });
    server.foreignConnections.add(a);
    server.foreignConnections.add(b);
    expect(server.foreignConnections.authenticated(a)).toBe(true);
    expect(server.foreignConnections.authenticated(b)).toBe(false);
    expect(server.lookupAccount("A")!.connections).toBe(2);
    await expect(connectTo(server, { user: "a", pass: "a" })).rejects.toThrow(/maximum account active connections exceeded/);
    await nc.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(server.foreignConnections.authenticated(b)).toBe(true);
  });

  test("closing keeps the snapshot among closed connections and emits clientClosed (and authError)", async () => {
    server = await startServer();
    const closed: ConnectionSnapshot[] = [];
    const authErrors: ConnectionSnapshot[] = [];
    server.events.on("clientClosed", (s) => closed.push(s));
    server.events.on("authError", (s) => authErrors.push(s));
    const a = foreign(server, { mqttClient: "ok" });
    const b = foreign(server, { mqttClient: "bad" });
    server.foreignConnections.add(a);
    server.foreignConnections.add(b);
    server.foreignConnections.remove(a);
    b.state = { ...b.state, reason: ClosedReason.AuthenticationViolation };
    server.foreignConnections.remove(b);
    server.foreignConnections.remove(b);
    expect(closed.map((s) => [s.mqttClient, s.reason])).toEqual([
      ["ok", ClosedReason.ClientClosed],
      ["bad", ClosedReason.AuthenticationViolation],
    ]);
    expect(closed[0]!.stop).toBeInstanceOf(Date);
    expect(authErrors.map((s) => s.mqttClient)).toEqual(["bad"]);
    expect(server.closedConnections.list().map((s) => s.cid)).toEqual([a.cid, b.cid]);
  });

  test("lame duck mode closes them with the core clients, and refuses new ones", async () => {
    server = await startServer({ lameDuckDuration: 50, lameDuckGracePeriod: 10 });
    const closed: ConnectionSnapshot[] = [];
    server.events.on("clientClosed", (s) => closed.push(s));
    const a = foreign(server, { mqttClient: "a" });
    server.foreignConnections.add(a);
    const done = server.enterLameDuckMode();
    expect(server.foreignConnections.add(foreign(server))).toBe(false);
    await done;
    expect(closed.map((s) => [s.mqttClient, s.reason])).toEqual([["a", ClosedReason.ServerShutdown]]);
    expect(server.foreignConnections.size).toBe(0);
  });

  test("nothing is registered while the server is not running", async () => {
    server = await startServer();
    const s = server;
    await s.shutdown();
    expect(s.foreignConnections.add(foreign(s))).toBe(false);
    expect(s.foreignConnections.size).toBe(0);
  });
});
