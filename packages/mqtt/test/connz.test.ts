import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { connect, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { NatsServer, type ServerPlugin } from "@nats-ts/core";
import { jetstreamPlugin } from "@nats-ts/jetstream";
import { websocketPlugin } from "@nats-ts/ws";
import { generate } from "mqtt-packet";
import { WebSocket } from "ws";
import { connz, monitorPlugin, type ConnzJson, type ConnzOptions, type MonitorPlugin } from "@nats-ts/monitor";
import { mqttPlugin, type MqttOptions, type MqttPlugin } from "../src/index.js";
import { makeCerts } from "./certs.js";
import { mqttConnect, RawMqtt } from "./helpers.js";

const NOT_AUTHORIZED = 5;

/** Go's test setup: an MQTT account with JetStream, a system account, HTTP monitoring. */
class Setup {
  readonly storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-connz-"));
  readonly mqtt: MqttPlugin;
  readonly monitor: MonitorPlugin = monitorPlugin({ statszInterval: 60_000 });
  readonly server: NatsServer;
  private readonly clients: NatsConnection[] = [];
  private readonly raws: RawMqtt[] = [];

  constructor(mqttOptions: MqttOptions = {}, mqttAccount: Record<string, unknown> = {}, listeners: ServerPlugin[] = []) {
    this.mqtt = mqttPlugin({ host: "127.0.0.1", port: -1, ...mqttOptions });
    this.server = new NatsServer(
      {
        host: "127.0.0.1",
        port: 0,
        httpPort: -1,
        serverName: "mqtt",
        jetstream: { store_dir: this.storeDir },
        accounts: {
          MQTT: { jetstream: true, users: [{ user: "mqtt", password: "pwd" }], ...mqttAccount },
          SYS: { users: [{ user: "sys", password: "pwd" }] },
        },
        systemAccount: "SYS",
      },
      { plugins: [jetstreamPlugin(), ...listeners, this.mqtt, this.monitor] },
    );
  }

  async nats(user: string, name?: string): Promise<NatsConnection> {
    const nc = await connect({ servers: this.server.clientURL, user, pass: "pwd", name, reconnect: false });
    this.clients.push(nc);
    return nc;
  }

  /** CONNECT as Go's testMQTTConnect does; returns the connection and the CONNACK return code. */
  async mqttClient(clientId: string, user?: string): Promise<{ c: RawMqtt; rc: number }> {
    const c = await RawMqtt.open(this.mqtt.port);
    this.raws.push(c);
    c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId, keepalive: 0, username: user, password: user === undefined ? undefined : Buffer.from("pwd") });
    const ack = (await c.next(5000)) as { cmd: string; returnCode: number };
    expect(ack.cmd).toBe("connack");
    return { c, rc: ack.returnCode };
  }

  async json<T>(path: string): Promise<T> {
    const res = await fetch(`http://127.0.0.1:${this.monitor.httpPort}${path}`);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  }

  /** Go's pollConnz: the HTTP answer (mode 0) and the server function's (mode 1). */
  async pollConnz(path: string, opts: ConnzOptions): Promise<ConnzJson[]> {
    return [await this.json<ConnzJson>(path), JSON.parse(JSON.stringify(connz(this.monitor.context!, opts))) as ConnzJson];
  }

  async stop(): Promise<void> {
    for (const r of this.raws) r.end();
    await Promise.all(this.clients.map((nc) => (nc.isClosed() ? undefined : nc.close().catch(() => undefined))));
    await this.server.shutdown();
    rmSync(this.storeDir, { recursive: true, force: true });
  }
}

/** What arrives on `subject` (parsed JSON), taken in order with `next()`. */
function events(nc: NatsConnection, subject: string): { next(): Promise<any> } {
  const got: unknown[] = [];
  nc.subscribe(subject, { callback: (_e: unknown, m: Msg) => void got.push(m.json()) });
  return { next: () => eventually(() => got.shift()) };
}

async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

let t: Setup;

