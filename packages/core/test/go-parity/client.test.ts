// Ports of the Go server's client and server tests (server/client_test.go, server/server_test.go)
// that check behaviour visible on the wire.
import { describe, expect, test } from "vitest";
import { ClosedReason, NatsServer } from "../../src/index.js";
import { connectTo } from "../helpers.js";
import type { RawClient } from "../raw-client.js";
import { expectMsgs, flushed, protoFixture } from "./proto-helpers.js";

const { server, conn, raw } = protoFixture();

function info(c: RawClient): Record<string, unknown> {
  return JSON.parse(c.received.slice(5, c.received.indexOf("\r\n")));
}

describe("server/client_test.go", () => {
  test("TestClientCreateAndInfo: INFO is JSON with Go's defaults", async () => {
    const s = await server();
    const c = await raw(s);
    expect(c.received.startsWith("INFO ")).toBe(true);
    const i = info(c);
    expect(i.max_payload).toBe(1024 * 1024);
    expect(i.auth_required).toBeUndefined();
    expect(i.tls_required).toBeUndefined();
    expect(i.port).toBe(s.port);
    expect(i.client_id).toBe([...s.connections.keys()][0]);
  });

  test("TestServerHeaderSupport: INFO announces header support", async () => {
    expect(info(await raw(await server())).headers).toBe(true);
  });

  test("TestClientHeaderSupport: HPUB without announcing headers closes the connection", async () => {
    const s = await server();
    const c = await raw(s);
    c.send("CONNECT {}\r\nHPUB foo 0 2\r\nok\r\n");
    await c.waitClosed();
    expect(s.closedConnections.list().at(-1)?.reason).toBe(ClosedReason.ProtocolViolation);
    const ok = await raw(s);
    ok.send('CONNECT {"headers":true}\r\nHPUB foo 0 2\r\nok\r\nPING\r\n');
    await ok.waitFor("PONG\r\n");
  });

  test("TestClientNoResponderSupport: no_responders needs headers; a request to nobody gets a 503", async () => {
    const s = await server();
    const bad = await raw(s);
    bad.send('CONNECT {"no_responders":true}\r\n');
    await bad.waitFor("-ERR 'no responders requires headers support'");
    await bad.waitClosed();
    const c = await raw(s);
    c.received = "";
    c.send('CONNECT {"headers":true, "no_responders":true}\r\nSUB reply 1\r\nPUB foo reply 2\r\nok\r\n');
    await c.waitFor("HMSG reply 1 35 35\r\nNATS/1.0 503\r\nNats-Subject: foo\r\n\r\n\r\n");
  });

  test("TestClientHeaderDeliverMsg: HPUB is delivered as HMSG with both sizes", async () => {
    const c = await conn(await server(), '{"headers":true}');
    c.send("SUB foo 1\r\nHPUB foo 12 14\r\nName:Derek\r\nOK\r\n");
    await c.waitFor("HMSG foo 1 12 14\r\nName:Derek\r\nOK\r\n");
  });

  test("TestClientHeaderDeliverStrippedMsg: a subscriber without header support gets the payload alone", async () => {
    const s = await server();
    const b = await conn(s);
    b.send("SUB foo 1\r\n");
    await flushed(b);
    b.received = "";
    const c = await conn(s, '{"headers":true}');
    c.send("HPUB foo 12 14\r\nName:Derek\r\nOK\r\n");
    await b.waitFor("MSG foo 1 2\r\nOK\r\n");
    expect(b.received).toBe("MSG foo 1 2\r\nOK\r\n");
  });

  test("TestClientHeaderDeliverQueueSubStrippedMsg: the same for a queue subscriber", async () => {
    const s = await server();
    const b = await conn(s);
    b.send("SUB foo bar 1\r\n");
    await flushed(b);
    b.received = "";
    const c = await conn(s, '{"headers":true}');
    c.send("HPUB foo 12 14\r\nName:Derek\r\nOK\r\n");
    await b.waitFor("MSG foo 1 2\r\nOK\r\n");
  });

  test("TestClientConnect: CONNECT options are applied (verbose, pedantic, echo, name)", async () => {
    const s = await server();
    const c = await raw(s);
    c.send('CONNECT {"verbose":true,"pedantic":true,"echo":false,"name":"router","lang":"go","version":"1.2"}\r\n');
    await c.waitFor("+OK\r\n");
    const [client] = s.connections.values();
    expect(client.connect).toMatchObject({ verbose: true, pedantic: true, echo: false, name: "router", lang: "go", version: "1.2" });
  });

  test("TestClientConnectProto: protocol 0 and 1 are accepted, anything else is refused", async () => {
    const s = await server();
    for (const proto of [0, 1]) {
      const c = await raw(s);
      c.send(`CONNECT {"protocol":${proto}}\r\nPING\r\n`);
      await c.waitFor("PONG\r\n");
    }
    const bad = await raw(s);
    bad.send('CONNECT {"protocol":2}\r\n');
    await bad.waitFor("-ERR 'invalid client protocol'");
    await bad.waitClosed();
  });

  test("TestClientPing: PING gets PONG", async () => {
    const c = await conn(await server());
    c.send("PING\r\n");
    await c.waitFor("PONG\r\n");
  });

  test("TestClientSimplePubSub: a published message reaches the subscriber", async () => {
    const c = await conn(await server());
    c.send("SUB foo 1\r\nPUB foo 5\r\nhello\r\n");
    const [m] = await expectMsgs(c, 1);
    expect(m).toMatchObject({ subject: "foo", sid: "1", size: "5", payload: "hello" });
  });

  test("TestClientPubSubNoEcho: with echo off only the PONG comes back", async () => {
    const c = await conn(await server(), '{"echo":false}');
    c.send("SUB foo 1\r\nPUB foo 5\r\nhello\r\nPING\r\n");
    await c.waitFor("PONG\r\n");
    expect(c.received).toBe("PONG\r\n");
  });

  test("TestClientSimplePubSubWithReply: the reply subject is delivered", async () => {
    const c = await conn(await server());
    c.send("SUB foo 1\r\nPUB foo bar 5\r\nhello\r\n");
    const [m] = await expectMsgs(c, 1);
    expect(m).toMatchObject({ subject: "foo", sid: "1", reply: "bar", size: "5" });
  });

  test("TestClientNoBodyPubSubWithReply: an empty payload with a reply", async () => {
    const c = await conn(await server());
    c.send("SUB foo 1\r\nPUB foo bar 0\r\n\r\n");
    const [m] = await expectMsgs(c, 1);
    expect(m).toMatchObject({ subject: "foo", sid: "1", reply: "bar", size: "0" });
  });

  test("TestClientPubWithQueueSub: 100 messages split between two queue subs", async () => {
    const c = await conn(await server());
    c.send("SUB foo g1 1\r\nSUB foo g1 2\r\n");
    for (let i = 0; i < 100; i++) c.send("PUB foo 5\r\nhello\r\n");
    const msgs = await expectMsgs(c, 100);
    await flushed(c);
    const one = msgs.filter((m) => m.sid === "1").length;
    expect(one + msgs.filter((m) => m.sid === "2").length).toBe(100);
    expect(one).toBeGreaterThan(20);
    expect(100 - one).toBeGreaterThan(20);
  });

  test("TestClientPubWithQueueSubNoEcho: with echo off the other member gets everything", async () => {
    const s = await server();
    const nc1 = await connectTo(s, { noEcho: true });
    nc1.subscribe("foo", { queue: "bar", callback: () => {} });
    await nc1.flush();
    const nc2 = await connectTo(s);
    let n = 0;
    nc2.subscribe("foo", { queue: "bar", callback: () => void n++ });
    await nc2.flush();
    for (let i = 0; i < 100; i++) nc1.publish("foo", "Hello");
    await nc1.flush();
    await nc2.flush();
    expect(n).toBe(100);
    await Promise.all([nc1.close(), nc2.close()]);
  });

  test("TestClientUnSub: after UNSUB only the other subscription receives", async () => {
    const c = await conn(await server());
    c.send("SUB foo 1\r\nSUB foo 2\r\nUNSUB 1\r\nPUB foo 5\r\nhello\r\n");
    const msgs = await expectMsgs(c, 1);
    await flushed(c);
    expect(msgs.map((m) => m.sid)).toEqual(["2"]);
  });

  test("TestClientUnSubMax: UNSUB 1 10 delivers ten of twenty, then the sub is gone", async () => {
    const s = await server();
    const c = await conn(s);
    c.send("SUB foo 1\r\nUNSUB 1 10\r\n");
    for (let i = 0; i < 20; i++) c.send("PUB foo 5\r\nhello\r\n");
    await flushed(c);
    expect((await expectMsgs(c, 10)).length).toBe(10);
    expect(s.globalAccount.sublist.count).toBe(0);
  });

  test("TestClientAutoUnsubExactReceived: the sub is removed once its max is reached", async () => {
    const s = await server();
    const c = await conn(s);
    c.send("SUB foo 1\r\nUNSUB 1 1\r\nPUB foo bar 2\r\nok\r\n");
    await flushed(c);
    const [client] = s.connections.values();
    expect(client.subs.size).toBe(0);
  });

  test("TestClientUnsubAfterAutoUnsub: a plain UNSUB after an auto-unsub removes it", async () => {
    const s = await server();
    const c = await conn(s);
    c.send("SUB foo 1\r\nUNSUB 1 1\r\nUNSUB 1\r\n");
    await flushed(c);
    const [client] = s.connections.values();
    expect(client.subs.size).toBe(0);
  });

  test("TestClientRemoveSubsOnDisconnect: closing a client removes its subscriptions", async () => {
    const s = await server();
    const c = await conn(s);
    c.send("SUB foo 1\r\nSUB bar 2\r\n");
    await flushed(c);
    expect(s.globalAccount.sublist.count).toBe(2);
    c.close();
    await expect.poll(() => s.globalAccount.sublist.count).toBe(0);
  });

  test("TestClientMapRemoval: a closed client leaves the server's client map", async () => {
    const s = await server();
    const c = await conn(s);
    expect(s.connections.size).toBe(1);
    c.close();
    await expect.poll(() => s.connections.size).toBe(0);
  });

  test("TestAuthorizationTimeout: no CONNECT within auth_timeout gets 'Authentication Timeout'", async () => {
    const c = await raw(await server({ authorization: { token: "my_token", timeout: 0.4 } }));
    await c.waitFor("Authentication Timeout");
  });

  test("TestTwoTokenPubMatchSingleTokenSub: foo.bar does not reach a sub on foo", async () => {
    const c = await conn(await server());
    c.send("SUB foo 1\r\nPUB foo.bar 5\r\nhello\r\nPING\r\n");
    await c.waitFor("PONG\r\n");
    expect(c.received).toBe("PONG\r\n");
  });

  test("TestWildcardCharsInLiteralSubjectWorks: * and > inside a token are literal", async () => {
    const s = await server();
    const nc = await connectTo(s);
    const subject = "foo.bar,*,>,baz";
    for (let i = 0; i < 2; i++) {
      const sub = nc.subscribe(subject, { max: 1 });
      await nc.flush();
      nc.publish(subject, "msg");
      for await (const m of sub) expect(m.string()).toBe("msg");
    }
    await nc.close();
  });

  test("TestNoClientLeakOnSlowConsumer: a slow consumer is removed from the server", async () => {
    const s = await server({ maxPending: 64 * 1024 });
    const lazy = await conn(s);
    lazy.send("SUB foo 1\r\n");
    await flushed(lazy);
    lazy.socket.pause();
    const pub = await connectTo(s);
    const chunk = new Uint8Array(32 * 1024);
    for (let i = 0; i < 2000 && s.stats.slowConsumers === 0; i++) {
      pub.publish("foo", chunk);
      if (i % 20 === 0) await pub.flush();
    }
    await pub.flush();
    expect(s.stats.slowConsumers).toBe(1);
    await expect.poll(() => s.connections.size).toBe(1);
    await pub.close();
  });
});

