import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { IConnectPacket } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { EnhancedAuthMethod } from "../src/index.js";
import { RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";

const SECRET = Buffer.from("shared secret");
const METHOD = "HMAC-CHALLENGE";
const sign = (nonce: Buffer) => createHmac("sha256", SECRET).update(nonce).digest();

/** The method of the plugin option's example: the client signs a nonce with the shared secret. */
const challenge: EnhancedAuthMethod = (data, ctx) => {
  if (ctx.step === 0) {
    ctx.state.nonce = randomBytes(16);
    return { continue: true, data: ctx.state.nonce as Buffer };
  }
  const expected = sign(ctx.state.nonce as Buffer);
  return data !== undefined && data.length === expected.length && timingSafeEqual(data, expected) ? { success: true, user: "device", data: Buffer.from("welcome") } : { fail: true };
};

let t: MqttTestServer;
beforeAll(async () => {
  t = await startMqtt({
    server: { authorization: { users: [{ user: "device", password: "unused-by-enhanced-auth", permissions: { subscribe: { deny: ["secret.>"] } } }, { user: "plain", password: "pw" }] } },
    mqtt: {
      enhancedAuth: {
        [METHOD]: challenge,
        THROWS: () => {
          throw new Error("broken method");
        },
        ASYNC_OK: async () => {
          await new Promise((r) => setTimeout(r, 10));
          return { success: true };
        },
      },
    },
  });
});
afterAll(() => t.stop());

const connect = (clientId: string, properties: IConnectPacket["properties"], extra: Partial<IConnectPacket> = {}) => ({
  cmd: "connect" as const,
  protocolId: "MQTT" as const,
  protocolVersion: 5 as const,
  clean: true,
  clientId,
  keepalive: 0,
  properties,
  ...extra,
});

/** Runs the challenge/response exchange up to the CONNACK, answering with `respond`. */
async function challenged(clientId: string, respond: (nonce: Buffer) => Buffer): Promise<{ c: RawMqtt; connack: Extract<Awaited<ReturnType<RawMqtt["next"]>>, { cmd: "connack" }> }> {
  const c = await RawMqtt.open(t.port, 5);
  c.send(connect(clientId, { authenticationMethod: METHOD }));
  const auth = await c.next();
  expect(auth).toMatchObject({ cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: METHOD } });
  const nonce = (auth as { properties: { authenticationData: Buffer } }).properties.authenticationData;
  expect(nonce).toHaveLength(16);
  c.send({ cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: respond(nonce) } });
  const connack = await c.next();
  if (connack.cmd !== "connack") throw new Error(`expected CONNACK, got ${connack.cmd}`);
  return { c, connack };
}

