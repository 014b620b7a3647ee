import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { describe, expect, test } from "vitest";
import { Inbox, mqttConnect, RawMqtt, startMqtt } from "./helpers.js";
import { decodeRetained, encodeRetained } from "../src/streams.js";

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
