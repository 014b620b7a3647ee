import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import mqtt from "mqtt";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { CrashingRelay, mqttConnect, mqttConnectWithInbox, RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";
import type { MqttOptions } from "../src/index.js";

let storeDir: string;
let t: MqttTestServer | undefined;
beforeEach(() => {
  storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-restart-"));
});
afterEach(async () => {
  await t?.stop();
  t = undefined;
  rmSync(storeDir, { recursive: true, force: true });
});

async function restart(mqttOptions: MqttOptions = {}): Promise<MqttTestServer> {
  await t?.stop();
  t = await startMqtt({ storeDir, mqtt: mqttOptions });
  return t;
}

const persistent = (clientId: string) => ({ cmd: "connect" as const, protocolId: "MQTT" as const, protocolVersion: 4 as const, clean: false, clientId, keepalive: 0 });

describe("persistent sessions across a server restart", () => {
  test("QoS 1 and 2 messages for an absent client are queued in JetStream and delivered after a restart (MQTT.js)", async () => {
    let s = await restart();
    const first = await mqttConnect(s.url, { clientId: "offline", clean: false });
    await first.subscribeAsync({ "off/one": { qos: 1 }, "off/two": { qos: 2 } });
    await first.endAsync();
    const pub = await mqttConnect(s.url, { clientId: "offline-pub" });
    await pub.publishAsync("off/one", "before restart 1", { qos: 1 });
    await pub.publishAsync("off/two", "before restart 2", { qos: 2 });
    await pub.publishAsync("off/one", "qos 0 is not queued", { qos: 0 });
    await pub.endAsync();

    s = await restart();
    const pub2 = await mqttConnect(s.url, { clientId: "offline-pub" });
    await pub2.publishAsync("off/one", "after restart 1", { qos: 1 });
    await pub2.endAsync();
    const { client: back, inbox, connack } = await mqttConnectWithInbox(s.url, { clientId: "offline", clean: false });
    expect(connack.sessionPresent).toBe(true);
    const got = [await inbox.next(), await inbox.next(), await inbox.next()].map((m) => `${m.topic}|${m.payload}|${m.qos}`).sort();
    expect(got).toEqual(["off/one|after restart 1|1", "off/one|before restart 1|1", "off/two|before restart 2|2"]);
    await inbox.expectNothing(200);
    await back.endAsync();
  });

  test("an unacknowledged QoS 1 message is sent again with DUP after a restart, and not after its PUBACK", async () => {
    let s = await restart({ ackWait: 300 });
    const sub = await RawMqtt.open(s.port);
    sub.send(persistent("unacked"));
    expect(await sub.next()).toMatchObject({ cmd: "connack", sessionPresent: false });
    sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "unacked/t", qos: 1 }] });
    expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [1] });
    const pub = await RawMqtt.connected(s.port, { clientId: "unacked-pub" });
    pub.send({ cmd: "publish", topic: "unacked/t", payload: Buffer.from("keep me"), qos: 1, messageId: 5, retain: false, dup: false });
    expect(await pub.next()).toMatchObject({ cmd: "puback", messageId: 5 });
    expect(await sub.next()).toMatchObject({ cmd: "publish", topic: "unacked/t", qos: 1, dup: false });
    pub.end();
    sub.end(); // no PUBACK

    s = await restart({ ackWait: 300 });
    const back = await RawMqtt.open(s.port);
    back.send(persistent("unacked"));
    expect(await back.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    const again = (await back.next(3000)) as { cmd: string; dup: boolean; qos: number; messageId: number; payload: Buffer };
    expect([again.cmd, again.qos, again.dup, again.payload.toString()]).toEqual(["publish", 1, true, "keep me"]);
    back.send({ cmd: "puback", messageId: again.messageId });
    await back.expectNothing(700);
    back.end();
  });

  test("QoS 2 exactly once across a publisher crash after PUBREC and a server restart (MQTT.js resends from its store)", async () => {
    let s = await restart();
    const sub = await mqttConnect(s.url, { clientId: "eo-sub", clean: false });
    await sub.subscribeAsync("eo/t", { qos: 2 });
    await sub.endAsync();
    const relay = await CrashingRelay.open(s.port);
    try {
      const outgoingStore = new mqtt.Store({ clean: false });
      // The server stores the message and answers PUBREC; the publisher "crashes" before seeing it.
      relay.dropWhen = (d) => d[0] === 0x50;
      const crashing = await mqttConnect(`mqtt://127.0.0.1:${relay.port}`, { clientId: "eo-pub", clean: false, outgoingStore });
      const closed = new Promise<void>((resolve) => crashing.once("close", () => resolve()));
      crashing.publish("eo/t", "exactly once", { qos: 2 });
      await closed;

      s = await restart();
      relay.target = s.port;
      const nc = await connect({ servers: s.server.clientURL });
      let natsCopies = 0;
      nc.subscribe("eo.t", { callback: () => void natsCopies++ });
      await nc.flush();
      // The publisher comes back with the same store: MQTT.js sends the PUBLISH again (DUP), then PUBREL.
      const resumed = await mqttConnect(`mqtt://127.0.0.1:${relay.port}`, { clientId: "eo-pub", clean: false, outgoingStore });
      for (let i = 0; i < 100 && natsCopies === 0; i++) await new Promise((r) => setTimeout(r, 20));
      const { client: back, inbox } = await mqttConnectWithInbox(s.url, { clientId: "eo-sub", clean: false });
      const m = await inbox.next();
      expect([m.topic, m.payload, m.qos]).toEqual(["eo/t", "exactly once", 2]);
      await inbox.expectNothing(300);
      await nc.flush();
      expect(natsCopies).toBe(1);
      // Released: nothing is left waiting in $MQTT_qos2in.
      const jsm = await jetstreamManager(nc);
      expect((await jsm.streams.info("$MQTT_qos2in")).state.messages).toBe(0);
      await nc.close();
      await back.endAsync();
      await resumed.endAsync();
      crashing.end(true);
    } finally {
      await relay.close();
    }
  });

  test("a QoS 2 delivery interrupted after PUBREC continues with PUBREL after a restart", async () => {
    let s = await restart({ ackWait: 300 });
    const sub = await RawMqtt.open(s.port);
    sub.send(persistent("pubrel-restart"));
    expect((await sub.next()).cmd).toBe("connack");
    sub.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "pr/t", qos: 2 }] });
    expect(await sub.next()).toMatchObject({ cmd: "suback", granted: [2] });
    const pub = await mqttConnect(s.url, { clientId: "pubrel-pub" });
    await pub.publishAsync("pr/t", "two step", { qos: 2 });
    await pub.endAsync();
    const msg = (await sub.next()) as { cmd: string; qos: number; messageId: number };
    expect(msg).toMatchObject({ cmd: "publish", qos: 2 });
    sub.send({ cmd: "pubrec", messageId: msg.messageId });
    const rel = (await sub.next()) as { cmd: string; messageId: number };
    expect(rel).toMatchObject({ cmd: "pubrel", messageId: msg.messageId });
    sub.end(); // crash before PUBCOMP

    s = await restart({ ackWait: 300 });
    const back = await RawMqtt.open(s.port);
    back.send(persistent("pubrel-restart"));
    expect(await back.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    // Only the PUBREL step remains: the message itself is not delivered again.
    const again = (await back.next(3000)) as { cmd: string; messageId: number };
    expect(again.cmd).toBe("pubrel");
    back.send({ cmd: "pubcomp", messageId: again.messageId });
    await back.expectNothing(700);
    back.end();
  });

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
      const c = await RawMqtt.open(t!.port);
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
      nc0.nc ??= await connect({ servers: t!.server.clientURL });
      nc0.nc.publish(subject, payload);
      await nc0.nc.flush();
    };
    const restartNats = async () => {
      await nc0.nc?.close();
      nc0.nc = undefined;
      await restart();
    };
    const mqttPub = async (payload: string) => {
      const p = await RawMqtt.connected(t!.port, { clientId: "pub" });
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

async function eventually(check: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
