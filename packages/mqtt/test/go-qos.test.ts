import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { nextPacketId } from "../src/outbound.js";
import { RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";

type Pub = { cmd: "publish"; topic: string; payload: Buffer; qos: number; dup: boolean; retain: boolean; messageId?: number };

const connectPacket = (clientId: string, clean: boolean) => ({ cmd: "connect" as const, protocolId: "MQTT" as const, protocolVersion: 4 as const, clean, clientId, keepalive: 0 });

async function open(port: number, clientId: string, clean: boolean, present = false): Promise<RawMqtt> {
  const c = await RawMqtt.open(port);
  c.send(connectPacket(clientId, clean));
  expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 0, sessionPresent: present });
  return c;
}

async function sub(c: RawMqtt, filters: [string, number][], granted: number[]): Promise<void> {
  c.send({ cmd: "subscribe", messageId: 1, subscriptions: filters.map(([topic, qos]) => ({ topic, qos: qos as 0 | 1 | 2 })) });
  expect(await c.next()).toMatchObject({ cmd: "suback", messageId: 1, granted });
}

/** Publishes and completes the publisher's side of the QoS exchange (Go's testMQTTPublish). */
async function publish(c: RawMqtt, qos: 0 | 1 | 2, topic: string, messageId: number, payload: string, retain = false): Promise<void> {
  c.send({ cmd: "publish", topic, payload: Buffer.from(payload), qos, messageId: qos > 0 ? messageId : undefined, retain, dup: false });
  if (qos === 1) expect(await c.next()).toMatchObject({ cmd: "puback", messageId });
  if (qos === 2) {
    expect(await c.next()).toMatchObject({ cmd: "pubrec", messageId });
    c.send({ cmd: "pubrel", messageId });
    expect(await c.next()).toMatchObject({ cmd: "pubcomp", messageId });
  }
}

/** Reads a PUBLISH and checks topic, payload and flags without acknowledging it (Go's testMQTTCheckPubMsgNoAck). */
async function expectPub(c: RawMqtt, topic: string, qos: number, payload: string, dup = false, retain = false): Promise<number> {
  const p = (await c.next()) as Pub;
  expect({ cmd: p.cmd, topic: p.topic, payload: p.payload?.toString(), qos: p.qos, dup: p.dup, retain: p.retain }).toEqual({ cmd: "publish", topic, payload, qos, dup, retain });
  return p.messageId ?? 0;
}

async function completeQos2(c: RawMqtt, pi: number): Promise<void> {
  c.send({ cmd: "pubrec", messageId: pi });
  expect(await c.next()).toMatchObject({ cmd: "pubrel", messageId: pi });
  c.send({ cmd: "pubcomp", messageId: pi });
}

async function flush(c: RawMqtt): Promise<void> {
  c.send({ cmd: "pingreq" });
  expect((await c.next()).cmd).toBe("pingresp");
}

