import { describe, expect, test } from "vitest";
import type { ServerOptionsInput } from "@nats-ts/core";
import { RawMqtt, startMqtt } from "./helpers.js";
import type { MqttOptions } from "../src/index.js";

const NOT_AUTHORIZED = 5;

/** Starts a server, CONNECTs once with the credentials and returns the CONNACK return code. */
async function connackFor(server: ServerOptionsInput, mqtt: MqttOptions, username?: string, password?: string): Promise<number> {
  const t = await startMqtt({ server, mqtt });
  try {
    const c = await RawMqtt.open(t.port);
    c.send({
      cmd: "connect",
      protocolId: "MQTT",
      protocolVersion: 4,
      clean: true,
      clientId: "auth",
      keepalive: 0,
      username,
      password: password === undefined ? undefined : Buffer.from(password),
    });
    const ack = (await c.next()) as { cmd: string; returnCode: number };
    expect(ack.cmd).toBe("connack");
    if (ack.returnCode !== 0) expect(await c.closesWithin(2000)).toBe(true);
    c.end();
    return ack.returnCode;
  } finally {
    await t.stop();
  }
}

describe("authentication", () => {
  test("TestMQTTBasicAuth: top-level and mqtt-only user/password", async () => {
    const top = { authorization: { user: "normal", password: "client" } };
    const mqtt = { authorization: { user: "mqtt", password: "client" } };
    expect(await connackFor(top, {}, "mqtt", "client")).toBe(NOT_AUTHORIZED);
    expect(await connackFor(top, {}, "normal", "client")).toBe(0);
    expect(await connackFor({}, mqtt, "normal", "client")).toBe(NOT_AUTHORIZED);
    expect(await connackFor({}, mqtt, "mqtt", "client")).toBe(0);
    expect(await connackFor(top, mqtt, "normal", "client")).toBe(NOT_AUTHORIZED);
    expect(await connackFor(top, mqtt, "mqtt", "client")).toBe(0);
  });

  test("TestMQTTTokenAuth: the password carries the token", async () => {
    const user = "ignore_use_token";
    expect(await connackFor({ authorization: { token: "goodtoken" } }, {}, user, "badtoken")).toBe(NOT_AUTHORIZED);
    expect(await connackFor({ authorization: { token: "goodtoken" } }, {}, user, "goodtoken")).toBe(0);
    expect(await connackFor({}, { authorization: { token: "goodtoken" } }, user, "badtoken")).toBe(NOT_AUTHORIZED);
    expect(await connackFor({}, { authorization: { token: "goodtoken" } }, user, "goodtoken")).toBe(0);
    expect(await connackFor({ authorization: { token: "clienttoken" } }, { authorization: { token: "mqtttoken" } }, user, "clienttoken")).toBe(NOT_AUTHORIZED);
    expect(await connackFor({ authorization: { token: "clienttoken" } }, { authorization: { token: "mqtttoken" } }, user, "mqtttoken")).toBe(0);
  });

  test("TestMQTTUsersAuth: users lists with allowed connection types", async () => {
    const users = (types?: string[]) => ({ authorization: { users: [{ user: "user", password: "pwd", allowedConnectionTypes: types }] } });
    expect(await connackFor(users(), {}, "wronguser", "pwd")).toBe(NOT_AUTHORIZED);
    expect(await connackFor(users(), {}, "user", "pwd")).toBe(0);
    expect(await connackFor(users(["STANDARD"]), {}, "user", "pwd")).toBe(NOT_AUTHORIZED);
    expect(await connackFor(users(["STANDARD", "MQTT"]), {}, "user", "pwd")).toBe(0);
    expect(await connackFor(users(["STANDARD", "MQTT"]), {}, "user", "badpassword")).toBe(NOT_AUTHORIZED);
  });

  test("TestMQTTNoAuthUser: clients without credentials become the (mqtt) no_auth_user", async () => {
    const server: ServerOptionsInput = {
      noAuthUser: "noauth",
      accounts: {
        normal: { jetstream: true, users: [{ user: "noauth", password: "pwd" }, { user: "user", password: "pwd" }] },
        mqtt: { jetstream: true, users: [{ user: "mqttnoauth", password: "pwd" }, { user: "mqttuser", password: "pwd" }] },
      },
    };
    const cases = [
      { override: false, useAuth: false, user: "noauth", account: "normal" },
      { override: false, useAuth: true, user: "user", account: "normal" },
      { override: true, useAuth: false, user: "mqttnoauth", account: "mqtt" },
      { override: true, useAuth: true, user: "mqttuser", account: "mqtt" },
    ];
    for (const c of cases) {
      const t = await startMqtt({ server, mqtt: c.override ? { noAuthUser: "mqttnoauth" } : {} });
      try {
        const conn = await RawMqtt.connected(t.port, {
          clientId: "mqtt",
          username: c.useAuth ? c.user : undefined,
          password: c.useAuth ? Buffer.from("pwd") : undefined,
        });
        expect(t.plugin.clients()).toMatchObject([{ clientId: "mqtt", user: c.user, account: c.account }]);
        conn.end();
      } finally {
        await t.stop();
      }
    }
  });

  test("TestMQTTSubAck: granted QoS per filter, 0x80 for a filter NATS can not subscribe to", async () => {
    const t = await startMqtt({
      server: { authorization: { users: [{ user: "user", password: "pass", permissions: { subscribe: { allow: ["foo", "bar", "baz", "foo.>"] } } }] } },
    });
    try {
      const c = await RawMqtt.connected(t.port, { clientId: "", username: "user", password: Buffer.from("pass") });
      c.send({
        cmd: "subscribe",
        messageId: 1,
        subscriptions: [
          { topic: "foo", qos: 0 },
          { topic: "bar", qos: 1 },
          { topic: "baz", qos: 2 },
          { topic: "foo/#/bar", qos: 0 },
        ],
      });
      expect(await c.next()).toMatchObject({ cmd: "suback", messageId: 1, granted: [0, 1, 2, 0x80] });
      c.end();
    } finally {
      await t.stop();
    }
  });

  test("permissions: subscribe permissions refuse filters (SUBACK 0x80), publish permissions drop messages", async () => {
    const t = await startMqtt({
      server: {
        authorization: {
          users: [{ user: "mqtt", password: "pass", permissions: { publish: { allow: ["foo.bar"] }, subscribe: { allow: ["foo.*"], deny: ["foo.baz"] } } }],
        },
      },
    });
    try {
      const creds = { username: "mqtt", password: Buffer.from("pass") };
      const sub = await RawMqtt.connected(t.port, { clientId: "sub", clean: false, ...creds });
      let id = 1;
      for (const [topic, granted] of [
        ["foo/+", 1],
        ["foo/baz", 0x80],
        ["foo/*", 1],
        ["foo/*/*", 0x80],
        ["foo/>", 0x80],
        ["foo/*/>", 0x80],
        ["foo/>/*", 0x80],
      ] as const) {
        sub.send({ cmd: "subscribe", messageId: id, subscriptions: [{ topic, qos: 1 }] });
        expect(await sub.next(), topic).toMatchObject({ cmd: "suback", granted: [granted] });
        id++;
      }
      const pub = await RawMqtt.connected(t.port, { clientId: "pub", ...creds });
      pub.send({ cmd: "publish", topic: "foo/bar", payload: Buffer.from("msg1"), qos: 0, retain: false, dup: false });
      const m1 = (await sub.next()) as { topic: string; payload: Buffer };
      expect([m1.topic, m1.payload.toString()]).toEqual(["foo/bar", "msg1"]);
      // Matches both "foo/+" and "foo/*" (the same NATS subject), so it comes twice.
      await sub.next();
      pub.send({ cmd: "publish", topic: "foo/other", payload: Buffer.from("denied"), qos: 1, messageId: 5, retain: false, dup: false });
      expect(await pub.next()).toMatchObject({ cmd: "puback", messageId: 5 });
      await sub.expectNothing(150);
      sub.end();
      pub.end();
    } finally {
      await t.stop();
    }
  });

  test("TestMQTTSubscribeDenyInternalMessageSubject: the $MQTT namespace can not be used to bypass deny permissions", async () => {
    const t = await startMqtt({
      server: {
        authorization: {
          users: [
            { user: "victim", password: "pass", permissions: { publish: { allow: ["secret.>"] } } },
            { user: "attacker", password: "pass", permissions: { subscribe: { deny: ["secret.>"] } } },
          ],
        },
      },
    });
    try {
      const a = await RawMqtt.connected(t.port, { clientId: "attacker", username: "attacker", password: Buffer.from("pass") });
      let id = 1;
      for (const topic of ["secret/#", "$MQTT/#", "$MQTT/msgs/secret/#"]) {
        a.send({ cmd: "subscribe", messageId: id, subscriptions: [{ topic, qos: 0 }] });
        expect(await a.next(), topic).toMatchObject({ cmd: "suback", messageId: id, granted: [0x80] });
        id++;
      }
      const v = await RawMqtt.connected(t.port, { clientId: "victim", username: "victim", password: Buffer.from("pass") });
      v.send({ cmd: "publish", topic: "secret/x", payload: Buffer.from("secret payload"), qos: 1, messageId: 1, retain: false, dup: false });
      expect(await v.next()).toMatchObject({ cmd: "puback" });
      await a.expectNothing(150);
      a.end();
      v.end();
    } finally {
      await t.stop();
    }
  });

  test("TestMQTTSubscribeDenyRetainedAndQoSReplay: deny rules under a broad subscription apply to live, QoS 1 replayed and retained messages", async () => {
    const t = await startMqtt({
      server: {
        authorization: {
          users: [
            { user: "pub", password: "pass", permissions: { publish: { allow: ["secret.>", "foo.>"] }, subscribe: { allow: ["_INBOX.>"] } } },
            { user: "sub", password: "pass", permissions: { subscribe: { allow: [">"], deny: ["secret.>"] } } },
          ],
        },
      },
    });
    const as = (clientId: string, user: string, clean = true) => RawMqtt.connected(t.port, { clientId, clean, username: user, password: Buffer.from("pass") });
    type P = { cmd: string; topic: string; qos: number; retain: boolean; payload: Buffer; messageId?: number };
    const publish = async (c: RawMqtt, topic: string, qos: 0 | 1, payload: string, retain = false) => {
      c.send({ cmd: "publish", topic, payload: Buffer.from(payload), qos, messageId: qos === 1 ? 7 : undefined, retain, dup: false });
      if (qos === 1) expect((await c.next()).cmd).toBe("puback");
    };
    const expectMsg = async (c: RawMqtt, topic: string, qos: number, payload: string, retain = false) => {
      const m = (await c.next()) as P;
      expect([m.cmd, m.topic, m.qos, m.retain, m.payload.toString()]).toEqual(["publish", topic, qos, retain, payload]);
      if (qos === 1) c.send({ cmd: "puback", messageId: m.messageId! });
    };
    try {
      const mp = await as("pub", "pub");
      // 1) live delivery
      let mc = await as("sub-live", "sub");
      mc.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "#", qos: 0 }] });
      expect(await mc.next()).toMatchObject({ cmd: "suback", granted: [0] });
      await publish(mp, "secret/one", 0, "live-denied");
      await mc.expectNothing(100);
      await publish(mp, "foo/live", 0, "live-allowed");
      await expectMsg(mc, "foo/live", 0, "live-allowed");
      mc.send({ cmd: "disconnect" });
      await mc.whenClosed;
      // 2) QoS 1 replay from the session's consumer
      mc = await as("persist-sub", "sub", false);
      mc.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "#", qos: 1 }] });
      expect(await mc.next()).toMatchObject({ cmd: "suback", granted: [1] });
      mc.send({ cmd: "disconnect" });
      await mc.whenClosed;
      await publish(mp, "secret/one", 1, "qos1-denied");
      await publish(mp, "foo/replay", 1, "qos1-allowed");
      mc = await as("persist-sub", "sub", false);
      await expectMsg(mc, "foo/replay", 1, "qos1-allowed");
      await mc.expectNothing(100);
      mc.send({ cmd: "disconnect" });
      await mc.whenClosed;
      // 3) retained messages
      await publish(mp, "secret/one", 0, "retained-denied", true);
      await publish(mp, "foo/ret", 0, "retained-allowed", true);
      mp.send({ cmd: "pingreq" });
      expect((await mp.next()).cmd).toBe("pingresp");
      mc = await as("sub-retained", "sub");
      mc.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "#", qos: 0 }] });
      expect(await mc.next()).toMatchObject({ cmd: "suback", granted: [0] });
      await expectMsg(mc, "foo/ret", 0, "retained-allowed", true);
      await mc.expectNothing(100);
      mc.end();
      mp.end();
    } finally {
      await t.stop();
    }
  });
});