describe("MQTT clients in /connz", () => {
  beforeEach(async () => {
    t = new Setup();
    await t.server.start();
  });
  afterEach(async () => {
    await t.stop();
  });

  test("TestMQTTConnectAndDisconnectEvent: events, /connz and $SYS CONNZ carry the MQTT client id", async () => {
    const { server } = t;
    const nc = await t.nats("sys");
    const accConn = events(nc, "$SYS.ACCOUNT.MQTT.CONNECT");
    const accDisc = events(nc, "$SYS.ACCOUNT.MQTT.DISCONNECT");
    const accAuth = events(nc, `$SYS.SERVER.${server.id}.CLIENT.AUTH.ERR`);
    await nc.flush();

    let c3: RawMqtt | undefined;
    for (const id of ["conn1", "conn2", "conn3"]) {
      const { c, rc } = await t.mqttClient(id, "mqtt");
      expect(rc).toBe(0);
      expect((await accConn.next()).client.client_id).toBe(id);
      c3 = c;
    }
    c3!.send({ cmd: "disconnect" });
    await c3!.whenClosed;
    expect((await accDisc.next()).client.client_id).toBe("conn3");

    // A bad auth: an auth error event, which is a disconnect event.
    expect((await t.mqttClient("conn4")).rc).toBe(NOT_AUTHORIZED);
    expect((await accAuth.next()).client.client_id).toBe("conn4");

    for (const c of await t.pollConnz("/connz", {})) {
      expect(c.connections).toHaveLength(3);
      for (const conn of c.connections) if (conn.type === "mqtt") expect(conn.mqtt_client).toBeTruthy();
    }
    for (const c of await t.pollConnz("/connz?mqtt_client=conn2", { mqttClient: "conn2" })) {
      expect(c.connections).toHaveLength(1);
      expect(c.connections[0]!.mqtt_client).toBe("conn2");
    }
    const closed = await eventually(async () => {
      const all = await t.pollConnz("/connz?state=closed", { state: "closed" });
      return all.every((c) => c.connections.length === 2) ? all : undefined;
    });
    for (const c of closed) for (const conn of c.connections) expect(conn.mqtt_client).toBeTruthy();
    for (const c of await t.pollConnz("/connz?state=closed&mqtt_client=conn3", { state: "closed", mqttClient: "conn3" })) {
      expect(c.connections).toHaveLength(1);
      expect(c.connections[0]!.mqtt_client).toBe("conn3");
    }
    for (const c of await t.pollConnz("/connz?state=closed&mqtt_client=conn5", { state: "closed", mqttClient: "conn5" })) {
      expect(c.connections).toHaveLength(0);
    }

    // The same selections through the system account's CONNZ request.
    const cases: [unknown, string][] = [
      [{ mqtt_client: "conn1" }, "conn1"],
      [{ mqtt_client: "conn3", state: 1 }, "conn3"],
      [{ mqtt_client: "conn4", state: 1 }, "conn4"],
      [{ mqtt_client: "conn5" }, ""],
    ];
    for (const [opt, cid] of cases) {
      const msg = await nc.request("$SYS.REQ.SERVER.PING.CONNZ", JSON.stringify(opt), { timeout: 2000 });
      const cz = msg.json<{ data: ConnzJson }>().data;
      if (cid === "") {
        expect(cz.connections).toHaveLength(0);
        continue;
      }
      expect(cz.connections).toHaveLength(1);
      expect(cz.connections[0]!.mqtt_client).toBe(cid);
    }
  });

  test("mqtt_client is left out for NATS clients; type, account, user and closed reasons as Go reports them", async () => {
    const nc = await t.nats("mqtt", "nats-client");
    await t.mqttClient("dev1", "mqtt");
    for (const c of await t.pollConnz("/connz?auth=1", { auth: true })) {
      const nats = c.connections.find((x) => x.name === "nats-client")!;
      expect(nats).not.toHaveProperty("mqtt_client");
      expect(nats.type).toBe("nats");
      const mqtt = c.connections.find((x) => x.type === "mqtt")!;
      expect(mqtt).toMatchObject({ kind: "Client", mqtt_client: "dev1", account: "MQTT", authorized_user: "mqtt", ip: "127.0.0.1", rtt: "0s" });
      expect(mqtt).not.toHaveProperty("name");
    }
    // A takeover closes the first connection with Go's "Duplicate Client ID".
    await t.mqttClient("dev1", "mqtt");
    const closed = await eventually(async () => {
      const [c] = await t.pollConnz("/connz?state=closed&mqtt_client=dev1", { state: "closed", mqttClient: "dev1" });
      return c!.connections.length === 1 ? c! : undefined;
    });
    expect(closed.connections[0]!.reason).toBe("Duplicate Client ID");
    await nc.close();
  });

  test("a cid selects its connection whatever mqtt_client says; paging counts MQTT clients", async () => {
    const nc = await t.nats("mqtt", "nats-client");
    await t.mqttClient("a", "mqtt");
    await t.mqttClient("b", "mqtt");
    const all = await t.json<ConnzJson>("/connz");
    expect(all.total).toBe(3);
    const natsCid = all.connections.find((x) => x.name === "nats-client")!.cid;
    const bCid = all.connections.find((x) => x.mqtt_client === "b")!.cid;
    for (const c of await t.pollConnz(`/connz?cid=${natsCid}&mqtt_client=b`, { cid: natsCid, mqttClient: "b" })) {
      expect(c.connections.map((x) => x.cid)).toEqual([natsCid]);
    }
    for (const c of await t.pollConnz(`/connz?cid=${bCid}&mqtt_client=a`, { cid: bCid, mqttClient: "a" })) {
      expect(c.connections.map((x) => x.mqtt_client)).toEqual(["b"]);
    }
    // Connection ids are shared by NATS and MQTT clients: all distinct, in order of arrival.
    expect(all.connections.map((x) => x.mqtt_client ?? x.name)).toEqual(["nats-client", "a", "b"]);
    for (const c of await t.pollConnz("/connz?offset=1&limit=1", { offset: 1, limit: 1 })) {
      expect(c).toMatchObject({ total: 3, offset: 1, limit: 1, num_connections: 1 });
      expect(c.connections[0]!.mqtt_client).toBe("a");
    }
    for (const c of await t.pollConnz("/connz?offset=2&limit=5", { offset: 2, limit: 5 })) {
      expect(c).toMatchObject({ total: 3, num_connections: 1 });
      expect(c.connections[0]!.mqtt_client).toBe("b");
    }
    const varz = await t.json<{ connections: number; total_connections: number }>("/varz");
    expect(varz).toMatchObject({ connections: 3, total_connections: 3 });
    // The account-scoped CONNZ request lists the account's MQTT clients and takes mqtt_client too.
    const sys = await t.nats("sys");
    const accountConnz = async (body: unknown) =>
      (await sys.request("$SYS.REQ.ACCOUNT.MQTT.CONNZ", JSON.stringify(body), { timeout: 2000 })).json<{ data: ConnzJson }>().data;
    expect((await accountConnz({})).connections.map((x) => x.mqtt_client ?? x.name)).toEqual(["nats-client", "a", "b"]);
    expect((await accountConnz({ mqtt_client: "b" })).connections.map((x) => x.cid)).toEqual([bCid]);
    await nc.close();
  });

  test("$SYS KICK closes an MQTT client by cid (reason Kicked); LDM is refused as for clients without INFO", async () => {
    const sys = await t.nats("sys");
    const { c } = await t.mqttClient("kickme", "mqtt");
    const cid = (await t.json<ConnzJson>("/connz?mqtt_client=kickme")).connections[0]!.cid;
    const request = async (verb: string) => (await sys.request(`$SYS.REQ.SERVER.${t.server.id}.${verb}`, JSON.stringify({ cid }), { timeout: 2000 })).json<any>();
    expect((await request("LDM")).error).toEqual({ code: 500, description: "client does not support Lame Duck Mode or is not ready to receive the notification" });
    expect((await request("KICK")).error).toBeUndefined();
    await c.whenClosed;
    const [closed] = await t.pollConnz(`/connz?state=closed&cid=${cid}`, { state: "closed", cid });
    expect(closed!.connections[0]).toMatchObject({ cid, mqtt_client: "kickme", reason: "Kicked" });
    expect((await request("KICK")).error).toEqual({ code: 500, description: "no such client or leafnode id" });
  });

  test("an MQTT client's subscriptions, messages and bytes are reported", async () => {
    const client = await mqttConnect(`mqtt://127.0.0.1:${t.mqtt.port}`, { clientId: "sensor", username: "mqtt", password: "pwd" });
    try {
      await client.subscribeAsync("home/#", { qos: 0 });
      const got = new Promise<void>((resolve) => client.once("message", () => resolve()));
      await client.publishAsync("home/kitchen", "21.5", { qos: 0 });
      await got;
      const conn = await eventually(async () => {
        const c = await t.json<ConnzJson>("/connz?mqtt_client=sensor&subs=1");
        const x = c.connections[0];
        return x !== undefined && x.out_msgs === 1 ? x : undefined;
      });
      expect(conn).toMatchObject({ in_msgs: 1, in_bytes: 4, out_msgs: 1, out_bytes: 4, subscriptions: 2 });
      expect(conn.subscriptions_list!.sort()).toEqual(["home", "home.>"]);
      const bySubs = await t.json<ConnzJson>("/connz?sort=subs&subs=detail");
      expect(bySubs.connections[0]!.mqtt_client).toBe("sensor");
      expect(bySubs.connections[0]!.subscriptions_list_detail!.map((d) => d.subject).sort()).toEqual(["home", "home.>"]);
      // Filtering by subject needs an account, as in Go.
      const filtered = await t.json<ConnzJson>("/connz?acc=MQTT&filter_subject=home.kitchen");
      expect(filtered.connections.map((x) => x.mqtt_client)).toEqual(["sensor"]);
    } finally {
      await client.endAsync();
    }
    const closed = await eventually(async () => {
      const c = await t.json<ConnzJson>("/connz?state=closed&mqtt_client=sensor&subs=1");
      return c.connections[0];
    });
    expect(closed).toMatchObject({ reason: "Client Closed", in_msgs: 1, out_msgs: 1, subscriptions: 2 });
  });
});

