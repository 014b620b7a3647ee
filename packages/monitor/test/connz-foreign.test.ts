import { afterEach, describe, expect, test } from "vitest";
import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { ClosedReason, type ConnectionSnapshot, type ForeignConnection, type NatsServer, type SubscriptionSnapshot } from "@nats-ts/core";
import { connz, varz, type ConnzJson, type ConnzOptions } from "../src/index.js";
import { accountsAuthenticator, bothModes, eventually, startMonitored, type Harness } from "./helpers.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

/** A client connection a plugin would serve (an MQTT client): its snapshot is what the test sets. */
interface FakeForeign extends ForeignConnection {
  state: Partial<ConnectionSnapshot>;
}

function addForeign(server: NatsServer, state: Partial<ConnectionSnapshot> = {}): FakeForeign {
  const cid = server.foreignConnections.allocateCid();
  const start = new Date(Date.now() - 1000);
  const conn: FakeForeign = {
    cid,
    state,
    close: (reason) => {
      conn.state = { ...conn.state, reason };
      server.foreignConnections.remove(conn);
    },
    snapshot: () => ({
      cid,
      kind: "CLIENT",
      host: "127.0.0.1",
      port: 40000 + cid,
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
    }),
  };
  expect(server.foreignConnections.add(conn)).toBe(true);
  return conn;
}

const sub = (sid: string, subject: string): SubscriptionSnapshot => ({ sid, subject, queue: undefined, delivered: 0, max: 0 });
const poll = (path: string, opts: ConnzOptions) => bothModes<ConnzJson>(h, path, () => connz(h.monitor.context!, opts));
const mqttIds = (c: ConnzJson) => c.connections.map((x) => x.mqtt_client);

