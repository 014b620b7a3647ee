import { connect, type NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Inbox, mqttConnect, RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";

let t: MqttTestServer;
let nc: NatsConnection;
beforeAll(async () => {
  t = await startMqtt();
  nc = await connect({ servers: t.server.clientURL, reconnect: false });
});
afterAll(async () => {
  await nc.close();
  await t.stop();
});

describe("QoS 1 and 2", () => {
  test("a QoS 1 PUBLISH is acknowledged with PUBACK and delivered at QoS 1 with a packet id", async () => {
    const sub = await RawMqtt.connected(t.port, { clientId: "q1sub" });
    sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "q1/t", qos: 1 }] });
    expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [1] });
    const pub = await RawMqtt.connected(t.port, { clientId: "q1pub" });
    pub.send({ cmd: "publish", topic: "q1/t", payload: Buffer.from("m"), qos: 1, messageId: 7, dup: false, retain: false });
    expect(await pub.next()).toMatchObject({ cmd: "puback", messageId: 7 });
    const got = await sub.next();
    expect(got).toMatchObject({ cmd: "publish", topic: "q1/t", qos: 1, dup: false });
    expect((got as { messageId: number }).messageId).toBeGreaterThan(0);
    sub.send({ cmd: "puback", messageId: (got as { messageId: number }).messageId });
    sub.end();
    pub.end();
  });

  test("a QoS 2 delivery runs PUBLISH, PUBREC, PUBREL, PUBCOMP", async () => {
    const sub = await RawMqtt.connected(t.port, { clientId: "q2sub" });
    sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "q2/t", qos: 2 }] });
    expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [2] });
    const pub = await mqttConnect(t.url, { clientId: "q2pub" });
    await pub.publishAsync("q2/t", "exactly once", { qos: 2 });
    const msg = (await sub.next()) as { cmd: string; qos: number; messageId: number; payload: Buffer };
    expect(msg).toMatchObject({ cmd: "publish", qos: 2 });
    expect(msg.payload.toString()).toBe("exactly once");
    sub.send({ cmd: "pubrec", messageId: msg.messageId });
    expect(await sub.next()).toMatchObject({ cmd: "pubrel", messageId: msg.messageId });
    sub.send({ cmd: "pubcomp", messageId: msg.messageId });
    await sub.expectNothing(100);
    sub.end();
    await pub.endAsync();
  });

  test("a re-sent QoS 2 PUBLISH is not published twice before PUBREL", async () => {
    let received = 0;
    nc.subscribe("q2.once", { callback: () => void received++ });
    await nc.flush();
    const pub = await RawMqtt.connected(t.port, { clientId: "q2once" });
    const publish = { cmd: "publish" as const, topic: "q2/once", payload: Buffer.from("x"), qos: 2 as const, messageId: 9, retain: false };
    pub.send({ ...publish, dup: false });
    expect(await pub.next()).toMatchObject({ cmd: "pubrec", messageId: 9 });
    pub.send({ ...publish, dup: true });
    expect(await pub.next()).toMatchObject({ cmd: "pubrec", messageId: 9 });
    pub.send({ cmd: "pubrel", messageId: 9 });
    expect(await pub.next()).toMatchObject({ cmd: "pubcomp", messageId: 9 });
    await nc.flush();
    expect(received).toBe(1);
    pub.end();
  });

  test("QoS 2 exactly once across a publisher crash between PUBREC and PUBREL", async () => {
    let received = 0;
    nc.subscribe("q2.crash", { callback: () => void received++ });
    await nc.flush();
    const connect = { cmd: "connect" as const, protocolId: "MQTT" as const, protocolVersion: 4 as const, clean: false, clientId: "q2crash", keepalive: 0 };
    const publish = { cmd: "publish" as const, topic: "q2/crash", payload: Buffer.from("once"), qos: 2 as const, messageId: 42, retain: false };
    const c1 = await RawMqtt.open(t.port);
    c1.send(connect);
    expect((await c1.next()).cmd).toBe("connack");
    c1.send({ ...publish, dup: false });
    expect(await c1.next()).toMatchObject({ cmd: "pubrec", messageId: 42 });
    c1.end(); // crash before PUBREL
    await c1.whenClosed;
    const c2 = await RawMqtt.open(t.port);
    c2.send(connect);
    expect(await c2.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    c2.send({ ...publish, dup: true }); // the client re-sends what it did not see completed
    expect(await c2.next()).toMatchObject({ cmd: "pubrec", messageId: 42 });
    c2.send({ cmd: "pubrel", messageId: 42 });
    expect(await c2.next()).toMatchObject({ cmd: "pubcomp", messageId: 42 });
    await nc.flush();
    expect(received).toBe(1);
    c2.send({ cmd: "disconnect" });
  });

  test("a QoS 2 delivery resumes where it stopped: PUBLISH with DUP before PUBREC, PUBREL after", async () => {
    const connect = { cmd: "connect" as const, protocolId: "MQTT" as const, protocolVersion: 4 as const, clean: false, clientId: "q2resume", keepalive: 0 };
    const s1 = await RawMqtt.open(t.port);
    s1.send(connect);
    expect((await s1.next()).cmd).toBe("connack");
    s1.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "q2/resume/+", qos: 2 }] });
    expect(await s1.next()).toMatchObject({ cmd: "suback", granted: [2] });
    const pub = await mqttConnect(t.url, { clientId: "q2resume-pub" });
    await pub.publishAsync("q2/resume/a", "a", { qos: 2 });
    await pub.publishAsync("q2/resume/b", "b", { qos: 2 });
    const a = (await s1.next()) as { messageId: number; topic: string };
    const b = (await s1.next()) as { messageId: number; topic: string };
    expect([a.topic, b.topic]).toEqual(["q2/resume/a", "q2/resume/b"]);
    s1.send({ cmd: "pubrec", messageId: a.messageId }); // a reaches the PUBREL step, b does not
    expect(await s1.next()).toMatchObject({ cmd: "pubrel", messageId: a.messageId });
    s1.end();
    await s1.whenClosed;
    const s2 = await RawMqtt.open(t.port);
    s2.send(connect);
    expect(await s2.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    // The PUBREL of a and the PUBLISH of b come from two consumers: each type keeps its order, not the pair.
    const resent = [await s2.next(), await s2.next()].sort((x, y) => x.cmd.localeCompare(y.cmd));
    expect(resent[0]).toMatchObject({ cmd: "publish", topic: "q2/resume/b", dup: true, messageId: b.messageId });
    expect(resent[1]).toMatchObject({ cmd: "pubrel", messageId: a.messageId });
    s2.send({ cmd: "pubcomp", messageId: a.messageId });
    s2.send({ cmd: "pubrec", messageId: b.messageId });
    expect(await s2.next()).toMatchObject({ cmd: "pubrel", messageId: b.messageId });
    s2.send({ cmd: "pubcomp", messageId: b.messageId });
    s2.send({ cmd: "disconnect" });
    await pub.endAsync();
  });

  test("QoS 1 messages published while a persistent session is away are delivered when it returns", async () => {
    const first = await mqttConnect(t.url, { clientId: "away", clean: false });
    await first.subscribeAsync("away/t", { qos: 1 });
    await first.endAsync();
    const pub = await mqttConnect(t.url, { clientId: "away-pub" });
    await pub.publishAsync("away/t", "while away", { qos: 1 });
    await pub.publishAsync("away/t", "qos0 dropped", { qos: 0 });
    const back = await RawMqtt.connected(t.port, { clientId: "away", clean: false });
    const msg = await back.next();
    expect(msg).toMatchObject({ cmd: "publish", topic: "away/t", qos: 1, dup: false });
    expect((msg as { payload: Buffer }).payload.toString()).toBe("while away");
    await back.expectNothing(100);
    back.end();
    await pub.endAsync();
  });

  test("unacknowledged QoS 1 messages are re-sent with DUP when the session resumes (MQTT-4.4.0-1)", async () => {
    const c1 = await RawMqtt.connected(t.port, { clientId: "redeliver", clean: false });
    c1.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "redeliver/t", qos: 1 }] });
    expect((await c1.next()).cmd).toBe("suback");
    nc.publish("redeliver.t", "plain nats"); // arrives at QoS 0
    const pub = await mqttConnect(t.url, { clientId: "redeliver-pub" });
    await pub.publishAsync("redeliver/t", "needs ack", { qos: 1 });
    expect(await c1.next()).toMatchObject({ cmd: "publish", qos: 0 });
    const first = (await c1.next()) as { messageId: number; dup: boolean };
    expect(first).toMatchObject({ cmd: "publish", qos: 1, dup: false });
    c1.end(); // no PUBACK
    await c1.whenClosed;
    const c2 = await RawMqtt.open(t.port);
    c2.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, clientId: "redeliver", keepalive: 0 });
    expect(await c2.next()).toMatchObject({ cmd: "connack", returnCode: 0, sessionPresent: true });
    const again = await c2.next();
    expect(again).toMatchObject({ cmd: "publish", qos: 1, dup: true, messageId: first.messageId });
    c2.send({ cmd: "puback", messageId: first.messageId });
    c2.end();
    await c2.whenClosed;
    // Acknowledged now: a third connection gets nothing.
    const c3 = await RawMqtt.connected(t.port, { clientId: "redeliver", clean: false });
    await c3.expectNothing(100);
    c3.send({ cmd: "disconnect" });
    await pub.endAsync();
  });

  test("TestMQTTRedeliveryAckWait: unacknowledged messages are re-sent with DUP every ack_wait, and on reconnect", async () => {
    const quick = await startMqtt({ mqtt: { ackWait: 250 } });
    try {
      const connectSub = async () => {
        const c = await RawMqtt.open(quick.port);
        c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, clientId: "sub", keepalive: 0 });
        return { c, ack: await c.next() };
      };
      let { c } = await connectSub();
      c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }] });
      expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
      const pub = await RawMqtt.connected(quick.port, { clientId: "pub" });
      pub.send({ cmd: "publish", topic: "foo", payload: Buffer.from("foo1"), qos: 1, messageId: 1, retain: false, dup: false });
      pub.send({ cmd: "publish", topic: "foo", payload: Buffer.from("foo2"), qos: 1, messageId: 2, retain: false, dup: false });
      expect((await pub.next()).cmd).toBe("puback");
      expect((await pub.next()).cmd).toBe("puback");
      pub.send({ cmd: "disconnect" });
      const read = async () => {
        const m = (await c.next()) as { cmd: string; dup: boolean; messageId: number; payload: Buffer };
        return { cmd: m.cmd, dup: m.dup, messageId: m.messageId, payload: m.payload.toString() };
      };
      for (let i = 0; i < 2; i++) {
        expect(await read()).toEqual({ cmd: "publish", dup: i > 0, messageId: 1, payload: "foo1" });
        expect(await read()).toEqual({ cmd: "publish", dup: i > 0, messageId: 2, payload: "foo2" });
      }
      c.send({ cmd: "puback", messageId: 1 });
      for (let i = 0; i < 2; i++) expect(await read()).toEqual({ cmd: "publish", dup: true, messageId: 2, payload: "foo2" });
      c.end();
      await c.whenClosed;
      let ack;
      ({ c, ack } = await connectSub());
      expect(ack).toMatchObject({ cmd: "connack", returnCode: 0, sessionPresent: true });
      expect(await read()).toEqual({ cmd: "publish", dup: true, messageId: 2, payload: "foo2" });
      c.send({ cmd: "puback", messageId: 2 });
      c.send({ cmd: "pingreq" });
      expect((await c.next()).cmd).toBe("pingresp");
      await c.expectNothing(400);
      c.end();
    } finally {
      await quick.stop();
    }
  });

  test("max_ack_pending holds back deliveries until PUBACKs free slots", async () => {
    const small = await startMqtt({ mqtt: { maxAckPending: 2 } });
    try {
      const sub = await RawMqtt.connected(small.port, { clientId: "map" });
      sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "map", qos: 1 }] });
      expect((await sub.next()).cmd).toBe("suback");
      const pub = await mqttConnect(small.url, { clientId: "map-pub" });
      for (let i = 0; i < 3; i++) await pub.publishAsync("map", `m${i}`, { qos: 1 });
      const a = (await sub.next()) as { messageId: number };
      await sub.next();
      await sub.expectNothing(100);
      sub.send({ cmd: "puback", messageId: a.messageId });
      const third = (await sub.next()) as { payload: Buffer };
      expect(third.payload.toString()).toBe("m2");
      sub.end();
      await pub.endAsync();
    } finally {
      await small.stop();
    }
  });
});