async function eventually(check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("Go mqtt_test.go: QoS 1/2 delivery and JetStream consumers", () => {
  let t: MqttTestServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    t = await startMqtt();
    nc = await connect({ servers: t.server.clientURL });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await nc.close();
    await t.stop();
  });

  test("TestMQTTSubQoS1: NATS and QoS 0 publications arrive at QoS 0, QoS 1 ones at QoS 1 with distinct packet ids", async () => {
    const mcp = await open(t.port, "", true);
    const mc = await open(t.port, "", true);
    await sub(mc, [["foo/#", 1]], [1]);
    await sub(mc, [["foo/bar", 1]], [1]);
    await flush(mc);
    nc.publish("foo.bar", "NATS");
    await expectPub(mc, "foo/bar", 0, "NATS");
    await expectPub(mc, "foo/bar", 0, "NATS");
    await publish(mcp, 0, "foo/bar", 0, "msg");
    await expectPub(mc, "foo/bar", 0, "msg");
    await expectPub(mc, "foo/bar", 0, "msg");
    await publish(mcp, 1, "foo/bar", 1, "msg");
    const pi1 = await expectPub(mc, "foo/bar", 1, "msg");
    const pi2 = await expectPub(mc, "foo/bar", 1, "msg");
    expect(pi1).not.toBe(pi2);
    mc.send({ cmd: "puback", messageId: pi1 });
    mc.send({ cmd: "puback", messageId: pi2 });
    mc.end();
    mcp.end();
  });

  test("TestMQTTSubQoS2: each subscription gets the message at min(published, granted) QoS", async () => {
    const mcp = await open(t.port, "", true);
    const mc = await open(t.port, "", true);
    const topic = "foo/bar/baz";
    await sub(mc, [["foo/#", 0]], [0]);
    await sub(mc, [["foo/bar/#", 1]], [1]);
    await sub(mc, [[topic, 2]], [2]);
    await flush(mc);
    const expected: Record<number, Record<number, number>> = { 0: { 0: 3 }, 1: { 0: 1, 1: 2 }, 2: { 0: 1, 1: 1, 2: 1 } };
    for (const pubQos of [0, 1, 2] as const) {
      await publish(mcp, pubQos, topic, 456, "msg");
      const counts: Record<number, number> = {};
      const delivered: Pub[] = [];
      for (let i = 0; i < 3; i++) {
        const p = (await mc.next()) as Pub;
        expect([p.topic, p.payload.toString()]).toEqual([topic, "msg"]);
        delivered.push(p);
        counts[p.qos] = (counts[p.qos] ?? 0) + 1;
      }
      for (const p of delivered) {
        if (p.qos === 1) mc.send({ cmd: "puback", messageId: p.messageId! });
        if (p.qos === 2) await completeQos2(mc, p.messageId!);
      }
      expect(counts).toEqual(expected[pubQos]);
    }
    mc.end();
    mcp.end();
  });

  test("TestMQTTSubQoS2Restart: the PUBREL consumer is served while the session is connected, and QoS 2 messages wait while it is not", async () => {
    const pubTopic = "foo/bar";
    const publishOnce = async (msg: string) => {
      const mcp = await open(t.port, "", true);
      await publish(mcp, 2, pubTopic, 1, msg);
      await flush(mcp);
      mcp.end();
    };
    const createSub = async (present: boolean) => {
      const c = await open(t.port, "sub-qos2-restart", false, present);
      if (!present) {
        await sub(c, [["foo/bar", 2]], [2]);
        c.send({ cmd: "subscribe", messageId: 2, subscriptions: [{ topic: "foo/+", qos: 2 }] });
        expect(await c.next()).toMatchObject({ cmd: "suback", messageId: 2, granted: [2] });
        await flush(c);
      }
      return c;
    };
    // Go counts the subscriptions on the PUBREL consumer's deliver subject; push_bound says the same.
    const checkBound = (bound: boolean) =>
      eventually(async () => {
        for await (const ci of jsm.consumers.list("$MQTT_out")) if (ci.config.deliver_subject?.startsWith("$MQTT.deliver.pubrel.")) return (ci.push_bound === true) === bound;
        return false;
      });
    const consume = async (c: RawMqtt, msg: string) => {
      const pis = [await expectPub(c, pubTopic, 2, msg), await expectPub(c, pubTopic, 2, msg)];
      for (const pi of pis) await completeQos2(c, pi);
      await c.expectNothing(100);
    };
    let c = await createSub(false);
    await checkBound(true);
    await publishOnce("msg1");
    await consume(c, "msg1");
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    await checkBound(false);
    await publishOnce("msg2");
    c = await createSub(true);
    await checkBound(true);
    await consume(c, "msg2");
    await publishOnce("msg3");
    await consume(c, "msg3");
    c.end();
  });

  test("TestMQTTPreventSubWithMQTTSubPrefix: a filter on the consumers' $MQTT/sub/ deliver subjects is refused", async () => {
    const mc = await open(t.port, "", true);
    await sub(mc, [["$MQTT/sub/foo/bar", 1]], [0x80]);
    mc.end();
  });

  test("TestMQTTSubWithNATSStream: MQTT subscribers and a user stream's consumer both get NATS and MQTT publications", async () => {
    const mc = await open(t.port, "", true);
    await sub(mc, [["foo/bar", 1]], [1]);
    await flush(mc);
    const mcp = await open(t.port, "", true);
    await flush(mcp);
    await jsm.streams.add({ name: "test", storage: "file" as never, retention: "interest" as never, subjects: ["foo.>"] });
    const inbox = nc.subscribe("bar");
    const it = inbox[Symbol.asyncIterator]();
    await jsm.consumers.add("test", { durable_name: "dur", ack_policy: "explicit" as never, deliver_subject: "bar" });
    const ack = await nc.request("foo.bar", "nats");
    expect(JSON.parse(ack.string()).error).toBeUndefined();
    const checkRecv = async (content: string, qos: number) => {
      const m = await it.next();
      expect(m.value.string()).toBe(content);
      await expectPub(mc, "foo/bar", qos, content);
    };
    await checkRecv("nats", 0);
    await publish(mcp, 0, "foo/bar", 0, "qos0");
    await checkRecv("qos0", 0);
    await publish(mcp, 1, "foo/bar", 1, "qos1");
    await checkRecv("qos1", 1);
    inbox.unsubscribe();
    await jsm.streams.delete("test");
    mc.end();
    mcp.end();
  });

  test("TestMQTTSubRestart: a persistent QoS 1 subscription survives a reconnect next to a NATS > subscriber, and re-subscribing at QoS 0 downgrades it", async () => {
    let mc = await open(t.port, "sub-restart", false);
    await sub(mc, [["foo", 1]], [1]);
    await flush(mc);
    const all = nc.subscribe(">");
    await nc.flush();
    mc.send({ cmd: "disconnect" });
    await mc.whenClosed;
    mc = await open(t.port, "sub-restart", false, true);
    await sub(mc, [["foo", 1]], [1]);
    await flush(mc);
    const pc = await open(t.port, "pub-restart", true);
    await publish(pc, 1, "foo", 1, "msg1");
    const pi = await expectPub(mc, "foo", 1, "msg1");
    mc.send({ cmd: "puback", messageId: pi });
    await sub(mc, [["foo", 0]], [0]);
    await flush(mc);
    await publish(pc, 1, "foo", 1, "msg2");
    await expectPub(mc, "foo", 0, "msg2");
    all.unsubscribe();
    mc.end();
    pc.end();
  });

  test("TestMQTTQoS2RejectPublishDuplicates: PUBLISHes re-sent with the same packet id before PUBREL are delivered once", async () => {
    const c = await open(t.port, "sub-dups", true);
    await sub(c, [["foo", 2]], [2]);
    const cp = await open(t.port, "pub-dups", true);
    const pubPI = 444;
    for (const [payload, dup] of [["data1", false], ["data2", true], ["data3", false]] as const) {
      cp.send({ cmd: "publish", topic: "foo", payload: Buffer.from(payload), qos: 2, messageId: pubPI, retain: false, dup });
    }
    for (let i = 0; i < 3; i++) expect(await cp.next()).toMatchObject({ cmd: "pubrec", messageId: pubPI });
    for (let i = 0; i < 3; i++) cp.send({ cmd: "pubrel", messageId: pubPI });
    for (let i = 0; i < 3; i++) expect(await cp.next()).toMatchObject({ cmd: "pubcomp", messageId: pubPI });
    // After PUBCOMP the packet id starts a new publication.
    await publish(cp, 2, "foo", pubPI, "data5");
    cp.send({ cmd: "disconnect" });
    const pi1 = await expectPub(c, "foo", 2, "data1");
    const pi2 = await expectPub(c, "foo", 2, "data5");
    for (const pi of [pi1, pi2]) await completeQos2(c, pi);
    await c.expectNothing(100);
    c.end();
  });

  test("TestMQTTConnAckFirstPacket: while NATS messages flood a persistent session's subscription, CONNACK is always the first packet", async () => {
    const c = await open(t.port, "connack-first", false);
    await sub(c, [["flood", 0]], [0]);
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    let flooding = true;
    const flood = (async () => {
      while (flooding) {
        for (let i = 0; i < 200; i++) nc.publish("flood", "msg");
        await new Promise((r) => setImmediate(r));
      }
    })();
    try {
      for (let i = 0; i < 100; i++) {
        const r = await RawMqtt.open(t.port);
        r.send(connectPacket("connack-first", false));
        expect(await r.next()).toMatchObject({ cmd: "connack", returnCode: 0, sessionPresent: true });
        r.send({ cmd: "disconnect" });
        await r.whenClosed;
      }
    } finally {
      flooding = false;
      await flood;
    }
  });

  test("TestMQTTStreamInfoReturnsNonEmptySubject: the MQTT streams report their subjects", async () => {
    const c = await open(t.port, "sub-info", false);
    for (const name of ["$MQTT_msgs", "$MQTT_rmsgs"]) {
      const res = await nc.request(`$JS.API.STREAM.INFO.${name}`);
      expect(JSON.parse(res.string()).config.subjects.length).toBeGreaterThan(0);
    }
    c.end();
  });
});

