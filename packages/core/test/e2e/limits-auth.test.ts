import { describe, expect, test } from "vitest";
import { ClosedReason } from "../../src/index.js";
import { connectTo, startServer, withServer } from "../helpers.js";
import { RawClient } from "../raw-client.js";

const CONNECT = 'CONNECT {"verbose":false,"pedantic":false,"headers":true,"protocol":1}\r\n';

describe("limits", () => {
  test("max_payload: a PUB over the limit gets -ERR 'Maximum Payload Violation' and is closed", () =>
    withServer({ maxPayload: 1024 }, async (server) => {
      const raw = await RawClient.open(server.port);
      await raw.waitFor('"max_payload":1024');
      raw.send(CONNECT + "PUB foo 2000\r\n");
      await raw.waitFor("-ERR 'Maximum Payload Violation'\r\n");
      await raw.waitClosed();
      expect(server.closedConnections.list().at(-1)?.reason).toBe(ClosedReason.MaxPayloadExceeded);
    }));

  test("max_payload: the nats.js client refuses to send an oversize message", () =>
    withServer({ maxPayload: 1024 }, async (server) => {
      const nc = await connectTo(server);
      expect(() => nc.publish("foo", new Uint8Array(2000))).toThrow(/payload/i);
      await nc.close();
    }));

  test("max_connections: the connection past the limit gets -ERR 'maximum connections exceeded'", () =>
    withServer({ maxConnections: 1 }, async (server) => {
      const first = await connectTo(server);
      await expect(connectTo(server)).rejects.toThrow(/maximum connections exceeded/);
      await first.close();
    }));

  test("max_subscriptions: the subscription past the limit gets -ERR 'maximum subscriptions exceeded', the connection stays", () =>
    withServer({ maxSubscriptions: 2 }, async (server) => {
      const raw = await RawClient.open(server.port);
      raw.send(CONNECT + "SUB a 1\r\nSUB b 2\r\nSUB c 3\r\nPING\r\n");
      await raw.waitFor("PONG");
      expect(raw.received).toContain("-ERR 'maximum subscriptions exceeded'");
      expect(raw.closed).toBe(false);
      raw.close();
    }));

  test("slow consumer: a subscriber that does not read is disconnected and counted", () =>
    withServer({ maxPending: 256 * 1024 }, async (server) => {
      const lazy = await RawClient.open(server.port);
      lazy.send(CONNECT + "SUB flood 1\r\nPING\r\n");
      await lazy.waitFor("PONG");
      lazy.socket.pause();
      const pub = await connectTo(server);
      const chunk = new Uint8Array(64 * 1024);
      for (let i = 0; i < 1000 && server.stats.slowConsumers === 0; i++) {
        pub.publish("flood", chunk);
        if (i % 50 === 0) await pub.flush();
      }
      await pub.flush();
      expect(server.stats.slowConsumers).toBe(1);
      const closed = server.closedConnections.list().find((c) => c.subscriptions.some((s) => s.subject === "flood"));
      expect(closed?.reason).toBe(ClosedReason.SlowConsumerPendingBytes);
      await pub.close();
      lazy.close();
    }));

  test("unknown protocol operation gets -ERR 'Unknown Protocol Operation' and a close", () =>
    withServer({}, async (server) => {
      const raw = await RawClient.open(server.port);
      raw.send(CONNECT + "FOO bar\r\n");
      await raw.waitFor("-ERR 'Unknown Protocol Operation'");
      await raw.waitClosed();
    }));

  test("verbose mode answers +OK for CONNECT, SUB and PUB", () =>
    withServer({}, async (server) => {
      const raw = await RawClient.open(server.port);
      raw.send('CONNECT {"verbose":true}\r\nSUB v 1\r\nPUB v 2\r\nhi\r\nPING\r\n');
      await raw.waitFor("PONG");
      expect(raw.received.match(/\+OK\r\n/g)?.length).toBe(3);
      expect(raw.received).toContain("MSG v 1 2\r\nhi\r\n");
      raw.close();
    }));

  test("stale connection: a client that never answers PING is closed with -ERR 'Stale Connection'", () =>
    withServer({ pingInterval: 50, pingMax: 2 }, async (server) => {
      const raw = await RawClient.open(server.port);
      raw.send(CONNECT);
      await raw.waitFor("-ERR 'Stale Connection'");
      await raw.waitClosed();
      expect(raw.received.match(/PING\r\n/g)?.length).toBe(2);
    }));
});