test("an account at its max_connections refuses an MQTT client (closed without CONNACK, Go's reason)", async () => {
  t = new Setup({}, { limits: { maxConnections: 1 } });
  await t.server.start();
  try {
    await t.mqttClient("first", "mqtt");
    const refused = await RawMqtt.open(t.mqtt.port);
    refused.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "second", keepalive: 0, username: "mqtt", password: Buffer.from("pwd") });
    expect(await refused.closesWithin(2000)).toBe(true);
    await expect(refused.next(100)).rejects.toThrow(/closed/);
    const [c] = await t.pollConnz("/connz?state=closed&mqtt_client=second&auth=1", { state: "closed", mqttClient: "second", auth: true });
    expect(c!.connections[0]).toMatchObject({ reason: "Maximum Account Connections Exceeded", account: "MQTT" });
    // A NATS client of that account is refused as well while the MQTT client holds the slot.
    await expect(t.nats("mqtt")).rejects.toThrow(/maximum account active connections exceeded/);
  } finally {
    await t.stop();
  }
});

test("an MQTT client over WebSocket is listed as Go lists it (type mqtt, its client id)", async () => {
  const ws = websocketPlugin({ host: "127.0.0.1", port: -1, noTls: true });
  t = new Setup({}, {}, [ws]);
  await t.server.start();
  const socket = new WebSocket(`ws://127.0.0.1:${ws.port}/mqtt`, ["mqtt"]);
  try {
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    const connack = new Promise((resolve) => socket.once("message", resolve));
    socket.send(generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "over-ws", keepalive: 0, username: "mqtt", password: Buffer.from("pwd") }));
    await connack;
    for (const c of await t.pollConnz("/connz?mqtt_client=over-ws&auth=1", { mqttClient: "over-ws", auth: true })) {
      expect(c.connections).toHaveLength(1);
      expect(c.connections[0]).toMatchObject({ type: "mqtt", kind: "Client", ip: "127.0.0.1", account: "MQTT", mqtt_client: "over-ws" });
    }
    socket.close();
    const closed = await eventually(async () => (await t.json<ConnzJson>("/connz?state=closed&mqtt_client=over-ws")).connections[0]);
    expect(closed.reason).toBe("Client Closed");
  } finally {
    socket.terminate();
    await t.stop();
  }
});

test("an MQTT client over TLS: tls_version and cipher, its certificate with auth", async () => {
  const certs = makeCerts();
  t = new Setup({ tls: { certFile: certs.certFile, keyFile: certs.keyFile, caFile: certs.caFile, verify: true } });
  await t.server.start();
  try {
    const client = await mqttConnect(`mqtts://127.0.0.1:${t.mqtt.port}`, {
      ca: readFileSync(certs.caFile),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
      clientId: "secure",
      username: "mqtt",
      password: "pwd",
    });
    const [conn] = (await t.json<ConnzJson>("/connz?mqtt_client=secure")).connections;
    expect(conn!.tls_version).toMatch(/^1\.[23]$/);
    expect(conn!.tls_cipher_suite).toBeTruthy();
    expect(conn).not.toHaveProperty("tls_peer_certs");
    const [withAuth] = (await t.json<ConnzJson>("/connz?mqtt_client=secure&auth=1")).connections;
    expect(withAuth!.tls_peer_certs).toEqual([expect.objectContaining({ subject: "CN=mqtt client" })]);
    await client.endAsync();
  } finally {
    await t.stop();
    certs.cleanup();
  }
});
