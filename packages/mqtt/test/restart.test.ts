import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import mqtt from "mqtt";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { CrashingRelay, mqttConnect, mqttConnectWithInbox, RawMqtt, RestartableServer, type MqttTestServer } from "./helpers.js";
import type { MqttOptions } from "../src/index.js";

let server: RestartableServer;
beforeEach(() => {
  server = new RestartableServer();
});
afterEach(() => server.dispose());

const restart = (options: MqttOptions = {}): Promise<MqttTestServer> => server.restart(options);

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

  test("a stored consumer config the server will not apply (another deliver policy) does not lose the subscription after a restart", async () => {
    let s = await restart();
    const c = await RawMqtt.open(s.port);
    c.send(persistent("drift"));
    expect((await c.next()).cmd).toBe("connack");
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "drift/t", qos: 1 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
    c.send({ cmd: "disconnect" });
    await c.whenClosed;
    // Rewrite the session record with a consumer config the server does not have.
    const nc = await connect({ servers: s.server.clientURL });
    const jsm = await jetstreamManager(nc);
    const stored = await jsm.streams.getMessage("$MQTT_sess", { last_by_subj: "$MQTT.sess.>" });
    const rec = stored!.json<{ cons: Record<string, { deliver_policy: string }> }>();
    for (const cc of Object.values(rec.cons)) cc.deliver_policy = "all";
    await nc.request(stored!.subject, JSON.stringify(rec));
    await nc.close();
    s = await restart();
    const back = await RawMqtt.open(s.port);
    back.send(persistent("drift"));
    expect(await back.next()).toMatchObject({ cmd: "connack", sessionPresent: true });
    const pub = await RawMqtt.connected(s.port, { clientId: "drift-pub" });
    pub.send({ cmd: "publish", topic: "drift/t", payload: Buffer.from("still here"), qos: 1, messageId: 1, retain: false, dup: false });
    expect((await pub.next()).cmd).toBe("puback");
    const m = (await back.next()) as { cmd: string; payload: Buffer };
    expect([m.cmd, m.payload.toString()]).toEqual(["publish", "still here"]);
    pub.end();
    back.end();
  });
});