describe("authentication without a config file", () => {
  test("token: right token connects, wrong token gets Authorization Violation", () =>
    withServer({ authorization: { token: "s3cret" } }, async (server) => {
      const ok = await connectTo(server, { token: "s3cret" });
      await ok.flush();
      await ok.close();
      await expect(connectTo(server, { token: "nope" })).rejects.toThrow(/Authorization Violation/);
    }));

  test("user/password: right pair connects, wrong password fails", () =>
    withServer({ authorization: { user: "alice", password: "pw" } }, async (server) => {
      const ok = await connectTo(server, { user: "alice", pass: "pw" });
      expect(ok.info?.auth_required).toBe(true);
      await ok.close();
      await expect(connectTo(server, { user: "alice", pass: "bad" })).rejects.toThrow(/Authorization Violation/);
      await expect(connectTo(server)).rejects.toThrow(/Authorization Violation/);
    }));

  test("no_auth_user: a client without credentials becomes that user", () =>
    withServer({ authorization: { user: "alice", password: "pw" }, noAuthUser: "alice" }, async (server) => {
      const nc = await connectTo(server);
      await nc.flush();
      const [client] = server.connections.values();
      expect(client.user).toBe("alice");
      await nc.close();
    }));

  test("a protocol op before CONNECT when auth is required is an Authorization Violation", () =>
    withServer({ authorization: { token: "t" } }, async (server) => {
      const raw = await RawClient.open(server.port);
      raw.send("SUB foo 1\r\n");
      await raw.waitFor("-ERR 'Authorization Violation'");
      await raw.waitClosed();
    }));

  test("auth timeout: no CONNECT within the timeout closes with -ERR 'Authentication Timeout'", () =>
    withServer({ authorization: { token: "t", timeout: 0.1 } }, async (server) => {
      const raw = await RawClient.open(server.port);
      await raw.waitFor("-ERR 'Authentication Timeout'");
      await raw.waitClosed();
    }));
});

describe("lifecycle", () => {
  test("lame duck mode: clients get INFO with ldm:true, then are closed and the server stops", async () => {
    const server = await startServer({ lameDuckDuration: 300, lameDuckGracePeriod: 100 });
    const raw = await RawClient.open(server.port);
    raw.send(CONNECT + "PING\r\n");
    await raw.waitFor("PONG");
    const done = server.enterLameDuckMode();
    await raw.waitFor('"ldm":true');
    await raw.waitClosed();
    await done;
    expect(server.isRunning).toBe(false);
  });

  test("shutdown closes clients and frees the port for an immediate restart", async () => {
    const server = await startServer();
    const port = server.port;
    const nc = await connectTo(server);
    await server.shutdown();
    await nc.closed();
    const again = await startServer({ port });
    expect(again.port).toBe(port);
    await again.shutdown();
  });

  test("lameDuck and shuttingDown events come while clients are still connected, each once", async () => {
    const server = await startServer({ lameDuckDuration: 100, lameDuckGracePeriod: 20 });
    const raw = await RawClient.open(server.port);
    raw.send(CONNECT + "PING\r\n");
    await raw.waitFor("PONG");
    const seen: string[] = [];
    const note = (event: string) => () => seen.push(`${event}:${server.connections.size}:${server.isRunning}`);
    server.events.on("lameDuck", note("lameDuck"));
    server.events.on("shuttingDown", note("shuttingDown"));
    server.events.on("clientClosed", () => seen.push("clientClosed"));
    await server.enterLameDuckMode();
    await server.shutdown();
    expect(seen).toEqual(["lameDuck:1:true", "clientClosed", "shuttingDown:0:true"]);

    const second = await startServer();
    const client = await RawClient.open(second.port);
    client.send(CONNECT + "PING\r\n");
    await client.waitFor("PONG");
    const order: string[] = [];
    second.events.on("shuttingDown", () => order.push(`shuttingDown:${second.connections.size}`));
    second.events.on("clientClosed", () => order.push("clientClosed"));
    await Promise.all([second.shutdown(), second.shutdown()]);
    expect(order).toEqual(["shuttingDown:1", "clientClosed"]);
  });
});
