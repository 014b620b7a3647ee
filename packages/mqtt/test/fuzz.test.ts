import { generate, type Packet } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";

let t: MqttTestServer;
beforeAll(async () => {
  t = await startMqtt();
});
afterAll(async () => {
  await t.stop();
});

/** A small seeded PRNG (mulberry32) so any failure replays. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID: Packet[] = [
  { cmd: "publish", topic: "a/b", payload: Buffer.from("hello"), qos: 1, messageId: 3, retain: true, dup: false },
  { cmd: "publish", topic: "x", payload: Buffer.alloc(0), qos: 2, messageId: 4, retain: false, dup: false },
  { cmd: "subscribe", messageId: 5, subscriptions: [{ topic: "a/#", qos: 1 }, { topic: "+/b", qos: 2 }] },
  { cmd: "unsubscribe", messageId: 6, unsubscriptions: ["a/#"] },
  { cmd: "puback", messageId: 1 },
  { cmd: "pubrec", messageId: 1 },
  { cmd: "pubrel", messageId: 1 },
  { cmd: "pubcomp", messageId: 1 },
  { cmd: "pingreq" },
];

/** MQTT 5.0 packets with properties: property lengths and identifiers are more to get wrong. */
const VALID_V5: Packet[] = [
  {
    cmd: "publish",
    topic: "a/b",
    payload: Buffer.from("hello"),
    qos: 1,
    messageId: 3,
    retain: false,
    dup: false,
    properties: { topicAlias: 2, userProperties: { k: "v" }, contentType: "text/plain", responseTopic: "r/t", correlationData: Buffer.from([1]), messageExpiryInterval: 5 },
  },
  { cmd: "publish", topic: "", payload: Buffer.from("x"), qos: 2, messageId: 4, retain: true, dup: false, properties: { topicAlias: 2 } },
  { cmd: "subscribe", messageId: 5, subscriptions: [{ topic: "$share/g/a/#", qos: 1, rh: 1 }, { topic: "+/b", qos: 2, nl: true, rap: true }], properties: { subscriptionIdentifier: 9 } },
  { cmd: "unsubscribe", messageId: 6, unsubscriptions: ["a/#"] },
  { cmd: "puback", messageId: 1, reasonCode: 0x10 },
  { cmd: "pubrec", messageId: 1, reasonCode: 0x80 },
  { cmd: "pubrel", messageId: 1 },
  { cmd: "disconnect", reasonCode: 0x04, properties: { sessionExpiryInterval: 3 } },
  { cmd: "auth", reasonCode: 0x18, properties: { authenticationMethod: "x" } },
];

/** Valid packets with a few bytes flipped, truncated or extended: what a broken client sends. */
function mutated(next: () => number, v5 = false): Buffer {
  const list = v5 ? VALID_V5 : VALID;
  const base = Buffer.from(generate(list[Math.floor(next() * list.length)]!, { protocolVersion: v5 ? 5 : 4 }));
  const flips = 1 + Math.floor(next() * 3);
  for (let i = 0; i < flips; i++) base[Math.floor(next() * base.length)] = Math.floor(next() * 256);
  if (next() < 0.2) return base.subarray(0, Math.floor(next() * base.length));
  if (next() < 0.2) return Buffer.concat([base, Buffer.from(Array.from({ length: 8 }, () => Math.floor(next() * 256)))]);
  return base;
}

async function serverStillServes(): Promise<void> {
  const c = await RawMqtt.connected(t.port, { clientId: "" });
  c.send({ cmd: "pingreq" });
  expect((await c.next()).cmd).toBe("pingresp");
  c.end();
}

describe("malformed and fuzzed input", () => {
  test("random bytes instead of CONNECT close only that connection", async () => {
    const next = rng(1);
    for (let round = 0; round < 30; round++) {
      const c = await RawMqtt.open(t.port);
      c.sendRaw(Buffer.from(Array.from({ length: 1 + Math.floor(next() * 64) }, () => Math.floor(next() * 256))));
      await c.closesWithin(50);
      c.end();
    }
    await serverStillServes();
  });

  test("mutated packets after CONNECT never crash the server", async () => {
    const next = rng(42);
    for (let round = 0; round < 40; round++) {
      const c = await RawMqtt.connected(t.port, { clientId: "", will: { topic: "fuzz/will", payload: Buffer.from("x"), qos: 1, retain: round % 2 === 0 } });
      for (let i = 0; i < 5; i++) c.sendRaw(mutated(next));
      await c.closesWithin(20);
      c.end();
    }
    await serverStillServes();
  });

  test("mutated MQTT 5.0 packets (properties, aliases, shared filters) after CONNECT never crash the server", async () => {
    const next = rng(5);
    for (let round = 0; round < 40; round++) {
      const c = await RawMqtt.connected(t.port, { protocolVersion: 5, clientId: "", properties: { sessionExpiryInterval: round % 3 } });
      for (let i = 0; i < 5; i++) c.sendRaw(mutated(next, true));
      await c.closesWithin(20);
      c.end();
    }
    await serverStillServes();
  });

  test("mutated CONNECT packets get a CONNACK refusal or a close, never a crash", async () => {
    const next = rng(7);
    const connect = Buffer.from(
      generate({ cmd: "connect", protocolId: "MQTT", protocolVersion: 4, clean: true, clientId: "fuzz", keepalive: 10, username: "u", password: Buffer.from("p") }),
    );
    const connect5 = Buffer.from(
      generate(
        { cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: false, clientId: "fuzz5", keepalive: 10, properties: { sessionExpiryInterval: 10, receiveMaximum: 5, topicAliasMaximum: 3, userProperties: { a: "b" } }, will: { topic: "w", payload: Buffer.from("x"), qos: 1, retain: false, properties: { willDelayInterval: 1 } } },
        { protocolVersion: 5 },
      ),
    );
    for (let round = 0; round < 60; round++) {
      const bytes = Buffer.from(round % 3 === 2 ? connect5 : connect);
      bytes[1 + Math.floor(next() * (bytes.length - 1))] = Math.floor(next() * 256);
      const c = await RawMqtt.open(t.port);
      c.sendRaw(bytes);
      await c.closesWithin(20);
      c.end();
    }
    await serverStillServes();
  });
});