describe("sessions", () => {
  test("TestMQTTCleanSession: session present only when resuming a persistent session", async () => {
    const attempt = async (clean: boolean) => {
      const c = await RawMqtt.open(t.port);
      c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean, clientId: "me", keepalive: 0 });
      const ack = await c.next();
      c.send({ cmd: "disconnect" });
      await c.whenClosed;
      return ack;
    };
    expect(await attempt(false)).toMatchObject({ returnCode: 0, sessionPresent: false });
    expect(await attempt(false)).toMatchObject({ returnCode: 0, sessionPresent: true });
    expect(await attempt(true)).toMatchObject({ returnCode: 0, sessionPresent: false });
  });

  test("TestMQTTDuplicateClientID: a second connection with the same client id replaces the first", async () => {
    const c1 = await RawMqtt.open(t.port);
    c1.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, clientId: "dup", keepalive: 0 });
    expect(await c1.next()).toMatchObject({ returnCode: 0, sessionPresent: false });
    const c2 = await RawMqtt.open(t.port);
    c2.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, clientId: "dup", keepalive: 0 });
    expect(await c2.next()).toMatchObject({ returnCode: 0, sessionPresent: true });
    expect(await c1.closesWithin(2000)).toBe(true);
    c2.end();
  });

  test("TestMQTTFlappingSession: a client id that just took a session over is refused for a while", async () => {
    const connectPacket = { cmd: "connect" as const, protocolId: "MQTT" as const, protocolVersion: 4 as const, clean: false, clientId: "flapper", keepalive: 0 };
    const c1 = await RawMqtt.open(t.port);
    c1.send(connectPacket);
    expect(await c1.next()).toMatchObject({ returnCode: 0, sessionPresent: false });
    const c2 = await RawMqtt.open(t.port);
    c2.send(connectPacket);
    expect(await c2.next()).toMatchObject({ returnCode: 0, sessionPresent: true });
    expect(await c1.closesWithin(2000)).toBe(true);
    const c3 = await RawMqtt.open(t.port);
    c3.send(connectPacket);
    // Misbehave: SUBSCRIBE without waiting for the CONNACK.
    c3.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }] });
    await expect(c3.next(3000)).rejects.toThrow("connection closed");
    c2.end();
  });

  test("subscriptions of a persistent session survive reconnects", async () => {
    const c1 = await mqttConnect(t.url, { clientId: "keepsubs", clean: false });
    await c1.subscribeAsync("keep/subs", { qos: 0 });
    await c1.endAsync();
    const c2 = await mqttConnect(t.url, { clientId: "keepsubs", clean: false });
    const inbox = new Inbox(c2);
    nc.publish("keep.subs", "still subscribed");
    expect((await inbox.next()).payload).toBe("still subscribed");
    await c2.endAsync();
    const c3 = await mqttConnect(t.url, { clientId: "keepsubs", clean: true });
    const inbox3 = new Inbox(c3);
    nc.publish("keep.subs", "gone");
    await inbox3.expectNothing();
    await c3.endAsync();
  });
});

