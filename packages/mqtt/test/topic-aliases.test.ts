import mqtt, { type MqttClient } from "mqtt";
import type { IPublishPacket } from "mqtt-packet";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { OutboundTopicAliases } from "../src/v5.js";
import { RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";

let t: MqttTestServer;
beforeAll(async () => {
  t = await startMqtt();
});
afterAll(async () => {
  await t.stop();
});

async function publishAll(topics: string[]): Promise<void> {
  const pub = await mqtt.connectAsync(t.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: `alias-pub-${topics.length}` });
  for (const [i, topic] of topics.entries()) await pub.publishAsync(topic, `m${i}`, { qos: 1 });
  await pub.endAsync();
}

function collect(client: MqttClient, n: number): Promise<string[]> {
  const got: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got only ${JSON.stringify(got)}`)), 3000);
    client.on("message", (topic, payload) => {
      got.push(`${topic}=${payload.toString()}`);
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

describe("server-assigned topic aliases (MQTT 5.0 3.3.2.3.4)", () => {
  const topics = ["alias/a", "alias/b", "alias/a", "alias/c", "alias/a", "alias/b", "alias/c", "alias/d", "alias/b"];

  test("an MQTT.js client with a topic alias maximum gets every message on its right topic", async () => {
    const sub = await mqtt.connectAsync(t.url, { protocolVersion: 5, reconnectPeriod: 0, clientId: "alias-mqttjs", properties: { topicAliasMaximum: 2 } });
    await sub.subscribeAsync("alias/#", { qos: 1 });
    const received = collect(sub, topics.length);
    await publishAll(topics);
    expect(await received).toEqual(topics.map((topic, i) => `${topic}=m${i}`));
    await sub.endAsync();
  });

  test("repeated topics go out as an alias alone, never above the client's maximum; without a maximum no alias is sent", async () => {
    const raw = await RawMqtt.connected(t.port, { protocolVersion: 5, clientId: "alias-raw", properties: { topicAliasMaximum: 2 } });
    raw.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "alias/#", qos: 0 }] });
    expect((await raw.next()).cmd).toBe("suback");
    const plain = await RawMqtt.connected(t.port, { protocolVersion: 5, clientId: "alias-none" });
    plain.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: "alias/#", qos: 0 }] });
    expect((await plain.next()).cmd).toBe("suback");
    await publishAll(topics);
    // The client's view: an alias set with a topic, then used alone.
    const known = new Map<number, string>();
    const seen: string[] = [];
    for (let i = 0; i < topics.length; i++) {
      const p = (await raw.next()) as IPublishPacket;
      const alias = p.properties?.topicAlias;
      expect(alias).toBeGreaterThanOrEqual(1);
      expect(alias).toBeLessThanOrEqual(2);
      if (p.topic !== "") known.set(alias!, p.topic);
      seen.push(p.topic === "" ? `(${known.get(alias!)})` : p.topic);
    }
    expect(seen.map((s) => s.replace(/[()]/g, ""))).toEqual(topics);
    // "alias/a" is repeated right after being set: sent by alias alone.
    expect(seen[2]).toBe("(alias/a)");
    for (let i = 0; i < topics.length; i++) {
      const p = (await plain.next()) as IPublishPacket;
      expect(p.topic).toBe(topics[i]);
      expect(p.properties?.topicAlias).toBeUndefined();
    }
    raw.end();
    plain.end();
  });

  test("the least recently used topic gives up its alias", () => {
    const lru = new OutboundTopicAliases(2);
    const use = (topic: string) => {
      const a = lru.pick(topic);
      lru.commit(topic, a.alias, a.known);
      return `${a.alias}${a.known ? "" : "+"}`;
    };
    // a, b set; a reused (b is now the oldest); c takes b's alias; b takes a's; a takes c's.
    expect(["a", "b", "a", "c", "b", "a"].map(use)).toEqual(["1+", "2+", "1", "2+", "1+", "2+"]);
    // An alias picked but never committed (the packet was dropped) is not known to the client.
    const fresh = new OutboundTopicAliases(1);
    expect(fresh.pick("x")).toEqual({ alias: 1, known: false });
    expect(fresh.pick("x")).toEqual({ alias: 1, known: false });
  });
});
