import { describe, expect, test } from "vitest";
import { RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";
import type { MqttOptions } from "../src/index.js";
import type { ServerOptionsInput } from "@nats-ts/core";

async function withServer(opts: { mqtt?: MqttOptions; server?: ServerOptionsInput }, body: (t: MqttTestServer) => Promise<void>): Promise<void> {
  const t = await startMqtt(opts);
  try {
    await body(t);
  } finally {
    await t.stop();
  }
}

describe("QoS options and limits", () => {
  test("TestMQTTQoS2PubReject: with reject_qos2_publish a QoS 2 PUBLISH closes the connection", async () => {
    await withServer({ mqtt: { rejectQos2Publish: true } }, async (t) => {
      const c = await RawMqtt.connected(t.port, { clientId: "" });
      c.send({ cmd: "publish", topic: "foo", payload: Buffer.from("msg"), qos: 1, messageId: 1, retain: false, dup: false });
      expect(await c.next()).toMatchObject({ cmd: "puback", messageId: 1 });
      c.send({ cmd: "publish", topic: "foo", payload: Buffer.from("msg"), qos: 2, messageId: 2, retain: false, dup: false });
      expect(await c.closesWithin(2000)).toBe(true);
    });
  });

  test("reject_qos2_publish: MQTT 5.0 clients learn maximum QoS 1 from CONNACK, and a QoS 2 PUBLISH gets DISCONNECT 0x9B", async () => {
    await withServer({ mqtt: { rejectQos2Publish: true } }, async (t) => {
      const c = await RawMqtt.open(t.port, 5);
      c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: true, clientId: "v5q2", keepalive: 0 });
      expect(await c.next()).toMatchObject({ cmd: "connack", reasonCode: 0, properties: { maximumQoS: 1 } });
      c.send({ cmd: "publish", topic: "foo", payload: Buffer.from("msg"), qos: 2, messageId: 2, retain: false, dup: false });
      expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x9b });
      expect(await c.closesWithin(2000)).toBe(true);
    });
  });

  test("TestMQTTQoS2WillReject: with reject_qos2_publish a QoS 2 will gets CONNACK 0x10", async () => {
    await withServer({ mqtt: { rejectQos2Publish: true } }, async (t) => {
      const s = await RawMqtt.connected(t.port, { clientId: "" });
      s.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "will/#", qos: 2 }] });
      expect(await s.next()).toMatchObject({ cmd: "suback", granted: [2] });
      const c = await RawMqtt.open(t.port);
      c.send({
        cmd: "connect",
        protocolId: "MQTT",
        protocolVersion: 4,
        clean: true,
        clientId: "",
        keepalive: 0,
        will: { topic: "will/topic", payload: Buffer.from("bye"), qos: 2, retain: false },
      });
      expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 0x10, sessionPresent: false });
      s.end();
    });
  });

  test("TestMQTTQoS2SubDowngrade: with downgrade_qos2_subscribe QoS 2 subscriptions are granted QoS 1", async () => {
    await withServer({ mqtt: { downgradeQos2Subscribe: true } }, async (t) => {
      const c = await RawMqtt.connected(t.port, { clientId: "" });
      c.send({
        cmd: "subscribe",
        messageId: 1,
        subscriptions: [
          { topic: "bar", qos: 1 },
          { topic: "baz", qos: 2 },
        ],
      });
      expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1, 1] });
      c.end();
    });
  });

  test("TestMQTTMaxPayloadEnforced: a PUBLISH larger than max_payload closes the connection", async () => {
    await withServer({ server: { maxPayload: 1024 } }, async (t) => {
      const c = await RawMqtt.connected(t.port, { clientId: "cid" });
      c.send({ cmd: "publish", topic: "foo", payload: Buffer.alloc(1500, 0x41), qos: 0, retain: false, dup: false });
      expect(await c.closesWithin(2000)).toBe(true);
    });
  });

  test("TestMQTTPacketIdentifierMonotonicAfterAck: a freed packet identifier is not reused right away", async () => {
    await withServer({}, async (t) => {
      const sub = await RawMqtt.connected(t.port, { clientId: "sub" });
      sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }] });
      expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [1] });
      const pub = await RawMqtt.connected(t.port, { clientId: "pub" });
      const publishAndReceive = async (text: string) => {
        pub.send({ cmd: "publish", topic: "foo", payload: Buffer.from(text), qos: 1, messageId: 1, retain: false, dup: false });
        expect((await pub.next()).cmd).toBe("puback");
        const m = (await sub.next()) as { messageId: number; payload: Buffer; qos: number };
        expect([m.payload.toString(), m.qos]).toEqual([text, 1]);
        return m.messageId;
      };
      const pi1 = await publishAndReceive("msg1");
      sub.send({ cmd: "puback", messageId: pi1 });
      sub.send({ cmd: "pingreq" });
      expect((await sub.next()).cmd).toBe("pingresp");
      const pi2 = await publishAndReceive("msg2");
      expect(pi2).not.toBe(pi1);
      sub.send({ cmd: "puback", messageId: pi2 });
      sub.end();
      pub.end();
    });
  });

  test("a filter subscribed again replaces the first (latest QoS wins, one delivery), foo/# also matches foo", async () => {
    await withServer({}, async (t) => {
      const sub = await RawMqtt.connected(t.port, { clientId: "sub" });
      sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }, { topic: "foo", qos: 0 }] });
      expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [1, 0] });
      sub.send({ cmd: "subscribe", messageId: 2, subscriptions: [{ topic: "bar", qos: 0 }] });
      expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [0] });
      sub.send({ cmd: "subscribe", messageId: 3, subscriptions: [{ topic: "bar", qos: 1 }] });
      expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [1] });
      const pub = await RawMqtt.connected(t.port, { clientId: "pub" });
      pub.send({ cmd: "publish", topic: "foo", payload: Buffer.from("msg"), qos: 1, messageId: 1, retain: false, dup: false });
      pub.send({ cmd: "publish", topic: "bar", payload: Buffer.from("msg"), qos: 1, messageId: 2, retain: false, dup: false });
      expect(await sub.next()).toMatchObject({ cmd: "publish", topic: "foo", qos: 0 });
      const bar = (await sub.next()) as { messageId: number };
      expect(bar).toMatchObject({ cmd: "publish", topic: "bar", qos: 1 });
      sub.send({ cmd: "puback", messageId: bar.messageId });
      await sub.expectNothing(100);
      sub.send({ cmd: "subscribe", messageId: 4, subscriptions: [{ topic: "foo/#", qos: 1 }] });
      expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [1] });
      pub.send({ cmd: "publish", topic: "foo", payload: Buffer.from("twice"), qos: 0, retain: false, dup: false });
      expect(await sub.next()).toMatchObject({ cmd: "publish", topic: "foo", qos: 0 });
      expect(await sub.next()).toMatchObject({ cmd: "publish", topic: "foo", qos: 0 });
      await sub.expectNothing(100);
      sub.end();
      pub.end();
    });
  });
});