describe("MQTT 5.0 enhanced authentication (§4.12)", () => {
  test("a challenge/response exchange over AUTH packets ends in CONNACK; the method's user and its permissions apply", async () => {
    const { c, connack } = await challenged("hmac-ok", sign);
    expect(connack).toMatchObject({ reasonCode: 0, properties: { authenticationMethod: METHOD } });
    expect(connack.properties?.authenticationData?.toString()).toBe("welcome");
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "open/t", qos: 0 }, { topic: "secret/t", qos: 0 }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [0, 0x87] });
    c.send({ cmd: "publish", topic: "open/t", payload: Buffer.from("hi"), qos: 0, retain: false, dup: false });
    expect(await c.next()).toMatchObject({ cmd: "publish", topic: "open/t" });
    c.end();
  });

  test("a wrong response gets CONNACK 0x87 Not authorized and the connection closes", async () => {
    const { c, connack } = await challenged("hmac-bad", () => Buffer.alloc(32));
    expect(connack.reasonCode).toBe(0x87);
    expect(await c.closesWithin(1000)).toBe(true);
  });

  test("re-authentication: AUTH 0x19 runs the exchange again and ends in AUTH success; a failed one disconnects with its reason", async () => {
    const { c } = await challenged("hmac-reauth", sign);
    for (const good of [true, false]) {
      c.send({ cmd: "auth", reasonCode: 0x19, properties: { authenticationMethod: METHOD } });
      const again = await c.next();
      expect(again).toMatchObject({ cmd: "auth", reasonCode: 0x18 });
      const nonce = (again as { properties: { authenticationData: Buffer } }).properties.authenticationData;
      c.send({ cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: METHOD, authenticationData: good ? sign(nonce) : Buffer.from("no") } });
      if (good) expect(await c.next()).toMatchObject({ cmd: "auth", reasonCode: 0, properties: { authenticationMethod: METHOD } });
      else expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x87 });
    }
    expect(await c.closesWithin(1000)).toBe(true);
  });

  test("a method the server does not have gets CONNACK 0x8C Bad authentication method, names of Object's prototype included", async () => {
    for (const method of ["SCRAM-SHA-1", "constructor", "toString"]) {
      const c = await RawMqtt.open(t.port, 5);
      c.send(connect(`unknown-${method}`, { authenticationMethod: method }));
      expect(await c.next()).toMatchObject({ cmd: "connack", reasonCode: 0x8c });
      expect(await c.closesWithin(1000)).toBe(true);
    }
  });

  test("a method that throws refuses the client (0x87); a method without a user leaves the CONNECT's credentials to decide", async () => {
    const broken = await RawMqtt.open(t.port, 5);
    broken.send(connect("throws", { authenticationMethod: "THROWS" }));
    expect(await broken.next()).toMatchObject({ cmd: "connack", reasonCode: 0x87 });
    const noCredentials = await RawMqtt.open(t.port, 5);
    noCredentials.send(connect("async-nocreds", { authenticationMethod: "ASYNC_OK" }));
    expect(await noCredentials.next()).toMatchObject({ cmd: "connack", reasonCode: 0x86 });
    const withCredentials = await RawMqtt.open(t.port, 5);
    withCredentials.send(connect("async-creds", { authenticationMethod: "ASYNC_OK" }, { username: "plain", password: Buffer.from("pw") }));
    expect(await withCredentials.next()).toMatchObject({ cmd: "connack", reasonCode: 0, properties: { authenticationMethod: "ASYNC_OK" } });
    withCredentials.end();
  });

  test("AUTH from a client that did not start enhanced authentication, or naming another method, is a protocol error", async () => {
    const plain = await RawMqtt.connected(t.port, { protocolVersion: 5, clientId: "no-method", username: "plain", password: Buffer.from("pw") });
    plain.send({ cmd: "auth", reasonCode: 0x19, properties: { authenticationMethod: METHOD } });
    expect(await plain.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x82 });
    const { c } = await challenged("other-method", sign);
    c.send({ cmd: "auth", reasonCode: 0x19, properties: { authenticationMethod: "OTHER" } });
    expect(await c.next()).toMatchObject({ cmd: "disconnect", reasonCode: 0x82 });
  });

  test("bad AUTH packets during the exchange close that connection only; the server keeps serving", async () => {
    const bad: [string, Buffer | object][] = [
      ["success code from the client", { cmd: "auth", reasonCode: 0x00, properties: { authenticationMethod: METHOD } }],
      ["no method", { cmd: "auth", reasonCode: 0x18 }],
      ["re-authenticate before CONNACK", { cmd: "auth", reasonCode: 0x19, properties: { authenticationMethod: METHOD } }],
      ["AUTH with a cut property", Buffer.from([0xf0, 0x04, 0x18, 0x03, 0x15, 0x00])],
      ["AUTH with flags set", Buffer.from([0xf1, 0x00])],
      ["a second CONNECT", connect("again", { authenticationMethod: METHOD })],
    ];
    for (const [name, packet] of bad) {
      const c = await RawMqtt.open(t.port, 5);
      c.send(connect(`bad-auth`, { authenticationMethod: METHOD }));
      expect(await c.next(), name).toMatchObject({ cmd: "auth", reasonCode: 0x18 });
      if (Buffer.isBuffer(packet)) c.sendRaw(packet);
      else c.send(packet as Parameters<RawMqtt["send"]>[0]);
      expect(await c.closesWithin(1500), name).toBe(true);
    }
    const { c, connack } = await challenged("after-bad", sign);
    expect(connack.reasonCode).toBe(0);
    c.end();
  });
});