describe("Go mqtt_test.go: ack_wait redelivery and max_ack_pending", () => {
  test("TestMQTTQoS2RetriesPublish: an unacknowledged QoS 2 PUBLISH is re-sent with DUP and the same packet id", async () => {
    const t = await startMqtt({ mqtt: { ackWait: 100 } });
    try {
      const c = await open(t.port, "sub", true);
      await sub(c, [["foo", 2]], [2]);
      const cp = await open(t.port, "pub", true);
      await publish(cp, 2, "foo", 444, "data1");
      cp.send({ cmd: "disconnect" });
      const subPI = await expectPub(c, "foo", 2, "data1");
      for (let i = 0; i < 2; i++) expect(await expectPub(c, "foo", 2, "data1", true)).toBe(subPI);
      await completeQos2(c, subPI);
      await c.expectNothing(300);
      c.end();
    } finally {
      await t.stop();
    }
  });

  test("TestMQTTQoS2RetriesPubRel: an unanswered PUBREL is re-sent", async () => {
    const t = await startMqtt({ mqtt: { ackWait: 50 } });
    try {
      const c = await open(t.port, "sub", true);
      await sub(c, [["foo", 2]], [2]);
      const cp = await open(t.port, "pub", true);
      await publish(cp, 2, "foo", 444, "data1");
      cp.send({ cmd: "disconnect" });
      const subPI = await expectPub(c, "foo", 2, "data1");
      c.send({ cmd: "pubrec", messageId: subPI });
      for (let i = 0; i < 3; i++) expect(await c.next()).toMatchObject({ cmd: "pubrel", messageId: subPI });
      c.send({ cmd: "pubcomp", messageId: subPI });
      await c.expectNothing(200);
      c.end();
    } finally {
      await t.stop();
    }
  });

  test("TestMQTTUnsubscribeWithPendingAcks: UNSUBSCRIBE drops the consumer and its unacknowledged deliveries", async () => {
    const t = await startMqtt({ mqtt: { ackWait: 250 } });
    try {
      const c = await open(t.port, "sub", false);
      await sub(c, [["foo", 1]], [1]);
      const cp = await open(t.port, "pub", true);
      await publish(cp, 1, "foo", 1, "msg");
      cp.send({ cmd: "disconnect" });
      for (let i = 0; i < 2; i++) await expectPub(c, "foo", 1, "msg", i > 0);
      c.send({ cmd: "unsubscribe", messageId: 1, unsubscriptions: ["foo"] });
      expect(await c.next()).toMatchObject({ cmd: "unsuback", messageId: 1 });
      await flush(c);
      const nc = await connect({ servers: t.server.clientURL });
      const jsm = await jetstreamManager(nc);
      await eventually(async () => (await jsm.consumers.list("$MQTT_msgs").next()).length === 0);
      await c.expectNothing(400);
      await nc.close();
      c.end();
    } finally {
      await t.stop();
    }
  });

  test("TestMQTTMaxAckPendingOverLimit: the consumers of a session may not exceed 65535 max_ack_pending in total", async () => {
    const t = await startMqtt({ mqtt: { maxAckPending: 20000 } });
    const nc = await connect({ servers: t.server.clientURL });
    const jsm = await jetstreamManager(nc);
    const checkTMax = (expected: number) =>
      eventually(async () => {
        let total = 0;
        for await (const ci of jsm.consumers.list("$MQTT_msgs")) total += ci.config.max_ack_pending ?? 0;
        return total === expected;
      });
    try {
      const c = await open(t.port, "sub", false);
      const unsub = async (filter: string) => {
        c.send({ cmd: "unsubscribe", messageId: 1, unsubscriptions: [filter] });
        expect((await c.next()).cmd).toBe("unsuback");
      };
      await sub(c, [["foo", 1]], [1]);
      await checkTMax(20000);
      await sub(c, [["bar/#", 1]], [1]); // two consumers: bar.> and bar
      await checkTMax(60000);
      await sub(c, [["bar", 1]], [0x80]);
      await checkTMax(60000);
      await unsub("bar/#");
      await checkTMax(20000);
      await sub(c, [["bar", 1]], [1]);
      await checkTMax(40000);
      await sub(c, [["baz", 1]], [1]);
      await checkTMax(60000);
      await sub(c, [["bat", 1]], [0x80]);
      await checkTMax(60000);
      await unsub("foo");
      await checkTMax(40000);
      await unsub("bar");
      await checkTMax(20000);
      await unsub("baz");
      await checkTMax(0);
      c.end();
    } finally {
      await nc.close();
      await t.stop();
    }
  });

  test("consumer_inactive_threshold removes an absent session's consumers; they are made again when it returns", async () => {
    const t = await startMqtt({ mqtt: { consumerInactiveThreshold: 200 } });
    const nc = await connect({ servers: t.server.clientURL });
    const jsm = await jetstreamManager(nc);
    const count = async () => {
      let n = 0;
      for await (const _ of jsm.consumers.list("$MQTT_msgs")) n++;
      return n;
    };
    try {
      const c = await open(t.port, "idle", false);
      await sub(c, [["idle/t", 1]], [1]);
      expect(await count()).toBe(1);
      c.send({ cmd: "disconnect" });
      await c.whenClosed;
      await eventually(async () => (await count()) === 0, 3000);
      const back = await open(t.port, "idle", false, true);
      await flush(back);
      expect(await count()).toBe(1);
      const pub = await open(t.port, "idle-pub", true);
      await publish(pub, 1, "idle/t", 1, "after");
      const pi = await expectPub(back, "idle/t", 1, "after");
      back.send({ cmd: "puback", messageId: pi });
      back.end();
      pub.end();
    } finally {
      await nc.close();
      await t.stop();
    }
  });

  test("subject mappings: MQTT, NATS, retained and will publications reach MQTT subscribers of the mapped subject, and a persistent session's queue", async () => {
    const t = await startMqtt({ server: { mappings: { foo0: "bar0", foo1: "bar1" } } });
    const nc = await connect({ servers: t.server.clientURL });
    try {
      for (const qos of [0, 1] as const) {
        const bar = `bar${qos}`;
        const foo = `foo${qos}`;
        const mc = await open(t.port, "sub", true);
        await sub(mc, [[bar, qos]], [qos]);
        await flush(mc);
        const mcp = await open(t.port, "pub", true);
        nc.publish(foo, "msg0");
        await expectPub(mc, bar, 0, "msg0");
        await publish(mcp, 0, foo, 0, "msg1");
        await expectPub(mc, bar, 0, "msg1");
        await publish(mcp, 0, foo, 0, "msg1_retained", true);
        await expectPub(mc, bar, 0, "msg1_retained");
        await publish(mcp, 1, foo, 1, "msg2");
        const pi = await expectPub(mc, bar, qos, "msg2");
        if (qos === 1) mc.send({ cmd: "puback", messageId: pi });
        mcp.send({ cmd: "disconnect" });
        const willer = await RawMqtt.open(t.port);
        willer.send({ ...connectPacket("pub", true), will: { topic: foo, payload: Buffer.from("willmsg"), qos: 1, retain: false } });
        expect((await willer.next()).cmd).toBe("connack");
        willer.end();
        const wpi = await expectPub(mc, bar, qos, "willmsg");
        if (qos === 1) mc.send({ cmd: "puback", messageId: wpi });
        mc.send({ cmd: "disconnect" });
        await mc.whenClosed;
      }
      // A persistent session's consumer looks at the mapped subject in $MQTT_msgs.
      const away = await open(t.port, "away", false);
      await sub(away, [["bar1", 1]], [1]);
      away.send({ cmd: "disconnect" });
      await away.whenClosed;
      const mcp = await open(t.port, "pub", true);
      await publish(mcp, 1, "foo1", 1, "queued");
      const back = await open(t.port, "away", false, true);
      const pi = await expectPub(back, "bar1", 1, "queued");
      back.send({ cmd: "puback", messageId: pi });
      back.end();
      mcp.end();
    } finally {
      await nc.close();
      await t.stop();
    }
  });

  test("TestMQTTTrackPendingOverrun: packet ids wrap from 65535 to 1, and 0 means none is free", () => {
    expect(nextPacketId(0xffff, () => false)).toBe(1);
    expect(nextPacketId(1, () => true)).toBe(0);
    expect(nextPacketId(1, (pi) => pi !== 1234)).toBe(1234);
  });

  test("TestMQTTQoS2PubRelResumedSessionDelivery: a QoS 2 message held over a reconnect is delivered at PUBREL, once, and stays retained", async () => {
    const t = await startMqtt();
    try {
      const mcs = await open(t.port, "sub", true);
      await sub(mcs, [["foo", 1]], [1]);
      await flush(mcs);
      const pubPI = 7;
      const mcp = await open(t.port, "pub", false);
      mcp.send({ cmd: "publish", topic: "foo", payload: Buffer.from("m"), qos: 2, messageId: pubPI, retain: true, dup: false });
      expect(await mcp.next()).toMatchObject({ cmd: "pubrec", messageId: pubPI });
      mcp.send({ cmd: "disconnect" });
      await mcs.expectNothing(100);
      const mcp2 = await open(t.port, "pub", false, true);
      mcp2.send({ cmd: "pubrel", messageId: pubPI });
      expect(await mcp2.next()).toMatchObject({ cmd: "pubcomp", messageId: pubPI });
      await expectPub(mcs, "foo", 1, "m");
      await mcs.expectNothing(100);
      mcp2.send({ cmd: "pubrel", messageId: pubPI });
      expect(await mcp2.next()).toMatchObject({ cmd: "pubcomp", messageId: pubPI });
      await mcs.expectNothing(100);
      const nc = await connect({ servers: t.server.clientURL });
      const jsm = await jetstreamManager(nc);
      await eventually(async () => (await jsm.streams.info("$MQTT_rmsgs")).state.messages === 1);
      await nc.close();
      const mcs2 = await open(t.port, "sub2", true);
      await sub(mcs2, [["foo", 1]], [1]);
      await expectPub(mcs2, "foo", 1, "m", false, true);
      for (const c of [mcs, mcp2, mcs2]) c.end();
    } finally {
      await t.stop();
    }
  });
});
