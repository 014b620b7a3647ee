import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "@nats-io/transport-node";
import { describe, expect, test } from "vitest";
import { sessionHash } from "../src/session-store.js";
import { RawMqtt, startMqtt } from "./helpers.js";

describe("Go mqtt_test.go: stored records and spoofing", () => {
  test("TestMQTTPoisonedJSONRecordsDoNotCrashServer: null retained messages and null consumers in session records are survived", async () => {
    const storeDir = mkdtempSync(join(tmpdir(), "nats-ts-mqtt-poison-"));
    try {
      let t = await startMqtt({ storeDir });
      (await RawMqtt.connected(t.port, { clientId: "first" })).end(); // creates the streams
      const nc = await connect({ servers: t.server.clientURL });
      await nc.request("$MQTT.rmsgs.x", "null");
      await nc.request(`$MQTT.sess.${sessionHash("poison")}`, JSON.stringify({ id: "poison", cons: { sub1: null }, subs: { foo: 1 } }));
      await nc.close();
      await t.stop();
      // The records are read at start; a clean session for "poison" then clears its record.
      t = await startMqtt({ storeDir });
      try {
        const mc = await RawMqtt.connected(t.port, { clientId: "first" });
        const pc = await RawMqtt.connected(t.port, { clientId: "poison", clean: true });
        mc.send({ cmd: "publish", topic: "foo/bar", payload: Buffer.from("msg"), qos: 0, retain: true, dup: false });
        const sc = await RawMqtt.connected(t.port, { clientId: "sub" });
        sc.send({ cmd: "pingreq" });
        expect((await sc.next()).cmd).toBe("pingresp");
        sc.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo/bar", qos: 0 }] });
        expect(await sc.next()).toMatchObject({ cmd: "suback", granted: [0] });
        const m = (await sc.next()) as { cmd: string; topic: string; retain: boolean; payload: Buffer };
        expect([m.cmd, m.topic, m.retain, m.payload.toString()]).toEqual(["publish", "foo/bar", true, "msg"]);
        for (const c of [mc, pc, sc]) c.end();
      } finally {
        await t.stop();
      }
    } finally {
      rmSync(storeDir, { recursive: true, force: true });
    }
  });

  test("TestMQTTSessionPersistSpoofPrevented: a client may not publish on the server's $MQTT.JSA. subjects to disturb another session", async () => {
    const perms = { publish: { allow: ["foo.>"] }, subscribe: { allow: ["foo.>"] } };
    const t = await startMqtt({
      server: { authorization: { users: [{ user: "victim", password: "pass", permissions: perms }, { user: "attacker", password: "pass", permissions: perms }] } },
    });
    try {
      const vc = await RawMqtt.connected(t.port, { clientId: "victim", username: "victim", password: Buffer.from("pass") });
      vc.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo/+", qos: 1 }] });
      expect(await vc.next()).toMatchObject({ cmd: "suback", granted: [1] });
      const ac = await RawMqtt.connected(t.port, { clientId: "attacker", username: "attacker", password: Buffer.from("pass") });
      const spoofTopic = `$MQTT/JSA/fakenode/SP/${sessionHash("victim")}/fakeuuid`;
      ac.send({ cmd: "publish", topic: spoofTopic, payload: Buffer.from(JSON.stringify({ stream: "$MQTT_sess", seq: 999 })), qos: 0, retain: false, dup: false });
      ac.send({ cmd: "pingreq" });
      expect((await ac.next()).cmd).toBe("pingresp");
      await new Promise((r) => setTimeout(r, 250));
      ac.send({ cmd: "publish", topic: "foo/bar", payload: Buffer.from("still-alive"), qos: 0, retain: false, dup: false });
      const m = (await vc.next()) as { cmd: string; topic: string; qos: number; payload: Buffer };
      expect([m.cmd, m.topic, m.qos, m.payload.toString()]).toEqual(["publish", "foo/bar", 0, "still-alive"]);
      vc.end();
      ac.end();
    } finally {
      await t.stop();
    }
  });

  test("TestMQTTRejectsHashCollidingClientID: a client id with the same session hash as a stored session is refused (CONNACK 0x02)", async () => {
    const t = await startMqtt();
    try {
      const victimID = "cid-03579431";
      const attackerID = "cid-09191235";
      expect(sessionHash(victimID)).toBe(sessionHash(attackerID));
      const connectAs = async (clientId: string) => {
        const c = await RawMqtt.open(t.port);
        c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: false, clientId, keepalive: 0 });
        return { c, ack: await c.next() };
      };
      let { c, ack } = await connectAs(victimID);
      expect(ack).toMatchObject({ cmd: "connack", returnCode: 0, sessionPresent: false });
      c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "foo", qos: 1 }] });
      expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
      c.send({ cmd: "disconnect" });
      await c.whenClosed;
      const attacker = await connectAs(attackerID);
      expect(attacker.ack).toMatchObject({ cmd: "connack", returnCode: 2, sessionPresent: false });
      expect(await attacker.c.closesWithin(2000)).toBe(true);
      ({ c, ack } = await connectAs(victimID));
      expect(ack).toMatchObject({ cmd: "connack", returnCode: 0, sessionPresent: true });
      c.send({ cmd: "pingreq" });
      expect((await c.next()).cmd).toBe("pingresp");
      const nc = await connect({ servers: t.server.clientURL });
      nc.publish("foo", "msg");
      const m = (await c.next()) as { cmd: string; topic: string; qos: number; payload: Buffer };
      expect([m.cmd, m.topic, m.qos, m.payload.toString()]).toEqual(["publish", "foo", 0, "msg"]);
      await nc.close();
      c.end();
    } finally {
      await t.stop();
    }
  });

  test("TestMQTTMaxPayloadDoesNotCapPublishTopic: max_payload limits the message, not the topic", async () => {
    const t = await startMqtt({ server: { maxPayload: 1024 } });
    try {
      const c = await RawMqtt.connected(t.port, { clientId: "cid" });
      c.send({ cmd: "publish", topic: "a".repeat(1100), payload: Buffer.alloc(0), qos: 0, retain: false, dup: false });
      c.send({ cmd: "pingreq" });
      expect((await c.next()).cmd).toBe("pingresp");
      c.end();
    } finally {
      await t.stop();
    }
  });
});
