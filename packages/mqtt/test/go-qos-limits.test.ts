import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, test } from "vitest";
import { nextPacketId } from "../src/outbound.js";
import { eventually, RawMqtt, startMqtt } from "./helpers.js";
import { completeQos2, connectPacket, expectPub, flush, open, publish, sub } from "./raw-steps.js";

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
