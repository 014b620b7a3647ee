import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RawMqtt, RestartableServer, startMqtt, type MqttTestServer } from "./helpers.js";

let t: MqttTestServer;
let nc: NatsConnection;
beforeAll(async () => {
  t = await startMqtt({
    server: {
      accounts: {
        A: {
          jetstream: true,
          users: [
            { user: "v5", password: "pw" },
            { user: "limited", password: "pw", permissions: { publish: { deny: ["secret.>"] }, subscribe: { deny: ["secret.>"] } } },
          ],
        },
      },
    },
  });
  nc = await connect({ servers: t.server.clientURL, user: "v5", pass: "pw" });
});
afterAll(async () => {
  await nc.close();
  await t.stop();
});

/** Messages an MQTT 5.0 client receives, with their packets (properties included). */
class Packets {
  private readonly items: IPublishPacket[] = [];
  private wake: (() => void) | undefined;
  constructor(client: MqttClient) {
    client.on("message", (_topic, _payload, packet) => {
      this.items.push(packet);
      this.wake?.();
    });
  }
  async next(timeoutMs = 2000): Promise<IPublishPacket> {
    const deadline = Date.now() + timeoutMs;
    while (this.items.length === 0) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error("timed out waiting for an MQTT message");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.items.shift()!;
  }
  async expectNothing(ms = 150): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    if (this.items.length > 0) throw new Error(`unexpected message on ${this.items[0]!.topic}`);
  }
}

/** An MQTT.js 5.0 client, listening before CONNACK so queued messages are not missed. */
async function v5(opts: IClientOptions = {}): Promise<{ client: MqttClient; inbox: Packets; connack: mqtt.IConnackPacket }> {
  const client = mqtt.connect(t.url, { protocolVersion: 5, reconnectPeriod: 0, connectTimeout: 2000, username: "v5", password: "pw", ...opts });
  const inbox = new Packets(client);
  const connack = await new Promise<mqtt.IConnackPacket>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  return { client, inbox, connack };
}

const text = (p: IPublishPacket) => p.payload.toString();

