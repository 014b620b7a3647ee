import { afterEach, describe, expect, test } from "vitest";
import { headers as natsHeaders, type NatsConnection } from "@nats-io/nats-core";
import { startWsServer, tcpConnect, wsConnect, type WsServer } from "./helpers.js";

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
});
