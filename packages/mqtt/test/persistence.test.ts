import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, test } from "vitest";
import { Inbox, mqttConnect, RawMqtt, startMqtt } from "./helpers.js";
import { decodeRetained, encodeRetained } from "../src/streams.js";
import { sessionHash } from "../src/session-store.js";

describe("JetStream persistence", () => {
  test("the first MQTT client of an account creates Go's MQTT streams", async () => {
    const t = await startMqtt();
    try {
      const c = await RawMqtt.connected(t.port, { clientId: "streams" });
      const nc = await connect({ servers: t.server.clientURL });
      const jsm = await jetstreamManager(nc);
      const names: string[] = [];
      for await (const si of jsm.streams.list()) names.push(si.config.name);
      expect(names.sort()).toEqual(["$MQTT_msgs", "$MQTT_out", "$MQTT_qos2in", "$MQTT_rmsgs", "$MQTT_sess"]);
      const rmsgs = await jsm.streams.info("$MQTT_rmsgs");
      expect(rmsgs.config).toMatchObject({ subjects: ["$MQTT.rmsgs.>"], max_msgs_per_subject: 1, storage: "file" });
      await nc.close();
      c.end();
    } finally {
      await t.stop();
    }
  });

  test("retained messages survive a server restart in $MQTT_rmsgs, cleared ones stay cleared", async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-restart-"));
    try {
      let t = await startMqtt({ storeDir });
      const pub = await RawMqtt.connected(t.port, { clientId: "" });
      pub.send({ cmd: "publish", topic: "foo/1", payload: Buffer.from("foo1"), qos: 1, messageId: 1, retain: true, dup: false });
      pub.send({ cmd: "publish", topic: "foo/2", payload: Buffer.from("foo2"), qos: 1, messageId: 2, retain: true, dup: false });
      pub.send({ cmd: "publish", topic: "foo/3", payload: Buffer.from("foo3"), qos: 0, retain: true, dup: false });
      pub.send({ cmd: "publish", topic: "foo/3", payload: Buffer.alloc(0), qos: 0, retain: true, dup: false });
      pub.send({ cmd: "publish", topic: "bar", payload: Buffer.from("bar"), qos: 0, retain: true, dup: false });
      expect((await pub.next()).cmd).toBe("puback");
      expect((await pub.next()).cmd).toBe("puback");
      pub.send({ cmd: "pingreq" });
      expect((await pub.next()).cmd).toBe("pingresp");
      pub.end();
      // Stores are acknowledged asynchronously: wait until the stream holds the four records.
      const nc = await connect({ servers: t.server.clientURL });
      const jsm = await jetstreamManager(nc);
      for (let i = 0; i < 100 && (await jsm.streams.info("$MQTT_rmsgs")).state.messages < 4; i++) await new Promise((r) => setTimeout(r, 20));
      await nc.close();
      await t.stop();

      t = await startMqtt({ storeDir });
      const sub = await mqttConnect(t.url, { clientId: "" });
      const inbox = new Inbox(sub);
      await sub.subscribeAsync("foo/+", { qos: 1 });
      const got = [await inbox.next(), await inbox.next()].map((m) => `${m.topic}=${m.payload}:${m.qos}:${m.retain}`).sort();
      expect(got).toEqual(["foo/1=foo1:1:true", "foo/2=foo2:1:true"]);
      await inbox.expectNothing();
      await sub.endAsync();
      await t.stop();
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });

  test("persistent sessions and their subscriptions survive a server restart; clean sessions erase them", async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-sess-"));
    const connectAs = async (port: number, clientId: string, clean: boolean) => {
      const c = await RawMqtt.open(port);
      c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean, clientId, keepalive: 0 });
      return { c, ack: (await c.next()) as { returnCode: number; sessionPresent: boolean } };
    };
    const waitForRecords = async (url: string, n: number) => {
      const nc = await connect({ servers: url });
      const jsm = await jetstreamManager(nc);
      for (let i = 0; i < 100 && (await jsm.streams.info("$MQTT_sess")).state.messages !== n; i++) await new Promise((r) => setTimeout(r, 20));
      const count = (await jsm.streams.info("$MQTT_sess")).state.messages;
      await nc.close();
      return count;
    };
    try {
      let t = await startMqtt({ storeDir });
      const { c: first } = await connectAs(t.port, "persisted", false);
      first.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "ps/a", qos: 1 }, { topic: "ps/b", qos: 0 }] });
      expect(await first.next()).toMatchObject({ cmd: "suback", granted: [1, 0] });
      first.send({ cmd: "unsubscribe", messageId: 2, unsubscriptions: ["ps/b"] });
      expect((await first.next()).cmd).toBe("unsuback");
      first.send({ cmd: "disconnect" });
      const { c: gone } = await connectAs(t.port, "gone", false);
      gone.send({ cmd: "disconnect" });
      const { c: gone2 } = await connectAs(t.port, "gone", true); // a clean session erases the stored one
      gone2.send({ cmd: "disconnect" });
      await gone2.whenClosed;
      expect(await waitForRecords(t.server.clientURL, 1)).toBe(1);
      await t.stop();

      t = await startMqtt({ storeDir });
      const { c: back, ack } = await connectAs(t.port, "persisted", false);
      expect(ack).toMatchObject({ returnCode: 0, sessionPresent: true });
      const nc = await connect({ servers: t.server.clientURL });
      nc.publish("ps.b", "unsubscribed before the restart");
      nc.publish("ps.a", "after restart");
      const m = (await back.next()) as { topic: string; payload: Buffer };
      expect([m.topic, m.payload.toString()]).toEqual(["ps/a", "after restart"]);
      await back.expectNothing(100);
      const { ack: goneAck } = await connectAs(t.port, "gone", false);
      expect(goneAck).toMatchObject({ returnCode: 0, sessionPresent: false });
      await nc.close();
      back.end();
      await t.stop();
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });

  test("a stored session of another client id under the same hash is refused with CONNACK 0x02", async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-hash-"));
    try {
      let t = await startMqtt({ storeDir });
      (await RawMqtt.connected(t.port, { clientId: "boot" })).end(); // creates the streams
      const nc = await connect({ servers: t.server.clientURL });
      const js = (await import("@nats-io/jetstream")).jetstream(nc);
      await js.publish(`$MQTT.sess.${sessionHash("victim")}`, JSON.stringify({ id: "spoofer", subs: { "#": 1 } }));
      await nc.close();
      await t.stop();
      t = await startMqtt({ storeDir });
      const c = await RawMqtt.open(t.port);
      c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, clientId: "victim", keepalive: 0 });
      expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 2 });
      await t.stop();
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });

  test("Go's session hash: 8 characters of base 62 from SHA-256", () => {
    expect(sessionHash("victim")).toMatch(/^[0-9A-Za-z]{8}$/);
    expect(sessionHash("victim")).toBe(sessionHash("victim"));
    expect(sessionHash("victim")).not.toBe(sessionHash("victim2"));
  });

  test("an account without JetStream gets CONNACK 0x03 (server unavailable), not a hang", async () => {
    const t = await startMqtt({
      mqtt: { jsApiTimeout: 1500 },
      server: { accounts: { nojs: { users: [{ user: "u", password: "p" }] }, withjs: { jetstream: true, users: [{ user: "v", password: "p" }] } } },
    });
    try {
      const c = await RawMqtt.open(t.port);
      c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "nojs", keepalive: 0, username: "u", password: Buffer.from("p") });
      expect(await c.next()).toMatchObject({ cmd: "connack", returnCode: 3 });
      expect(await c.closesWithin(2000)).toBe(true);
      const ok = await RawMqtt.connected(t.port, { clientId: "withjs", username: "v", password: Buffer.from("p") });
      ok.end();
    } finally {
      await t.stop();
    }
  });

  test("retained records round trip; deletion markers and garbage decode to nothing", () => {
    const msg = { topic: "a/b", subject: "a.b", payload: Buffer.from("x"), qos: 1 as const };
    const { headers, payload } = encodeRetained(msg, "srv");
    expect(decodeRetained("$MQTT.rmsgs.a.b", headers.toString(), payload)).toEqual(msg);
    const del = encodeRetained({ ...msg, payload: Buffer.alloc(0) }, "srv");
    expect(decodeRetained("$MQTT.rmsgs.a.b", del.headers.toString(), del.payload)).toBeUndefined();
    expect(decodeRetained("$MQTT.rmsgs.a.b", "NATS/1.0\r\nNmqtt-RFlags:zz\r\n\r\n", payload)).toBeUndefined();
    expect(decodeRetained("other.a.b", headers.toString(), payload)).toBeUndefined();
  });
});
