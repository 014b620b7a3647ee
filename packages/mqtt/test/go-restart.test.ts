import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { eventually, RawMqtt, RestartableServer, type MqttTestServer } from "./helpers.js";
import type { MqttOptions } from "../src/index.js";

let server: RestartableServer;
beforeEach(() => {
  server = new RestartableServer();
});
afterEach(() => server.dispose());

const restart = (options: MqttOptions = {}): Promise<MqttTestServer> => server.restart(options);
const persistent = (clientId: string) => ({ cmd: "connect" as const, protocolId: "MQTT" as const, protocolVersion: 4 as const, clean: false, clientId, keepalive: 0 });

describe("Go mqtt_test.go: sessions and retained messages across server restarts", () => {
  test("TestMQTTRecoverSessionAndAddNewSub: a session restored after a restart takes new subscriptions", async () => {
    let s = await restart();
    const c = await RawMqtt.open(s.port);
    c.send(persistent("sub1"));
    expect(await c.next()).toMatchObject({ cmd: "connack", sessionPresent: false });
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    s = await restart();
    const c1 = await RawMqtt.open(s.port);
    c1.send(persistent("sub1"));
    expect(await c1.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    c1.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }] });
    expect(await c1.next()).toMatchObject({ cmd: "suback", granted: [1] });
    c1.send({ cmd: "pingreq" });
    expect((await c1.next()).cmd).toBe("pingresp");
    // The same without a restart in between.
    const c2 = await RawMqtt.open(s.port);
    c2.send(persistent("sub2"));
    expect(await c2.next()).toMatchObject({ cmd: "connack", sessionPresent: false });
    c2.send({ cmd: "disconnect" });
    await c2.whenClosed;
    const c3 = await RawMqtt.open(s.port);
    c3.send(persistent("sub2"));
    expect(await c3.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    c3.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "bar", qos: 1 }] });
    expect(await c3.next()).toMatchObject({ cmd: "suback", granted: [1] });
    c1.end();
    c3.end();
  });

  test("TestMQTTRecoverSessionWithSubAndClientResendSub: a SUBSCRIBE repeated after the session came back adds no second subscription", async () => {
    let s = await restart();
    const nc = await connect({ servers: s.server.clientURL });
    const subscribeFoo = async (c: RawMqtt) => {
      c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }] });
      expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
      c.send({ cmd: "pingreq" });
      expect((await c.next()).cmd).toBe("pingresp");
    };
    // One NATS subscription on foo and one on the consumer's deliver subject, as Go counts them.
    const checkNumSub = async (server: MqttTestServer) => {
      const sublist = server.server.globalAccount.sublist;
      expect(sublist.match("foo").psubs.length).toBe(1);
      const conn = await connect({ servers: server.server.clientURL });
      const jsm = await jetstreamManager(conn);
      const delivers: string[] = [];
      for await (const ci of jsm.consumers.list("$MQTT_msgs")) delivers.push(ci.config.deliver_subject!);
      expect(delivers.length).toBe(1);
      expect(sublist.match(delivers[0]!).psubs.length).toBe(1);
      await conn.close();
    };
    await nc.close();
    let c = await RawMqtt.open(s.port);
    c.send(persistent("sub1"));
    expect((await c.next()).cmd).toBe("connack");
    await subscribeFoo(c);
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    s = await restart();
    c = await RawMqtt.open(s.port);
    c.send(persistent("sub1"));
    expect(await c.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    await subscribeFoo(c);
    await checkNumSub(s);
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    // The same without a restart in between (sub1's consumer goes with a clean session first).
    const clean = await RawMqtt.connected(s.port, { clientId: "sub1", clean: true });
    clean.send({ cmd: "disconnect" });
    await clean.whenClosed;
    c = await RawMqtt.open(s.port);
    c.send(persistent("sub2"));
    expect(await c.next()).toMatchObject({ cmd: "connack", sessionPresent: false });
    await subscribeFoo(c);
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    c = await RawMqtt.open(s.port);
    c.send(persistent("sub2"));
    expect(await c.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    await subscribeFoo(c);
    await eventually(async () => (await consumerCount(s)) === 1);
    await checkNumSub(s);
    c.end();
  });

  test("TestMQTTMaxAckPending: max_ack_pending holds deliveries, for an absent session too, and a changed value after a restart keeps the consumer", async () => {
    let s = await restart({ maxAckPending: 1 });
    const sub = async (present: boolean) => {
      const c = await RawMqtt.open(s.port);
      c.send(persistent("sub"));
      expect(await c.next()).toMatchObject({ cmd: "connack", sessionPresent: present });
      return c;
    };
    const pubQos1 = async (pub: RawMqtt, payload: string) => {
      pub.send({ cmd: "publish", topic: "foo", payload: Buffer.from(payload), qos: 1, messageId: 1, retain: false, dup: false });
      expect(await pub.next()).toMatchObject({ cmd: "puback", messageId: 1 });
    };
    const expectMsg = async (c: RawMqtt, payload: string) => {
      const m = (await c.next()) as { cmd: string; qos: number; messageId: number; payload: Buffer };
      expect([m.cmd, m.qos, m.payload.toString()]).toEqual(["publish", 1, payload]);
      return m.messageId;
    };
    let c = await sub(false);
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
    let cp = await RawMqtt.connected(s.port, { clientId: "pub" });
    await pubQos1(cp, "msg1");
    await pubQos1(cp, "msg2");
    let pi = await expectMsg(c, "msg1");
    await c.expectNothing(100);
    c.send({ cmd: "puback", messageId: pi });
    c.send({ cmd: "puback", messageId: await expectMsg(c, "msg2") });
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    // The consumer lets go of its deliver subject.
    const nc = await connect({ servers: s.server.clientURL });
    const jsm = await jetstreamManager(nc);
    await eventually(async () => {
      for await (const ci of jsm.consumers.list("$MQTT_msgs")) if (ci.push_bound) return false;
      return true;
    });
    await nc.close();
    await pubQos1(cp, "msg3");
    await pubQos1(cp, "msg4");
    c = await sub(true);
    pi = await expectMsg(c, "msg3");
    await c.expectNothing(100);
    c.send({ cmd: "puback", messageId: pi });
    c.send({ cmd: "puback", messageId: await expectMsg(c, "msg4") });
    c.send({ cmd: "pingreq" });
    expect((await c.next()).cmd).toBe("pingresp");
    cp.end();
    c.end();

    s = await restart({ maxAckPending: 2 });
    cp = await RawMqtt.connected(s.port, { clientId: "pub" });
    await pubQos1(cp, "msg5");
    await pubQos1(cp, "msg6");
    c = await sub(true);
    pi = await expectMsg(c, "msg5");
    await c.expectNothing(100);
    c.send({ cmd: "puback", messageId: pi });
    await expectMsg(c, "msg6");
    cp.end();
    c.end();
  });

  test("TestMQTTPersistedSession: subscriptions and consumers come back after restarts; UNSUBSCRIBE, a QoS 0 downgrade and a clean session stick", async () => {
    const nc0 = { nc: undefined as NatsConnection | undefined };
    const connectSub = async (present: boolean, clean = false) => {
      const c = await RawMqtt.open(server.current!.port);
      c.send({ ...persistent("sub"), clean });
      expect(await c.next()).toMatchObject({ cmd: "connack", sessionPresent: present });
      return c;
    };
    const flush = async (c: RawMqtt) => {
      c.send({ cmd: "pingreq" });
      expect((await c.next()).cmd).toBe("pingresp");
    };
    const expectMsg = async (c: RawMqtt, topic: string, qos: number, payload: string) => {
      const m = (await c.next()) as { cmd: string; topic: string; qos: number; messageId?: number; payload: Buffer };
      expect([m.cmd, m.topic, m.qos, m.payload.toString()]).toEqual(["publish", topic, qos, payload]);
      if (qos === 1) c.send({ cmd: "puback", messageId: m.messageId! });
    };
    const natsPub = async (subject: string, payload: string) => {
      nc0.nc ??= await connect({ servers: server.current!.server.clientURL });
      nc0.nc.publish(subject, payload);
      await nc0.nc.flush();
    };
    const restartNats = async () => {
      await nc0.nc?.close();
      nc0.nc = undefined;
      await restart();
    };
    const mqttPub = async (payload: string) => {
      const p = await RawMqtt.connected(server.current!.port, { clientId: "pub" });
      p.send({ cmd: "publish", topic: "foo/bar", payload: Buffer.from(payload), qos: 1, messageId: 1, retain: false, dup: false });
      expect(await p.next()).toMatchObject({ cmd: "puback" });
      p.send({ cmd: "disconnect" });
    };

    await restart();
    let c = await connectSub(false);
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo/#", qos: 1 }, { topic: "bar", qos: 1 }, { topic: "baz", qos: 0 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1, 1, 0] });
    await flush(c);
    c.end();
    await restartNats();
    await mqttPub("msg0");
    c = await connectSub(true);
    await expectMsg(c, "foo/bar", 1, "msg0");
    await flush(c);
    await natsPub("foo.bar", "msg1");
    await expectMsg(c, "foo/bar", 0, "msg1");
    await natsPub("foo", "msg2");
    await expectMsg(c, "foo", 0, "msg2");
    await natsPub("bar", "msg3");
    await expectMsg(c, "bar", 0, "msg3");
    await natsPub("baz", "msg4");
    await expectMsg(c, "baz", 0, "msg4");
    c.send({ cmd: "unsubscribe", messageId: 1, unsubscriptions: ["bar"] });
    expect((await c.next()).cmd).toBe("unsuback");
    await natsPub("bar", "msg5");
    await c.expectNothing(100);
    c.end();

    await restartNats();
    c = await connectSub(true);
    await flush(c);
    await natsPub("foo.bar", "msg6");
    await expectMsg(c, "foo/bar", 0, "msg6");
    await natsPub("foo", "msg7");
    await expectMsg(c, "foo", 0, "msg7");
    await natsPub("bar", "msg8");
    await c.expectNothing(100);
    await natsPub("baz", "msg9");
    await expectMsg(c, "baz", 0, "msg9");
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo/#", qos: 0 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [0] });
    await flush(c);
    c.end();

    await restartNats();
    c = await connectSub(true);
    await flush(c);
    await mqttPub("msg10");
    await expectMsg(c, "foo/bar", 0, "msg10");
    c.send({ cmd: "disconnect" });
    await c.whenClosed;

    for (let i = 0; i < 2; i++) {
      c = await connectSub(false, true);
      for (const [subject, payload] of [["foo.bar", "msg11"], ["foo", "msg12"], ["bar", "msg13"], ["baz", "msg14"]] as const) {
        await natsPub(subject, payload);
        await c.expectNothing(50);
      }
      c.send({ cmd: "disconnect" });
      await c.whenClosed;
      await restartNats();
    }
  });

  test("TestMQTTPersistRetainedMsg: retained messages (replaced, QoS 0 and 1, removed) survive a restart and match every filter form", async () => {
    let s = await restart();
    const c = await RawMqtt.connected(s.port, { clientId: "pub" });
    const pub = async (topic: string, qos: 0 | 1, payload: string) => {
      c.send({ cmd: "publish", topic, payload: Buffer.from(payload), qos, messageId: qos === 1 ? 1 : undefined, retain: true, dup: false });
      if (qos === 1) expect((await c.next()).cmd).toBe("puback");
    };
    await pub("moo/foo", 1, "foo1");
    await pub("moo/foo", 1, "foo2");
    await pub("moo/bar", 1, "bar1");
    await pub("moo/baz", 0, "baz1");
    await pub("moo/bar", 1, ""); // removes bar
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    s = await restart();
    const r = await RawMqtt.open(s.port);
    r.send(persistent("sub"));
    expect(await r.next()).toMatchObject({ cmd: "connack", sessionPresent: false });
    type P = { cmd: string; topic: string; qos: number; retain: boolean; dup: boolean; messageId?: number; payload: Buffer };
    const read = async () => (await r.next()) as P;
    // many subs, one topic
    r.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "moo/foo", qos: 1 }] });
    expect(await r.next()).toMatchObject({ cmd: "suback", granted: [1] });
    let m = await read();
    expect([m.topic, m.qos, m.retain, m.payload.toString()]).toEqual(["moo/foo", 1, true, "foo2"]);
    r.send({ cmd: "puback", messageId: m.messageId! });
    r.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "moo/baz", qos: 1 }] });
    expect(await r.next()).toMatchObject({ cmd: "suback", granted: [1] });
    m = await read();
    expect([m.topic, m.qos, m.retain, m.payload.toString()]).toEqual(["moo/baz", 0, true, "baz1"]);
    r.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "moo/bar", qos: 1 }] });
    expect(await r.next()).toMatchObject({ cmd: "suback", granted: [1] });
    await r.expectNothing(100);
    for (const filters of [["moo/foo", "moo/baz", "moo/bar"], ["moo/+"], ["moo/#"]]) {
      r.send({ cmd: "subscribe", messageId: 1, subscriptions: filters.map((topic) => ({ topic, qos: 1 as const })) });
      expect((await r.next()).cmd).toBe("suback");
      const got: string[] = [];
      for (let i = 0; i < 2; i++) {
        m = await read();
        expect([m.retain, m.dup]).toEqual([true, false]);
        got.push(`${m.topic}:${m.qos}:${m.payload.toString()}`);
        if (m.qos === 1) r.send({ cmd: "puback", messageId: m.messageId! });
      }
      expect(got.sort()).toEqual(["moo/baz:0:baz1", "moo/foo:1:foo2"]);
      await r.expectNothing(100);
    }
    r.send({ cmd: "disconnect" });
  });

  test("TestMQTTRestoreRetainedMsgs: a restart with removed retained messages does not slow down the next CONNECT", async () => {
    let s = await restart();
    const c = await RawMqtt.connected(s.port, { clientId: "retain" });
    for (const [topic, payload] of [["foo", "msg1"], ["bar", "msg2"], ["baz", "msg3"], ["bar", ""], ["baz", ""]]) {
      c.send({ cmd: "publish", topic: topic!, payload: Buffer.from(payload!), qos: 1, messageId: 1, retain: true, dup: false });
      expect((await c.next()).cmd).toBe("puback");
    }
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    s = await restart();
    const start = Date.now();
    const again = await RawMqtt.connected(s.port, { clientId: "retain" });
    expect(Date.now() - start).toBeLessThan(2000);
    again.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "+", qos: 1 }] });
    expect((await again.next()).cmd).toBe("suback");
    const m = (await again.next()) as { topic: string; payload: Buffer };
    expect([m.topic, m.payload.toString()]).toEqual(["foo", "msg1"]);
    await again.expectNothing(100);
    again.end();
  });
});

async function consumerCount(s: MqttTestServer): Promise<number> {
  const nc = await connect({ servers: s.server.clientURL });
  const jsm = await jetstreamManager(nc);
  let n = 0;
  for await (const _ of jsm.consumers.list("$MQTT_msgs")) n++;
  await nc.close();
  return n;
}
