import { connect as rawConnect, type Socket } from "node:net";
import { afterEach, expect, test } from "vitest";
import { connz, type ConnzJson } from "../src/index.js";
import { accountsAuthenticator, eventually, startMonitored, type Harness } from "./helpers.js";

let h: Harness;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await h?.close();
});

/** A raw protocol client: CONNECT, then whatever the test writes; it never reads what arrives. */
async function rawClient(lines: string[]): Promise<Socket> {
  const sock = rawConnect(h.server.port, "127.0.0.1");
  sockets.push(sock);
  await new Promise((r) => sock.once("connect", r));
  sock.pause();
  sock.write(`CONNECT {"verbose":false,"name":"raw"}\r\n${lines.join("")}`);
  return sock;
}

async function closedReasons(): Promise<string[]> {
  const c: ConnzJson = await h.json("/connz?state=closed");
  return c.connections.map((x) => x.reason!);
}

test("closed reason: Client Closed", async () => {
  h = await startMonitored();
  const nc = await h.client();
  await nc.close();
  await eventually(() => h.server.closedConnections.size === 1);
  expect(await closedReasons()).toEqual(["Client Closed"]);
});

test("closed reason: Slow Consumer (Pending Bytes), counted in /varz", async () => {
  h = await startMonitored({ maxPending: 4096 });
  await rawClient(["SUB slow 1\r\nPING\r\n"]);
  await eventually(async () => (await h.json("/subsz")).num_subscriptions > 0 && h.server.connections.size === 1);
  const pub = await h.client();
  const payload = new Uint8Array(512);
  for (let i = 0; i < 64; i++) pub.publish("slow", payload);
  await pub.flush();
  await eventually(() => h.server.closedConnections.size === 1);
  expect(await closedReasons()).toEqual(["Slow Consumer (Pending Bytes)"]);
  const varz = await h.json("/varz");
  expect(varz.slow_consumers).toBe(1);
  expect(varz.slow_consumer_stats.clients).toBe(1);
});

test("closed reason: Authentication Failure", async () => {
  h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP"] });
  await expect(h.client({ user: "app", pass: "nope", reconnect: false })).rejects.toThrow();
  await eventually(() => h.server.closedConnections.size === 1);
  expect(await closedReasons()).toEqual(["Authentication Failure"]);
});

test("closed reason: Stale Connection, counted in /varz", async () => {
  h = await startMonitored({ pingInterval: 30, pingMax: 1 });
  await rawClient([]);
  await eventually(() => h.server.closedConnections.size === 1);
  expect(await closedReasons()).toEqual(["Stale Connection"]);
  const varz = await h.json("/varz");
  expect(varz.stale_connections).toBe(1);
  expect(varz.stale_connection_stats.clients).toBe(1);
});

test("closed reason: Server Shutdown", async () => {
  h = await startMonitored();
  await h.client({ name: "left-open" });
  const ctx = h.monitor.context!;
  await h.server.shutdown();
  const c = connz(ctx, { state: "closed" });
  expect(c.connections.map((x) => [x.name, x.reason])).toEqual([["left-open", "Server Shutdown"]]);
});

test("closed reason: Maximum Message Payload Exceeded", async () => {
  h = await startMonitored({ maxPayload: 16 });
  await rawClient(["PUB foo 100\r\n"]);
  await eventually(() => h.server.closedConnections.size === 1);
  expect(await closedReasons()).toEqual(["Maximum Message Payload Exceeded"]);
});