describe("server/server_test.go", () => {
  test("TestInfoServerNameDefaultsToPK: the server name defaults to its public key id", () => {
    const s = new NatsServer({ port: 0 });
    expect(s.name).toBe(s.id);
    expect(s.id).toMatch(/^N[A-Z2-7]{55}$/);
  });

  test("TestInfoServerNameIsSettable: server_name appears in INFO", async () => {
    const c = await raw(await server({ serverName: "my-server" }));
    expect(info(c).server_name).toBe("my-server");
  });

  test("TestMaxConnections: the connection over max_connections is refused", async () => {
    const s = await server({ maxConnections: 1 });
    const nc = await connectTo(s);
    await expect(connectTo(s)).rejects.toThrow(/maximum connections exceeded/);
    await nc.close();
  });

  test("TestMaxSubscriptions: the 11th subscription with max_subs 10 is an error", async () => {
    const s = await server({ maxSubscriptions: 10 });
    const nc = await connectTo(s);
    const errors: string[] = [];
    (async () => {
      for await (const st of nc.status()) if (st.type === "error") errors.push(String(st.error));
    })();
    for (let i = 0; i < 10; i++) nc.subscribe(`foo.${i}`, { callback: () => {} });
    nc.subscribe("foo.22", { callback: () => {} });
    await nc.flush();
    await expect.poll(() => errors.join()).toMatch(/maximum subscriptions exceeded/i);
    await nc.close();
  });

  test("TestRandomPorts: port -1 picks a free port", async () => {
    const s = await server({ port: -1 });
    expect(s.port).toBeGreaterThan(0);
    const nc = await connectTo(s);
    await nc.close();
  });

  test("TestStartupAndShutdown: a started server accepts clients and stops cleanly", async () => {
    const s = new NatsServer({ host: "127.0.0.1", port: 0 });
    await s.start();
    expect(s.isRunning).toBe(true);
    expect(s.globalAccount.sublist.count).toBe(0);
    await s.shutdown();
    expect(s.isRunning).toBe(false);
  });

  test("TestServerClientURL: clientURL points at the bound host and port", async () => {
    const s = await server({ host: "127.0.0.1", port: 0 });
    expect(s.clientURL).toBe(`nats://127.0.0.1:${s.port}`);
  });

  test("TestLameDuckMode: clients are closed and the server shuts down", async () => {
    const s = new NatsServer({ host: "127.0.0.1", port: 0, lameDuckDuration: 200, lameDuckGracePeriod: 50 });
    await s.start();
    const ncs = await Promise.all(Array.from({ length: 5 }, () => connectTo(s)));
    await s.enterLameDuckMode();
    expect(s.isRunning).toBe(false);
    for (const nc of ncs) await nc.closed();
  });
});