describe("MQTT 5.0", () => {
  test("CONNACK carries the topic alias maximum and an assigned client identifier", async () => {
    const { client, connack } = await v5({ clientId: "" });
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.topicAliasMaximum).toBe(1024);
    expect(connack.properties?.assignedClientIdentifier).toMatch(/^[A-Za-z0-9x]+$/);
    await client.endAsync();
  });

  test("CONNACK reason codes: 0x86 for bad credentials, 0x8C for an unknown authentication method", async () => {
    const bad = await RawMqtt.open(t.port, 5);
    bad.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, clientId: "bad", keepalive: 0, username: "v5", password: Buffer.from("wrong") });
    expect(await bad.next()).toMatchObject({ cmd: "connack", reasonCode: 0x86 });
    const auth = await RawMqtt.open(t.port, 5);
    auth.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, clientId: "auth", keepalive: 0, properties: { authenticationMethod: "SCRAM-SHA-1" } });
    expect(await auth.next()).toMatchObject({ cmd: "connack", reasonCode: 0x8c });
    expect(await auth.closesWithin(1000)).toBe(true);
  });

  test("session expiry interval: 0 ends the session with the connection, N seconds keeps it that long", async () => {
    const none = await v5({ clientId: "exp0", clean: false, properties: { sessionExpiryInterval: 0 } });
    await none.client.subscribeAsync("exp/t", { qos: 1 });
    await none.client.endAsync();
    const again = await v5({ clientId: "exp0", clean: false, properties: { sessionExpiryInterval: 0 } });
    expect(again.connack.sessionPresent).toBe(false);
    await again.client.endAsync();

    const kept = await v5({ clientId: "exp1", clean: false, properties: { sessionExpiryInterval: 1 } });
    await kept.client.subscribeAsync("exp/one", { qos: 1 });
    await kept.client.endAsync();
    const pub = await v5({ clientId: "exp-pub" });
    await pub.client.publishAsync("exp/one", "queued", { qos: 1 });
    const back = await v5({ clientId: "exp1", clean: false, properties: { sessionExpiryInterval: 1 } });
    expect(back.connack.sessionPresent).toBe(true);
    expect(text(await back.inbox.next())).toBe("queued");
    await back.client.endAsync();
    await new Promise((r) => setTimeout(r, 1300));
    const late = await v5({ clientId: "exp1", clean: false, properties: { sessionExpiryInterval: 1 } });
    expect(late.connack.sessionPresent).toBe(false);
    await late.client.endAsync();
    await pub.client.endAsync();
  });

  test("reason codes: SUBACK 0x87 (denied) and 0x8F (invalid), PUBACK 0x87, UNSUBACK 0x11, PUBCOMP 0x92", async () => {
    const c = await RawMqtt.connected(t.port, { protocolVersion: 5, clientId: "codes", username: "limited", password: Buffer.from("pw") });
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "ok/t", qos: 1 }, { topic: "secret/t", qos: 1 }, { topic: "a/#/b", qos: 0 }, { topic: "$share/g+/x", qos: 0 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1, 0x87, 0x8f, 0x8f] });
    c.send({ cmd: "publish", topic: "secret/t", payload: Buffer.from("x"), qos: 1, messageId: 3, retain: false, dup: false });
    expect(await c.next()).toMatchObject({ cmd: "puback", messageId: 3, reasonCode: 0x87 });
    c.send({ cmd: "publish", topic: "secret/t", payload: Buffer.from("x"), qos: 2, messageId: 4, retain: false, dup: false });
    expect(await c.next()).toMatchObject({ cmd: "pubrec", messageId: 4, reasonCode: 0x87 });
    c.send({ cmd: "unsubscribe", messageId: 5, unsubscriptions: ["ok/t", "never/subscribed"] });
    expect(await c.next()).toMatchObject({ cmd: "unsuback", messageId: 5, granted: [0x00, 0x11] });
    c.send({ cmd: "pubrel", messageId: 99 });
    expect(await c.next()).toMatchObject({ cmd: "pubcomp", messageId: 99, reasonCode: 0x92 });
    c.end();
  });

  test("user properties, content type, correlation data and payload format travel MQTT to MQTT and to NATS headers", async () => {
    const sub = await v5({ clientId: "props-sub" });
    await sub.client.subscribeAsync("props/t", { qos: 1 });
    const natsSub = nc.subscribe("props.t", { max: 1 });
    await nc.flush();
    const pub = await v5({ clientId: "props-pub" });
    await pub.client.publishAsync("props/t", "{}", {
      qos: 1,
      properties: { userProperties: { region: "eu", tag: ["a", "b"] }, contentType: "application/json", correlationData: Buffer.from([1, 2, 3]), payloadFormatIndicator: true },
    });
    const p = await sub.inbox.next();
    expect(p.properties).toMatchObject({ userProperties: { region: "eu", tag: ["a", "b"] }, contentType: "application/json", payloadFormatIndicator: true });
    expect([...(p.properties?.correlationData ?? [])]).toEqual([1, 2, 3]);
    for await (const m of natsSub) {
      expect(m.headers?.get("region")).toBe("eu");
      expect(m.headers?.values("tag")).toEqual(["a", "b"]);
      expect(m.headers?.get("Nmqtt-Content-Type")).toBe("application/json");
    }
    // NATS headers reach MQTT 5.0 subscribers as user properties.
    const h = natsHeaders();
    h.set("trace-id", "abc");
    nc.publish("props.t", "from nats", { headers: h });
    const fromNats = await sub.inbox.next();
    expect([text(fromNats), fromNats.properties?.userProperties]).toEqual(["from nats", { "trace-id": "abc" }]);
    await sub.client.endAsync();
    await pub.client.endAsync();
  });

  test("request/response: the response topic is the NATS reply subject, both ways", async () => {
    // A NATS responder answers an MQTT 5.0 requester.
    const responder = nc.subscribe("svc.time", { callback: (_e, m) => void m.respond(`now:${m.string()}`) });
    await nc.flush();
    const requester = await v5({ clientId: "requester" });
    await requester.client.subscribeAsync("replies/requester", { qos: 0 });
    await requester.client.publishAsync("svc/time", "q1", { qos: 0, properties: { responseTopic: "replies/requester", correlationData: Buffer.from("c1") } });
    const answer = await requester.inbox.next();
    expect([answer.topic, text(answer)]).toEqual(["replies/requester", "now:q1"]);
    responder.unsubscribe();
    // An MQTT 5.0 responder answers a NATS request.
    const svc = await v5({ clientId: "mqtt-svc" });
    svc.client.on("message", (_topic, payload, packet) => {
      const rt = packet.properties?.responseTopic;
      if (rt !== undefined) svc.client.publish(rt, `echo:${payload.toString()}`, { properties: { correlationData: packet.properties?.correlationData } });
    });
    await svc.client.subscribeAsync("svc/echo", { qos: 0 });
    const reply = await nc.request("svc.echo", "hi", { timeout: 2000 });
    expect(reply.string()).toBe("echo:hi");
    await requester.client.endAsync();
    await svc.client.endAsync();
  });

  test("message expiry: a queued message past its interval is dropped, others arrive with the time left", async () => {
    const s = await v5({ clientId: "expiring", clean: false, properties: { sessionExpiryInterval: 60 } });
    await s.client.subscribeAsync("expiry/t", { qos: 1 });
    await s.client.endAsync();
    const pub = await v5({ clientId: "expiry-pub" });
    await pub.client.publishAsync("expiry/t", "short", { qos: 1, properties: { messageExpiryInterval: 1 } });
    await pub.client.publishAsync("expiry/t", "long", { qos: 1, properties: { messageExpiryInterval: 60 } });
    await new Promise((r) => setTimeout(r, 1100));
    const back = await v5({ clientId: "expiring", clean: false, properties: { sessionExpiryInterval: 60 } });
    const m = await back.inbox.next();
    expect(text(m)).toBe("long");
    expect(m.properties?.messageExpiryInterval).toBeGreaterThan(50);
    expect(m.properties?.messageExpiryInterval).toBeLessThanOrEqual(60);
    await back.inbox.expectNothing();
    await back.client.endAsync({ properties: { sessionExpiryInterval: 0 } } as never);
    await pub.client.endAsync();
  });

  test("topic aliases from the client: set with a topic, then used alone; an invalid alias gets DISCONNECT 0x94", async () => {
    const sub = await v5({ clientId: "alias-sub" });
    await sub.client.subscribeAsync("alias/#", { qos: 0 });
    const c = await RawMqtt.connected(t.port, { protocolVersion: 5, clientId: "alias-pub", username: "v5", password: Buffer.from("pw") });
    c.send({ cmd: "publish", topic: "alias/long/topic", payload: Buffer.from("one"), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
    c.send({ cmd: "publish", topic: "", payload: Buffer.from("two"), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } });
    expect([await sub.inbox.next(), await sub.inbox.next()].map((p) => `${p.topic}=${text(p)}`)).toEqual(["alias/long/topic=one", "alias/long/topic=two"]);
    c.send({ cmd: "publish", topic: "", payload: Buffer.from("x"), qos: 0, retain: false, dup: false, properties: { topicAlias: 5000 } });
    expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x94 });
    expect(await c.closesWithin(1000)).toBe(true);
    await sub.client.endAsync();
  });

  test("no-local, retain-as-published and retain handling subscription options", async () => {
    const me = await v5({ clientId: "opts" });
    await me.client.subscribeAsync("opts/local", { qos: 0, nl: true });
    await me.client.publishAsync("opts/local", "mine", { qos: 0 });
    const other = await v5({ clientId: "opts-other" });
    await other.client.publishAsync("opts/local", "theirs", { qos: 0 });
    expect(text(await me.inbox.next())).toBe("theirs");

    await me.client.subscribeAsync("opts/rap", { qos: 0, rap: true });
    await me.client.subscribeAsync("opts/norap", { qos: 0 });
    await other.client.publishAsync("opts/rap", "r1", { qos: 0, retain: true });
    await other.client.publishAsync("opts/norap", "r2", { qos: 0, retain: true });
    const live = [await me.inbox.next(), await me.inbox.next()].map((p) => `${text(p)}:${p.retain}`).sort();
    expect(live).toEqual(["r1:true", "r2:false"]);

    const late = await v5({ clientId: "opts-late" });
    await late.client.subscribeAsync("opts/rap", { qos: 0, rh: 2 });
    await late.inbox.expectNothing();
    await late.client.subscribeAsync("opts/norap", { qos: 0, rh: 1 });
    expect(text(await late.inbox.next())).toBe("r2");
    await late.client.subscribeAsync("opts/norap", { qos: 0, rh: 1 }); // exists: no retained message again
    await late.inbox.expectNothing();
    await other.client.publishAsync("opts/rap", "", { qos: 0, retain: true });
    await other.client.publishAsync("opts/norap", "", { qos: 0, retain: true });
    for (const c of [me, other, late]) await c.client.endAsync();
  });

  test("subscription identifiers come back with the messages each subscription matches", async () => {
    const c = await v5({ clientId: "subid" });
    await c.client.subscribeAsync("sid/a/+", { qos: 0, properties: { subscriptionIdentifier: 7 } });
    await c.client.subscribeAsync("sid/#", { qos: 1, properties: { subscriptionIdentifier: 42 } });
    nc.publish("sid.a.b", "x");
    const ids = [await c.inbox.next(), await c.inbox.next()].map((p) => p.properties?.subscriptionIdentifier).sort();
    expect(ids).toEqual([42, 7]);
    await c.client.endAsync();
  });

  test("shared subscriptions: $share/<group>/<filter> members and a NATS queue group split the messages", async () => {
    const a = await v5({ clientId: "share-a" });
    const b = await v5({ clientId: "share-b" });
    await a.client.subscribeAsync("$share/workers/jobs/+", { qos: 0 });
    await b.client.subscribeAsync("$share/workers/jobs/+", { qos: 0 });
    let natsCount = 0;
    const q = nc.subscribe("jobs.*", { queue: "workers", callback: () => void natsCount++ });
    await nc.flush();
    const n = 60;
    for (let i = 0; i < n; i++) nc.publish("jobs.x", `${i}`);
    await nc.flush();
    const got: string[] = [];
    const drain = async (inbox: Packets) => {
      for (;;) {
        try {
          got.push(text(await inbox.next(300)));
        } catch {
          return;
        }
      }
    };
    await Promise.all([drain(a.inbox), drain(b.inbox)]);
    expect(got.length + natsCount).toBe(n);
    expect(new Set(got).size).toBe(got.length);
    expect(got.length).toBeGreaterThan(0);
    q.unsubscribe();
    await a.client.endAsync();
    await b.client.endAsync();
  });

  test("server DISCONNECT: a taken-over MQTT 5.0 client is told 0x8E", async () => {
    const first = await v5({ clientId: "takeover" });
    const told = new Promise<number | undefined>((resolve) => first.client.once("disconnect", (p) => resolve(p.reasonCode)));
    const second = await v5({ clientId: "takeover" });
    expect(await told).toBe(0x8e);
    first.client.end(true);
    await second.client.endAsync();
  });

  test("a DISCONNECT with reason 0x04 still publishes the will", async () => {
    const watcher = await v5({ clientId: "will-watch" });
    await watcher.client.subscribeAsync("wills/+", { qos: 0 });
    const c = await v5({ clientId: "will-04", will: { topic: "wills/c", payload: Buffer.from("gone"), qos: 0, retain: false } });
    await c.client.endAsync({ reasonCode: 0x04 } as never);
    expect(text(await watcher.inbox.next())).toBe("gone");
    await watcher.client.endAsync();
  });

  test("will delay interval: the will waits, and is dropped when the client returns in time", async () => {
    const watcher = await v5({ clientId: "delay-watch" });
    await watcher.client.subscribeAsync("delayed/+", { qos: 0 });
    const connectWithWill = () =>
      RawMqtt.connected(t.port, {
        protocolVersion: 5,
        clientId: "delayed",
        clean: false,
        username: "v5",
        password: Buffer.from("pw"),
        properties: { sessionExpiryInterval: 60 },
        will: { topic: "delayed/w", payload: Buffer.from("late"), qos: 0, retain: false, properties: { willDelayInterval: 1 } },
      });
    let c = await connectWithWill();
    c.end(); // vanishes
    await watcher.inbox.expectNothing(300);
    c = await connectWithWill(); // back before the delay: no will
    await watcher.inbox.expectNothing(1000);
    c.end();
    expect(text(await watcher.inbox.next(2500))).toBe("late");
    const clean = await v5({ clientId: "delayed", clean: true });
    await clean.client.endAsync();
    await watcher.client.endAsync();
  });

  test("receive maximum and maximum packet size of the client are respected", async () => {
    const c = await RawMqtt.connected(t.port, {
      protocolVersion: 5,
      clientId: "limits",
      username: "v5",
      password: Buffer.from("pw"),
      properties: { receiveMaximum: 1, maximumPacketSize: 64 },
    });
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "limits/t", qos: 1 }] });
    expect((await c.next()).cmd).toBe("suback");
    const pub = await v5({ clientId: "limits-pub" });
    await pub.client.publishAsync("limits/t", "x".repeat(200), { qos: 1 }); // larger than 64 bytes: never sent
    await pub.client.publishAsync("limits/t", "one", { qos: 1 });
    await pub.client.publishAsync("limits/t", "two", { qos: 1 });
    const first = (await c.next()) as { payload: Buffer; messageId: number };
    expect(first.payload.toString()).toBe("one");
    await c.expectNothing(150); // one in flight at most
    c.send({ cmd: "puback", messageId: first.messageId });
    expect(((await c.next()) as { payload: Buffer }).payload.toString()).toBe("two");
    c.end();
    await pub.client.endAsync();
  });

  test("a PUBREC with an error reason ends a QoS 2 delivery: no PUBREL follows", async () => {
    const c = await RawMqtt.connected(t.port, { protocolVersion: 5, clientId: "pubrec-err", username: "v5", password: Buffer.from("pw") });
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "rec/t", qos: 2 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [2] });
    const pub = await v5({ clientId: "pubrec-pub" });
    await pub.client.publishAsync("rec/t", "refused", { qos: 2 });
    const m = (await c.next()) as { cmd: string; messageId: number };
    expect(m.cmd).toBe("publish");
    c.send({ cmd: "pubrec", messageId: m.messageId, reasonCode: 0x80 });
    await c.expectNothing(200);
    c.end();
    await pub.client.endAsync();
  });

  test("subscription identifiers and no-local of a persistent session survive a restart and apply to queued messages", async () => {
    const r = new RestartableServer();
    try {
      let s = await r.restart();
      const connectV5 = (clientId: string) =>
        RawMqtt.connected(s.port, { protocolVersion: 5, clientId, clean: false, properties: { sessionExpiryInterval: 600 } });
      const c = await connectV5("opts-restart");
      c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "keep/t", qos: 1, nl: true }], properties: { subscriptionIdentifier: 9 } });
      expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
      c.send({ cmd: "disconnect" });
      await c.whenClosed;
      s = await r.restart();
      const pub = await RawMqtt.connected(s.port, { protocolVersion: 5, clientId: "opts-pub" });
      pub.send({ cmd: "publish", topic: "keep/t", payload: Buffer.from("queued"), qos: 1, messageId: 1, retain: false, dup: false });
      expect((await pub.next()).cmd).toBe("puback");
      const back = await connectV5("opts-restart");
      const m = (await back.next()) as { cmd: string; payload: Buffer; messageId: number; properties?: { subscriptionIdentifier?: number } };
      expect([m.cmd, m.payload.toString(), m.properties?.subscriptionIdentifier]).toEqual(["publish", "queued", 9]);
      back.send({ cmd: "puback", messageId: m.messageId });
      back.send({ cmd: "publish", topic: "keep/t", payload: Buffer.from("mine"), qos: 1, messageId: 2, retain: false, dup: false });
      expect(await back.next()).toMatchObject({ cmd: "puback", messageId: 2 });
      await back.expectNothing(200);
      back.end();
      pub.end();
    } finally {
      await r.dispose();
    }
  });
});
