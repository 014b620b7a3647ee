import { connect, headers, type NatsConnection } from "@nats-io/transport-node";
import { generate } from "mqtt-packet";
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

describe("QoS 0 publish/subscribe", () => {
  test("TestMQTTPublish: QoS 0, 1 and 2 publishes are accepted (PUBACK, PUBREC/PUBCOMP)", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "" });
    c.send({ cmd: "publish", topic: "foo", payload: Buffer.from("msg"), qos: 0, retain: false, dup: false });
    c.send({ cmd: "publish", topic: "foo", payload: Buffer.from("msg"), qos: 1, messageId: 1, retain: false, dup: false });
    expect(await c.next()).toMatchObject({ cmd: "puback", messageId: 1 });
    c.send({ cmd: "publish", topic: "foo", payload: Buffer.from("msg"), qos: 2, messageId: 2, retain: false, dup: false });
    expect(await c.next()).toMatchObject({ cmd: "pubrec", messageId: 2 });
    c.send({ cmd: "pubrel", messageId: 2 });
    expect(await c.next()).toMatchObject({ cmd: "pubcomp", messageId: 2 });
    c.end();
  });

  test("TestMQTTSub: which NATS subjects and MQTT topics a filter matches", async () => {
    const table: [string, string, string, boolean][] = [
      ["foo", "foo", "foo", true],
      ["foo", "bar", "bar", false],
      ["foo/bar", "foo.bar", "foo/bar", true],
      ["foo/bar", "foo.baz", "foo/baz", false],
      ["/foo/bar", "/.foo.bar", "/foo/bar", true],
      ["/foo/bar", "/.foo.baz", "/foo/baz", false],
      ["foo/+", "foo.bar.baz", "foo/bar/baz", false],
      ["foo/+", "foo.bar./", "foo/bar/", false],
      ["foo/+", "foo.bar", "foo/bar", true],
      ["foo/+", "foo./", "foo/", true],
      ["foo/+", "foo", "foo", false],
      ["foo/+", "/.foo", "/foo", false],
      ["foo/#", "foo.bar.baz./", "foo/bar/baz/", true],
      ["foo/#", "foo.bar.baz", "foo/bar/baz", true],
      ["foo/#", "foo.bar./", "foo/bar/", true],
      ["foo/#", "foo.bar", "foo/bar", true],
      ["foo/#", "foo./", "foo/", true],
      ["foo/#", "foo", "foo", true],
      ["foo/#", "/.foo", "/foo", false],
    ];
    const pub = await RawMqtt.connected(t.port, { clientId: "" });
    // A PINGREQ after the publish: its PINGRESP comes after any delivery the publish caused.
    const expectDelivery = async (c: RawMqtt, topic: string, ok: boolean) => {
      c.send({ cmd: "pingreq" });
      const first = await c.next();
      if (!ok) return expect(first.cmd, topic).toBe("pingresp");
      expect(first, topic).toMatchObject({ cmd: "publish", topic, qos: 0 });
      expect((await c.next()).cmd).toBe("pingresp");
    };
    for (const [filter, natsSubject, mqttTopic, ok] of table) {
      const c = await RawMqtt.connected(t.port, { clientId: "" });
      c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: filter, qos: 0 }] });
      expect(await c.next()).toMatchObject({ cmd: "suback", granted: [0] });
      nc.publish(natsSubject, "msg");
      await nc.flush();
      await expectDelivery(c, mqttTopic, ok);
      pub.send({ cmd: "publish", topic: mqttTopic, payload: Buffer.from("msg"), qos: 0, retain: false, dup: false });
      pub.send({ cmd: "pingreq" });
      expect((await pub.next()).cmd).toBe("pingresp");
      await expectDelivery(c, mqttTopic, ok);
      c.end();
    }
    pub.end();
  });

  test("MQTT publisher reaches MQTT subscriber (MQTT.js)", async () => {
    const sub = await mqttConnect(t.url, { clientId: "sub1" });
    const inbox = new Inbox(sub);
    expect(await sub.subscribeAsync("foo/bar", { qos: 0 })).toEqual([{ topic: "foo/bar", qos: 0 }]);
    const pub = await mqttConnect(t.url, { clientId: "pub1" });
    await pub.publishAsync("foo/bar", "hello");
    expect(await inbox.next()).toMatchObject({ topic: "foo/bar", payload: "hello", qos: 0, retain: false });
    await Promise.all([sub.endAsync(), pub.endAsync()]);
  });

  test("TestMQTTPubSubMatrix: NATS and MQTT publishers reach NATS and MQTT subscribers", async () => {
    const mqttSub = await mqttConnect(t.url, { clientId: "matrix-sub" });
    const inbox = new Inbox(mqttSub);
    await mqttSub.subscribeAsync("matrix/+", { qos: 0 });
    const natsSub = nc.subscribe("matrix.*", { max: 2 });
    await nc.flush();
    const pub = await mqttConnect(t.url, { clientId: "matrix-pub" });
    await pub.publishAsync("matrix/from-mqtt", "m1");
    nc.publish("matrix.from-nats", "m2");
    const got = [await inbox.next(), await inbox.next()].map((m) => `${m.topic}=${m.payload}`).sort();
    expect(got).toEqual(["matrix/from-mqtt=m1", "matrix/from-nats=m2"]);
    const natsGot: string[] = [];
    for await (const m of natsSub) natsGot.push(`${m.subject}=${m.string()}`);
    expect(natsGot.sort()).toEqual(["matrix.from-mqtt=m1", "matrix.from-nats=m2"]);
    await Promise.all([mqttSub.endAsync(), pub.endAsync()]);
  });

  test("MQTT publications carry Go's Nmqtt-Pub header with the QoS for NATS subscribers", async () => {
    const natsSub = nc.subscribe("hdr.q", { max: 2 });
    await nc.flush();
    const pub = await mqttConnect(t.url, { clientId: "hdr-pub" });
    await pub.publishAsync("hdr/q", "a", { qos: 0 });
    await pub.publishAsync("hdr/q", "b", { qos: 1 });
    const values: string[] = [];
    for await (const m of natsSub) values.push(`${m.string()}:${m.headers?.get("Nmqtt-Pub")}`);
    expect(values).toEqual(["a:0", "b:1"]);
    await pub.endAsync();
  });

  test("TestMQTTTopicWithDot: dots in topics travel as // in NATS subjects", async () => {
    const natsSub = nc.subscribe("*.*", { max: 2 });
    await nc.flush();
    const c1 = await mqttConnect(t.url, { clientId: "conn1" });
    const inbox = new Inbox(c1);
    await c1.subscribeAsync("spBv1.0/plant1", { qos: 0 });
    await c1.subscribeAsync("spBv1.0/plant2", { qos: 1 });
    const c2 = await mqttConnect(t.url, { clientId: "conn2" });
    await c2.publishAsync("spBv1.0/plant1", "msg1", { qos: 0 });
    expect(await inbox.next()).toMatchObject({ topic: "spBv1.0/plant1", payload: "msg1", qos: 0 });
    await c2.publishAsync("spBv1.0/plant2", "msg2", { qos: 1 });
    expect(await inbox.next()).toMatchObject({ topic: "spBv1.0/plant2", payload: "msg2", qos: 1 });
    const subjects: string[] = [];
    for await (const m of natsSub) subjects.push(m.subject);
    expect(subjects).toEqual(["spBv1//0.plant1", "spBv1//0.plant2"]);
    nc.publish("spBv1//0.plant1", "msg3");
    expect(await inbox.next()).toMatchObject({ topic: "spBv1.0/plant1", payload: "msg3", qos: 0 });
    nc.publish("spBv1//0.plant2", "msg4");
    // NATS messages have no MQTT QoS: a QoS 1 subscription receives them at QoS 0.
    expect(await inbox.next()).toMatchObject({ topic: "spBv1.0/plant2", payload: "msg4", qos: 0 });
    await Promise.all([c1.endAsync(), c2.endAsync()]);
  });

  test("TestMQTTSubjectWildcardStart: wildcards at the first level do not match $ topics", async () => {
    const clients = await Promise.all(["*", "#", "*/foo"].map((f, i) => mqttConnect(t.url, { clientId: `wc${i}` }).then((c) => ({ c, f }))));
    const inboxes = clients.map(({ c }) => new Inbox(c));
    expect(await clients[0]!.c.subscribeAsync("*", { qos: 0 })).toEqual([{ topic: "*", qos: 0 }]);
    expect(await clients[1]!.c.subscribeAsync("#", { qos: 1 })).toEqual([{ topic: "#", qos: 1 }]);
    expect(await clients[2]!.c.subscribeAsync("*/foo", { qos: 1 })).toEqual([{ topic: "*/foo", qos: 1 }]);
    nc.publish("foo", "HELLO WORLD");
    expect(await inboxes[0]!.next()).toMatchObject({ topic: "foo", payload: "HELLO WORLD" });
    expect(await inboxes[1]!.next()).toMatchObject({ topic: "foo", payload: "HELLO WORLD" });
    nc.publish("$JS.foo", "reserved");
    for (const inbox of inboxes) await inbox.expectNothing();
    const pub = await mqttConnect(t.url, { clientId: "wcpub" });
    await pub.publishAsync("foo", "q0", { qos: 0 });
    expect(await inboxes[0]!.next()).toMatchObject({ topic: "foo", payload: "q0", qos: 0 });
    expect(await inboxes[1]!.next()).toMatchObject({ topic: "foo", payload: "q0", qos: 0 });
    await pub.publishAsync("$JS/foo", "reserved", { qos: 0 });
    await pub.publishAsync("$JS/foo", "reserved", { qos: 1 });
    for (const inbox of inboxes) await inbox.expectNothing();
    await pub.publishAsync("foo", "q1", { qos: 1 });
    expect(await inboxes[0]!.next()).toMatchObject({ topic: "foo", payload: "q1", qos: 0 });
    expect(await inboxes[1]!.next()).toMatchObject({ topic: "foo", payload: "q1", qos: 1 });
    await pub.publishAsync("foo/foo", "q1b", { qos: 1 });
    expect(await inboxes[1]!.next()).toMatchObject({ topic: "foo/foo", payload: "q1b", qos: 1 });
    expect(await inboxes[2]!.next()).toMatchObject({ topic: "foo/foo", payload: "q1b", qos: 1 });
    for (const inbox of inboxes) await inbox.expectNothing();
    await pub.endAsync();
    await Promise.all(clients.map(({ c }) => c.endAsync()));
  });

  test("a filter naming the $ topic explicitly does receive it (MQTT-4.7.2-1)", async () => {
    const c = await mqttConnect(t.url, { clientId: "dollar" });
    const inbox = new Inbox(c);
    await c.subscribeAsync("$SYS/#", { qos: 0 });
    nc.publish("$SYS.x", "sys");
    expect(await inbox.next()).toMatchObject({ topic: "$SYS/x", payload: "sys" });
    await c.endAsync();
  });

  test("# also matches the parent level (foo/# receives foo)", async () => {
    const c = await mqttConnect(t.url, { clientId: "parent" });
    const inbox = new Inbox(c);
    await c.subscribeAsync("lvl/#", { qos: 0 });
    nc.publish("lvl", "parent");
    nc.publish("lvl.a.b", "child");
    expect((await inbox.next()).payload).toBe("parent");
    expect(await inbox.next()).toMatchObject({ topic: "lvl/a/b", payload: "child" });
    await c.endAsync();
  });

  test("TestMQTTSubAck: granted QoS per filter, 0x80 for an invalid filter", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "suback" });
    c.send({
      cmd: "subscribe",
      messageId: 1,
      subscriptions: [
        { topic: "foo", qos: 0 },
        { topic: "bar", qos: 1 },
        { topic: "foo/#/bar", qos: 0 },
      ],
    });
    expect(await c.next()).toMatchObject({ cmd: "suback", messageId: 1, granted: [0, 1, 0x80] });
    c.end();
  });

  test("TestMQTTSubWithSpaces / TestMQTTSubWithControlChars: such filters get 0x80, the connection stays", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "spaces" });
    let id = 1;
    for (const topic of ["foo bar", "foo\tbar", "foo\nbar", "foo\rbar", "foo\fbar"]) {
      c.send({ cmd: "subscribe", messageId: id, subscriptions: [{ topic, qos: 0 }] });
      expect(await c.next(), JSON.stringify(topic)).toMatchObject({ cmd: "suback", messageId: id, granted: [0x80] });
      id++;
    }
    c.send({ cmd: "pingreq" });
    expect((await c.next()).cmd).toBe("pingresp");
    c.end();
  });

  test("TestMQTTPublishTopicErrors: a bad publish topic closes the connection", async () => {
    for (const topic of ["", "foo/+", "foo/#", "foo\tbar", "foo\nbar", "foo\rbar", "foo\fbar"]) {
      const c = await RawMqtt.connected(t.port, { clientId: "" });
      // mqtt-packet refuses to encode some of these, so the PUBLISH is written by hand.
      const topicBytes = Buffer.from(topic);
      const body = Buffer.concat([Buffer.from([topicBytes.length >> 8, topicBytes.length & 0xff]), topicBytes, Buffer.from("msg")]);
      c.sendRaw(Buffer.concat([Buffer.from([0x30, body.length]), body]));
      expect(await c.closesWithin(2000), JSON.stringify(topic)).toBe(true);
    }
  });

  test("TestMQTTUnsub: after UNSUBSCRIBE nothing more is delivered", async () => {
    const c = await RawMqtt.connected(t.port, { clientId: "unsub" });
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "unsub/x", qos: 0 }] });
    expect((await c.next()).cmd).toBe("suback");
    nc.publish("unsub.x", "one");
    expect(await c.next()).toMatchObject({ cmd: "publish", topic: "unsub/x", qos: 0 });
    c.send({ cmd: "unsubscribe", messageId: 2, unsubscriptions: ["unsub/x"] });
    expect(await c.next()).toMatchObject({ cmd: "unsuback", messageId: 2 });
    nc.publish("unsub.x", "two");
    await nc.flush();
    await c.expectNothing(150);
    c.end();
  });

  test("TestMQTTSubCaseSensitive: topics are case sensitive", async () => {
    const c = await mqttConnect(t.url, { clientId: "case" });
    const inbox = new Inbox(c);
    await c.subscribeAsync("Foo/Bar", { qos: 0 });
    nc.publish("foo.bar", "lower");
    nc.publish("Foo.Bar", "upper");
    expect((await inbox.next()).payload).toBe("upper");
    await inbox.expectNothing();
    await c.endAsync();
  });

  test("packets split across many reads, and large ones, arrive whole", async () => {
    const sub = nc.subscribe("split.t", { max: 2 });
    await nc.flush();
    const c = await RawMqtt.connected(t.port, { clientId: "split" });
    const bytes = generate({ cmd: "publish", topic: "split/t", payload: Buffer.from("byte by byte"), qos: 1, messageId: 3, retain: false, dup: false });
    for (const b of bytes) {
      c.sendRaw([b]);
      await new Promise((r) => setImmediate(r));
    }
    expect(await c.next()).toMatchObject({ cmd: "puback", messageId: 3 });
    const big = Buffer.alloc(700_000, 0x42);
    c.send({ cmd: "publish", topic: "split/t", payload: big, qos: 0, retain: false, dup: false });
    const got: Buffer[] = [];
    for await (const m of sub) got.push(Buffer.from(m.data));
    expect(got[0]!.toString()).toBe("byte by byte");
    expect(got[1]!.equals(big)).toBe(true);
    c.end();
  });

  test("NATS messages with headers reach MQTT subscribers with the payload only", async () => {
    const c = await mqttConnect(t.url, { clientId: "hdrs" });
    const inbox = new Inbox(c);
    await c.subscribeAsync("with/headers", { qos: 0 });
    const h = headers();
    h.set("X-Test", "1");
    nc.publish("with.headers", "body", { headers: h });
    expect((await inbox.next()).payload).toBe("body");
    await c.endAsync();
  });

  test("a NATS message MQTT cannot carry (a topic over 65535 bytes) is dropped for that subscriber, which stays connected", async () => {
    const big = await startMqtt({ server: { maxControlLine: 200_000 } });
    try {
      const c = await RawMqtt.connected(big.port, { clientId: "" });
      c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "long/#", qos: 0 }] });
      expect((await c.next()).cmd).toBe("suback");
      const nc2 = await connect({ servers: big.server.clientURL });
      nc2.publish(`long.${"x".repeat(70_000)}`, "too long a topic");
      nc2.publish("long.ok", "fine");
      await nc2.flush();
      const m = (await c.next()) as { topic: string; payload: Buffer };
      expect([m.topic, m.payload.toString()]).toEqual(["long/ok", "fine"]);
      await nc2.close();
      c.end();
    } finally {
      await big.stop();
    }
  });
});