describe("retained messages", () => {
  test("TestMQTTPublishRetain: set, keep across plain publishes, replace with large, clear with empty", async () => {
    const large = "0123456789abcdef".repeat(64 * 128);
    const cases = [
      { retained: true, sent: large, expected: large, subGetsIt: true },
      { retained: true, sent: "retained", expected: "retained", subGetsIt: true },
      { retained: false, sent: "not retained", expected: "retained", subGetsIt: true },
      { retained: true, sent: "", expected: "", subGetsIt: false },
    ];
    for (const c of cases) {
      const pub = await RawMqtt.connected(t.port, { clientId: "" });
      pub.send({ cmd: "publish", topic: "foo", payload: Buffer.from(c.sent), qos: 0, retain: c.retained, dup: false });
      pub.send({ cmd: "pingreq" }); // the PINGRESP tells the publish was processed
      expect((await pub.next()).cmd).toBe("pingresp");
      const sub = await mqttConnect(t.url, { clientId: "" });
      const inbox = new Inbox(sub);
      await sub.subscribeAsync("foo/#", { qos: 1 });
      if (c.subGetsIt) expect(await inbox.next()).toMatchObject({ topic: "foo", payload: c.expected, retain: true });
      else await inbox.expectNothing();
      pub.end();
      await sub.endAsync();
    }
  });

  test("TestMQTTRetainFlag: RETAIN is set for new subscriptions only (MQTT-3.3.1-9)", async () => {
    const pub = await mqttConnect(t.url, { clientId: "" });
    await pub.publishAsync("flag/0", "flag set", { qos: 0, retain: true });
    await pub.publishAsync("flag/1", "flag set", { qos: 0, retain: true });
    const sub = await mqttConnect(t.url, { clientId: "" });
    const inbox = new Inbox(sub);
    expect(await sub.subscribeAsync("flag/0", { qos: 0 })).toEqual([{ topic: "flag/0", qos: 0 }]);
    expect(await inbox.next()).toMatchObject({ topic: "flag/0", payload: "flag set", retain: true });
    expect(await sub.subscribeAsync("flag/1", { qos: 1 })).toEqual([{ topic: "flag/1", qos: 1 }]);
    expect(await inbox.next()).toMatchObject({ topic: "flag/1", payload: "flag set", retain: true });
    await pub.publishAsync("flag/0", "flag not set", { qos: 0, retain: true });
    expect(await inbox.next()).toMatchObject({ topic: "flag/0", payload: "flag not set", retain: false });
    await pub.publishAsync("flag/1", "flag not set", { qos: 0, retain: true });
    expect(await inbox.next()).toMatchObject({ topic: "flag/1", payload: "flag not set", retain: false });
    await Promise.all([pub.endAsync(), sub.endAsync()]);
  });

  test("retained messages are delivered at min(published, granted) QoS and $ topics stay out of wildcard matches", async () => {
    const pub = await mqttConnect(t.url, { clientId: "" });
    await pub.publishAsync("rq/a", "q1", { qos: 1, retain: true });
    await pub.publishAsync("$rq/a", "reserved", { qos: 1, retain: true });
    const sub = await mqttConnect(t.url, { clientId: "" });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync("+/a", { qos: 0 });
    expect(await inbox.next()).toMatchObject({ topic: "rq/a", payload: "q1", qos: 0, retain: true });
    await inbox.expectNothing();
    await sub.subscribeAsync("$rq/+", { qos: 1 });
    expect(await inbox.next()).toMatchObject({ topic: "$rq/a", payload: "reserved", qos: 1, retain: true });
    await Promise.all([pub.endAsync(), sub.endAsync()]);
  });
});

