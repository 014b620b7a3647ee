import { afterEach, describe, expect, test } from "vitest";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/nats-core";
import { eventually, startWsServer, tcpConnect, wsConnect, type WsServer } from "./helpers.js";
import { RawWsClient } from "./raw-ws.js";

let s: WsServer | undefined;
const conns: NatsConnection[] = [];
afterEach(async () => {
  for (const nc of conns.splice(0)) await nc.close().catch(() => {});
  await s?.stop();
  s = undefined;
});
const track = (nc: NatsConnection) => (conns.push(nc), nc);

describe("NATS over WebSocket with wsconnect", () => {
  test("TestWSPubSub: publish and subscribe between WebSocket and TCP clients", async () => {
    s = await startWsServer();
    const ws = track(await wsConnect(s));
    const tcp = track(await tcpConnect(s));
    const fromWs = tcp.subscribe("from.ws", { max: 1 });
    const fromTcp = ws.subscribe("from.tcp", { max: 1 });
    await ws.flush();
    await tcp.flush();
    ws.publish("from.ws", "hello tcp");
    tcp.publish("from.tcp", "hello ws");
    for await (const m of fromWs) expect(m.string()).toBe("hello tcp");
    for await (const m of fromTcp) expect(m.string()).toBe("hello ws");
  });

  test("request/reply across transports, with headers", async () => {
    s = await startWsServer();
    const ws = track(await wsConnect(s));
    const tcp = track(await tcpConnect(s));
    tcp.subscribe("svc.echo", {
      callback: (_err, m) => {
        const h = natsHeaders();
        h.set("Seen", m.headers?.get("Trace") ?? "none");
        m.respond(`echo ${m.string()}`, { headers: h });
      },
    });
    await tcp.flush();
    const h = natsHeaders();
    h.set("Trace", "abc");
    const reply = await ws.request("svc.echo", "ping", { timeout: 2000, headers: h });
    expect(reply.string()).toBe("echo ping");
    expect(reply.headers?.get("Seen")).toBe("abc");
  });

  test("many messages keep their order", async () => {
    s = await startWsServer();
    const ws = track(await wsConnect(s));
    const tcp = track(await tcpConnect(s));
    const n = 5000;
    const sub = ws.subscribe("seq", { max: n });
    await ws.flush();
    for (let i = 0; i < n; i++) tcp.publish("seq", String(i));
    let expected = 0;
    for await (const m of sub) expect(Number(m.string())).toBe(expected++);
    expect(expected).toBe(n);
  });

  test("the connection is listed with the websocket transport and closes cleanly", async () => {
    s = await startWsServer();
    const ws = await wsConnect(s, { name: "browser-like" });
    await ws.flush();
    const c = [...s.server.connections.values()].find((x) => x.connect.name === "browser-like");
    expect(c?.transport).toBe("websocket");
    await ws.close();
    const deadline = Date.now() + 2000;
    while (s.server.closedConnections.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const closed = s.server.closedConnections.list().find((x) => x.name === "browser-like");
    expect(closed?.reason).toBe("Client Closed");
  });

  test("a WebSocket client that stops reading is a slow consumer, as a TCP client would be", async () => {
    s = await startWsServer({}, { maxPending: 256 * 1024 });
    const c = await RawWsClient.open(s.port);
    await c.readUntil("\r\n");
    c.send('CONNECT {"verbose":false,"name":"slow"}\r\nSUB flood 1\r\nPING\r\n');
    await c.readUntil("PONG");
    c.pause();
    const tcp = track(await tcpConnect(s));
    const payload = new Uint8Array(16 * 1024);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !s.server.closedConnections.list().some((x) => x.name === "slow")) {
      for (let i = 0; i < 64; i++) tcp.publish("flood", payload);
      await tcp.flush();
    }
    c.destroy();
    expect(s.server.closedConnections.list().find((x) => x.name === "slow")?.reason).toBe("Slow Consumer (Pending Bytes)");
    expect(s.server.stats.slowConsumers).toBe(1);
  });

  test("permissions apply to WebSocket clients", async () => {
    s = await startWsServer(
      {},
      { authorization: { users: [{ user: "u", password: "p", permissions: { publish: { allow: ["ok.>"] }, subscribe: { allow: ["ok.>"] } } }] } },
    );
    const errors: string[] = [];
    const ws = track(await wsConnect(s, { user: "u", pass: "p" }));
    (async () => {
      for await (const st of ws.status()) if (st.type === "error") errors.push(String(st.error));
    })();
    ws.publish("denied", "x");
    await ws.flush();
    await eventually(() => errors.some((e) => /Permissions Violation for Publish to "denied"/i.test(e)));
  });
});
