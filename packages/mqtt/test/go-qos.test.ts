import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { eventually, RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";
import { completeQos2, connectPacket, expectPub, flush, open, publish, sub, type Pub } from "./raw-steps.js";

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