describe("will messages", () => {
  test("TestMQTTWill: the will is published on abrupt close, not after DISCONNECT", async () => {
    let natsReceived = 0;
    nc.subscribe("will.topic", { callback: () => void natsReceived++ });
    await nc.flush();
    const watcher = await RawMqtt.connected(t.port, { clientId: "" });
    watcher.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "will/#", qos: 2 }] });
    expect(await watcher.next()).toMatchObject({ cmd: "suback", granted: [2] });
    for (const qos of [0, 1, 2] as const) {
      const c = await RawMqtt.connected(t.port, { clientId: "", will: { topic: "will/topic", payload: Buffer.from("bye"), qos, retain: false } });
      c.end();
      const got = (await watcher.next()) as { topic: string; qos: number; payload: Buffer; messageId?: number };
      expect(got).toMatchObject({ cmd: "publish", topic: "will/topic", qos });
      expect(got.payload.toString()).toBe("bye");
      if (qos === 1) watcher.send({ cmd: "puback", messageId: got.messageId });
      if (qos === 2) {
        watcher.send({ cmd: "pubrec", messageId: got.messageId });
        expect((await watcher.next()).cmd).toBe("pubrel");
        watcher.send({ cmd: "pubcomp", messageId: got.messageId });
      }
    }
    const polite = await RawMqtt.connected(t.port, { clientId: "", will: { topic: "will/topic", payload: Buffer.from("bye"), qos: 0, retain: false } });
    polite.send({ cmd: "disconnect" });
    await polite.whenClosed;
    await watcher.expectNothing(150);
    await nc.flush();
    expect(natsReceived).toBe(3);
    watcher.end();
  });

  test("TestMQTTWillRetain: a will with RETAIN becomes the topic's retained message", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "", will: { topic: "willr/topic", payload: Buffer.from("bye"), qos: 1, retain: true } });
    c.end();
    await c.whenClosed;
    await new Promise((r) => setTimeout(r, 50));
    const sub = await mqttConnect(t.url, { clientId: "" });
    const inbox = new Inbox(sub);
    await sub.subscribeAsync("willr/topic", { qos: 1 });
    expect(await inbox.next()).toMatchObject({ topic: "willr/topic", payload: "bye", qos: 1, retain: true });
    await sub.endAsync();
  });
});
