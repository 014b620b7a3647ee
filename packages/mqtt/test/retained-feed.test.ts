import { connect, headers as natsHeaders, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { eventually, RawMqtt, startMqtt, type MqttTestServer } from "./helpers.js";
import { publish, type Pub } from "./raw-steps.js";
import { RetainedMessages, type RetainedMessage } from "../src/retained.js";

let t: MqttTestServer;
let nc: NatsConnection;
let js: JetStreamClient;
beforeAll(async () => {
  t = await startMqtt();
  nc = await connect({ servers: t.server.clientURL });
  js = jetstream(nc);
  // The account's MQTT streams exist once a first MQTT client connected.
  (await RawMqtt.connected(t.port, { clientId: "feed-setup" })).end();
});
afterAll(async () => {
  await nc.close();
  await t.stop();
});

/** The retained messages a new subscription on `filter` receives, as "topic=payload@qos". */
async function retainedOn(filter: string): Promise<string[]> {
  const c = await RawMqtt.connected(t.port, { clientId: "" });
  c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: filter, qos: 1 }] });
  expect((await c.next()).cmd).toBe("suback");
  const out: string[] = [];
  c.send({ cmd: "pingreq" });
  for (;;) {
    const p = await c.next();
    if (p.cmd === "pingresp") break;
    const m = p as Pub;
    expect(m.retain).toBe(true);
    out.push(`${m.topic}=${m.payload.toString()}@${m.qos}`);
  }
  c.end();
  return out.sort();
}

/** Stores a message in `$MQTT_rmsgs` the way another server (Go's record form) would. */
async function storeAsOtherServer(topic: string, subject: string, payload: string, flags: string): Promise<void> {
  const h = natsHeaders();
  h.set("Nmqtt-RTopic", topic);
  h.set("Nmqtt-RFlags", flags);
  h.set("Nmqtt-ROrigin", "another-server");
  await js.publish(`$MQTT.rmsgs.${subject}`, payload, { headers: h });
}

describe("retained messages follow $MQTT_rmsgs", () => {
  test("a retained message another server stores is seen, and so is its removal marker", async () => {
    await storeAsOtherServer("feed/a", "feed.a", "from elsewhere", "3");
    await eventually(async () => (await retainedOn("feed/#")).includes("feed/a=from elsewhere@1"));
    await storeAsOtherServer("feed/a", "feed.a", "", "-3");
    await eventually(async () => (await retainedOn("feed/#")).length === 0);
  });

  test("a NATS client publishing on $MQTT.rmsgs.<subject> retains at QoS 0; an empty payload clears it", async () => {
    await js.publish("$MQTT.rmsgs.plain.b", "from NATS");
    await eventually(async () => JSON.stringify(await retainedOn("plain/+")) === JSON.stringify(["plain/b=from NATS@0"]));
    await js.publish("$MQTT.rmsgs.plain.b", "");
    await eventually(async () => (await retainedOn("plain/+")).length === 0);
  });

  test("this server's own writes are not undone when the stream hands them back, nor by an older write of another", async () => {
    const pub = await RawMqtt.connected(t.port, { clientId: "feed-pub" });
    await storeAsOtherServer("mine/x", "mine.x", "older", "1");
    await eventually(async () => (await retainedOn("mine/x")).length === 1);
    for (let i = 1; i <= 5; i++) pub.send({ cmd: "publish", topic: "mine/x", payload: Buffer.from(`v${i}`), qos: 0, retain: true, dup: false });
    await publish(pub, 1, "mine/x", 1, "last", true);
    // Every write the stream hands back leaves the latest in place.
    for (let i = 0; i < 3; i++) expect(await retainedOn("mine/x")).toEqual(["mine/x=last@1"]);
    const stored = await (await js.jetstreamManager()).streams.getMessage("$MQTT_rmsgs", { last_by_subj: "$MQTT.rmsgs.mine.x" });
    expect(stored?.string()).toBe("last");
    pub.end();
  });
});

describe("RetainedMessages in step with the stream", () => {
  const msg = (payload: string): RetainedMessage => ({ topic: "a/b", subject: "a.b", payload: Buffer.from(payload), qos: 0 });
  const current = (r: RetainedMessages) => r.matching("a.b").map((m) => m.payload.toString());

  test("while local writes are on their way, what others stored before them is stale", () => {
    const r = new RetainedMessages();
    r.set(msg("local1"), true);
    r.set(msg("local2"), true);
    r.fromStream(msg("other-before"), false);
    r.fromStream(msg("local1"), true);
    expect(current(r)).toEqual(["local2"]);
    r.fromStream(msg("other-between"), false);
    r.fromStream(msg("local2"), true);
    expect(current(r)).toEqual(["local2"]);
    r.fromStream(msg("other-after"), false);
    expect(current(r)).toEqual(["other-after"]);
    r.fromStream(msg(""), false);
    expect(current(r)).toEqual([]);
  });

  test("a local removal is not undone by an older message of another server", () => {
    const r = new RetainedMessages();
    r.set(msg("x"));
    r.set(msg(""), true);
    r.fromStream(msg("older"), false);
    expect(current(r)).toEqual([]);
    r.fromStream(msg(""), true);
    r.fromStream(msg("newer"), false);
    expect(current(r)).toEqual(["newer"]);
  });
});