describe("/connz with connections a plugin serves (MQTT)", () => {
  test("listed with the core clients: mqtt_client set for them, left out for NATS clients", async () => {
    h = await startMonitored();
    const nc = await h.client({ name: "nats" });
    addForeign(h.server, { mqttClient: "dev1", subscriptions: [sub("1", "a.b"), sub("2", "a.>")] });
    for (const c of await poll("/connz?subs=1", { subscriptions: true })) {
      expect(c.num_connections).toBe(2);
      expect(c.total).toBe(2);
      const [natsConn, mqttConn] = c.connections;
      expect(natsConn).not.toHaveProperty("mqtt_client");
      expect(natsConn!.name).toBe("nats");
      expect(mqttConn).toMatchObject({ type: "mqtt", kind: "Client", mqtt_client: "dev1", subscriptions: 2, subscriptions_list: ["a.b", "a.>"] });
      expect(mqttConn).not.toHaveProperty("stop");
      expect(mqttConn).not.toHaveProperty("reason");
      expect(mqttConn!.uptime).toMatch(/^\d+s$/);
      // Go puts mqtt_client after the other fields.
      expect(Object.keys(mqttConn!).at(-1)).toBe("mqtt_client");
    }
    await nc.close();
  });

  test("mqtt_client= selects one client, open or closed; an unknown id gives none", async () => {
    h = await startMonitored();
    await h.client();
    addForeign(h.server, { mqttClient: "conn1" });
    addForeign(h.server, { mqttClient: "conn2" });
    const gone = addForeign(h.server, { mqttClient: "conn3" });
    h.server.foreignConnections.remove(gone);
    for (const c of await poll("/connz?mqtt_client=conn2", { mqttClient: "conn2" })) {
      expect(mqttIds(c)).toEqual(["conn2"]);
      expect(c.num_connections).toBe(1);
    }
    for (const c of await poll("/connz?mqtt_client=conn3", { mqttClient: "conn3" })) expect(c.connections).toEqual([]);
    for (const c of await poll("/connz?state=closed&mqtt_client=conn3", { state: "closed", mqttClient: "conn3" })) {
      expect(mqttIds(c)).toEqual(["conn3"]);
      expect(c.connections[0]!.reason).toBe(ClosedReason.ClientClosed);
      expect(c.connections[0]!.stop).toBeDefined();
    }
    for (const c of await poll("/connz?state=closed&mqtt_client=conn5", { state: "closed", mqttClient: "conn5" })) expect(c.connections).toEqual([]);
    for (const c of await poll("/connz?state=all&mqtt_client=conn1", { state: "any", mqttClient: "conn1" })) expect(mqttIds(c)).toEqual(["conn1"]);
    for (const c of await poll("/connz?state=all", { state: "any" })) expect(mqttIds(c)).toEqual([undefined, "conn1", "conn2", "conn3"]);
  });

  test("cid wins over mqtt_client and user, as in Go", async () => {
    h = await startMonitored();
    const nc = await h.client({ name: "nats" });
    const mqtt = addForeign(h.server, { mqttClient: "dev" });
    const natsCid = [...h.server.connections.keys()][0]!;
    for (const c of await poll(`/connz?cid=${natsCid}&mqtt_client=dev`, { cid: natsCid, mqttClient: "dev" })) {
      expect(c.connections.map((x) => x.cid)).toEqual([natsCid]);
      expect(c.limit).toBe(1);
    }
    for (const c of await poll(`/connz?cid=${mqtt.cid}&mqtt_client=other`, { cid: mqtt.cid, mqttClient: "other" })) {
      expect(mqttIds(c)).toEqual(["dev"]);
    }
    // A closed MQTT client is found by cid once it is gone.
    h.server.foreignConnections.remove(mqtt);
    for (const c of await poll(`/connz?cid=${mqtt.cid}&state=any`, { cid: mqtt.cid, state: "any" })) expect(mqttIds(c)).toEqual(["dev"]);
    await nc.close();
  });

  test("account and user filters, auth fields and subject filtering apply to them", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP", "OTHER"] });
    await h.client({ user: "app", pass: "app" });
    addForeign(h.server, { mqttClient: "a1", account: "APP", user: "dev-a", subscriptions: [sub("1", "sensors.>")] });
    addForeign(h.server, { mqttClient: "o1", account: "OTHER", user: "dev-o", subscriptions: [sub("1", "other")] });
    for (const c of await poll("/connz?acc=APP&auth=1", { account: "APP", auth: true })) {
      expect(c.total).toBe(2);
      expect(c.connections.map((x) => [x.account, x.authorized_user, x.mqtt_client])).toEqual([
        ["APP", "app", undefined],
        ["APP", "dev-a", "a1"],
      ]);
    }
    for (const c of await poll("/connz?user=dev-o", { user: "dev-o" })) expect(mqttIds(c)).toEqual(["o1"]);
    // A user filter and an MQTT client id that do not belong together select nothing.
    for (const c of await poll("/connz?user=dev-o&mqtt_client=a1", { user: "dev-o", mqttClient: "a1" })) expect(c.connections).toEqual([]);
    const bySubject = connz(h.monitor.context!, { account: "APP", filterSubject: "sensors.temp" });
    expect(mqttIds(bySubject)).toEqual(["a1"]);
  });

  test("sorted and paged together with core clients", async () => {
    h = await startMonitored();
    const nc = await h.client();
    nc.publish("x", "12345");
    await nc.flush();
    addForeign(h.server, { mqttClient: "busy", stats: { inMsgs: 10, outMsgs: 3, inBytes: 100, outBytes: 30 }, pendingBytes: 512 });
    addForeign(h.server, { mqttClient: "idle" });
    for (const c of await poll("/connz?sort=msgs_from", { sort: "msgs_from" })) {
      expect(c.connections.map((x) => [x.mqtt_client, x.in_msgs])).toEqual([
        ["busy", 10],
        [undefined, 1],
        ["idle", 0],
      ]);
    }
    for (const c of await poll("/connz?sort=pending", { sort: "pending" })) {
      expect(c.connections.map((x) => [x.mqtt_client, x.pending_bytes])).toEqual([
        ["busy", 512],
        [undefined, 0],
        ["idle", 0],
      ]);
    }
    for (const c of await poll("/connz?offset=1&limit=1", { offset: 1, limit: 1 })) {
      expect(c).toMatchObject({ total: 3, offset: 1, limit: 1, num_connections: 1 });
      expect(mqttIds(c)).toEqual(["busy"]);
    }
    for (const c of await poll("/connz?offset=5", { offset: 5 })) expect(c).toMatchObject({ total: 3, num_connections: 0, connections: [] });
  });

  test("/varz connections and total_connections count them", async () => {
    h = await startMonitored();
    await h.client();
    const a = addForeign(h.server, { mqttClient: "a" });
    addForeign(h.server, { mqttClient: "b" });
    expect(varz(h.monitor.context!)).toMatchObject({ connections: 3, total_connections: 3 });
    h.server.foreignConnections.remove(a);
    const v = await h.json("/varz");
    expect(v).toMatchObject({ connections: 2, total_connections: 3 });
  });

  test("account statistics count them in their account (accstatz, accountz, active accounts)", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP", "OTHER"] });
    addForeign(h.server, { mqttClient: "a1", account: "APP", stats: { inMsgs: 2, outMsgs: 1, inBytes: 20, outBytes: 10 } });
    addForeign(h.server, { mqttClient: "nobody" });
    const statz = await h.json("/accstatz");
    expect(statz.account_statz).toHaveLength(1);
    expect(statz.account_statz[0]).toMatchObject({ acc: "APP", conns: 1, total_conns: 1, sent: { msgs: 1, bytes: 10 }, received: { msgs: 2, bytes: 20 } });
    expect((await h.json("/accountz?acc=APP")).account_detail.client_connections).toBe(1);
    expect(h.monitor.context!.tracker.activeAccounts()).toBe(1);
  });

  test("connect, disconnect and auth error events carry the MQTT client id (client_id)", async () => {
    h = await startMonitored({}, {}, { authenticator: accountsAuthenticator, accounts: ["APP", "OTHER"] });
    const sys = await h.client({ user: "sys", pass: "sys" });
    const events = collect(sys, "$SYS.ACCOUNT.APP.>");
    const authErrors = collect(sys, `$SYS.SERVER.${h.server.id}.CLIENT.AUTH.ERR`);
    await sys.flush();
    const conn = addForeign(h.server, { mqttClient: "conn1", account: "APP", user: "dev" });
    h.server.foreignConnections.authenticated(conn);
    const connect = (await eventually(() => events.find((e) => e.subject === "$SYS.ACCOUNT.APP.CONNECT"))).data;
    expect(connect.client).toMatchObject({ id: conn.cid, acc: "APP", user: "dev", kind: "Client", client_type: "mqtt", client_id: "conn1" });
    h.server.foreignConnections.remove(conn);
    const disconnect = (await eventually(() => events.find((e) => e.subject === "$SYS.ACCOUNT.APP.DISCONNECT"))).data;
    expect(disconnect.client).toMatchObject({ id: conn.cid, client_id: "conn1" });
    expect(disconnect.reason).toBe("Client Closed");
    const refused = addForeign(h.server, { mqttClient: "conn4" });
    refused.state = { ...refused.state, reason: ClosedReason.AuthenticationViolation };
    h.server.foreignConnections.remove(refused);
    const authError = (await eventually(() => authErrors[0])).data;
    expect(authError.client).toMatchObject({ id: refused.cid, client_id: "conn4" });
    // A NATS client's events have no client_id.
    await h.client({ user: "app", pass: "app" });
    const natsConnect = await eventually(() => events.filter((e) => e.subject.endsWith(".CONNECT"))[1]);
    expect(natsConnect.data.client).not.toHaveProperty("client_id");
  });
});

function collect(nc: NatsConnection, subject: string): { subject: string; data: any }[] {
  const got: { subject: string; data: any }[] = [];
  nc.subscribe(subject, { callback: (_e: unknown, m: Msg) => void got.push({ subject: m.subject, data: m.json() }) });
  return got;
}
