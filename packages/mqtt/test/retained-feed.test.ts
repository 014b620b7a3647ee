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
  const msg = (payload: string, seq?: number): RetainedMessage => ({ topic: "a/b", subject: "a.b", payload: Buffer.from(payload), qos: 0, seq });
  const current = (r: RetainedMessages) => r.matching("a.b").map((m) => m.payload.toString());

  test("while a local write waits for its PubAck, the stream's messages are held back and applied only if newer", () => {
    const r = new RetainedMessages();
    const first = msg("local1");
    const second = msg("local2");
    r.set(first, true);
    r.set(second, true);
    r.fromStream(msg("other-before", 1));
    r.fromStream(msg("local1", 2));
    r.confirmed(first, 2);
    expect(current(r)).toEqual(["local2"]);
    r.fromStream(msg("other-between", 3));
    r.confirmed(second, 4);
    expect(current(r)).toEqual(["local2"]);
    // Its own message handed back by the stream changes nothing; a newer one of another does.
    r.fromStream(msg("local2", 4));
    expect(current(r)).toEqual(["local2"]);
    r.fromStream(msg("other-after", 5));
    expect(current(r)).toEqual(["other-after"]);
    r.fromStream(msg("", 6));
    expect(current(r)).toEqual([]);
  });

  test("a message stored after the local write but seen before its PubAck wins once the PubAck comes", () => {
    const r = new RetainedMessages();
    const local = msg("local");
    r.set(local, true);
    r.fromStream(msg("newer", 8));
    expect(current(r)).toEqual(["local"]);
    r.confirmed(local, 7);
    expect(current(r)).toEqual(["newer"]);
  });

  test("a local removal is not undone by an older message; a lost delivery of a local write wedges nothing", () => {
    const r = new RetainedMessages();
    r.set(msg("x", 1));
    const removal = msg("");
    r.set(removal, true);
    r.fromStream(msg("older", 2));
    expect(current(r)).toEqual([]);
    r.confirmed(removal, 3);
    r.fromStream(msg("newer", 9));
    expect(current(r)).toEqual(["newer"]);
    const failed = msg("never stored");
    r.set(failed, true);
    r.confirmed(failed, undefined);
    r.fromStream(msg("after", 10));
    expect(current(r)).toEqual(["after"]);
  });
});
