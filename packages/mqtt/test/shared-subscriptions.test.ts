import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { eventually, RawMqtt, RestartableServer, type MqttTestServer } from "./helpers.js";
import type { Pub } from "./raw-steps.js";
import { shareToken } from "../src/shared-subscriptions.js";

let server: RestartableServer;
let s: MqttTestServer;
let nc: NatsConnection | undefined;
beforeEach(async () => {
  server = new RestartableServer();
  s = await server.restart();
});
afterEach(async () => {
  await nc?.close();
  nc = undefined;
  await server.dispose();
});

const FILTER = "$share/workers/jobs/+";

/** An MQTT 5.0 member of the group: persistent (never expiring) or clean. */
async function member(clientId: string, persistent: boolean, present = false, subscribe = true, qos: 1 | 2 = 1): Promise<RawMqtt> {
  const c = await RawMqtt.open(s.port, 5);
  c.send({ cmd: "connect", protocolId: "MQTT", protocolVersion: 5, clean: !persistent, clientId, keepalive: 0, properties: persistent ? { sessionExpiryInterval: 0xffffffff } : {} });
  expect(await c.next()).toMatchObject({ cmd: "connack", reasonCode: 0, sessionPresent: present });
  if (subscribe) {
    c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic: FILTER, qos }] });
    expect(await c.next()).toMatchObject({ cmd: "suback", granted: [qos] });
  }
  return c;
}

async function publishJobs(from: number, to: number, qos: 0 | 1 | 2 = 1): Promise<void> {
  const pub = await RawMqtt.connected(s.port, { protocolVersion: 5, clientId: `pub-${from}` });
  for (let i = from; i < to; i++) {
    pub.send({ cmd: "publish", topic: `jobs/${i}`, payload: Buffer.from(`job ${i}`), qos, messageId: qos > 0 ? i + 1 : undefined, retain: false, dup: false });
    if (qos === 1) expect(await pub.next()).toMatchObject({ cmd: "puback" });
    if (qos === 2) {
      expect(await pub.next()).toMatchObject({ cmd: "pubrec" });
      pub.send({ cmd: "pubrel", messageId: i + 1 });
      expect(await pub.next()).toMatchObject({ cmd: "pubcomp" });
    }
  }
  pub.end();
}

/**
 * What the members receive, until `n` messages arrived in all (each acknowledged unless `ack` is
 * false); then none may follow for a moment.
 */
async function receive(members: RawMqtt[], n: number, ack = true): Promise<Pub[][]> {
  const got: Pub[][] = members.map(() => []);
  const total = () => got.reduce((sum, g) => sum + g.length, 0);
  const deadline = Date.now() + 5000;
  while (total() < n) {
    if (Date.now() > deadline) throw new Error(`received ${total()} of ${n} messages`);
    await Promise.all(
      members.map(async (c, i) => {
        const p = await c.next(50).catch(() => undefined);
        if (p?.cmd !== "publish") return;
        got[i]!.push(p as Pub);
        if (ack && p.qos > 0) c.send({ cmd: "puback", messageId: p.messageId! });
      }),
    );
  }
  await Promise.all(members.map((c) => c.expectNothing(150)));
  return got;
}

const payloads = (list: Pub[]) => list.map((p) => p.payload.toString());
const jobs = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `job ${from + i}`);

async function shareConsumers(): Promise<string[]> {
  nc ??= await connect({ servers: s.server.clientURL });
  const jsm = await jetstreamManager(nc);
  const names: string[] = [];
  for await (const ci of jsm.consumers.list("$MQTT_msgs")) if (ci.name.startsWith("$MQTT_share_")) names.push(ci.name);
  return names;
}

describe("MQTT 5.0 shared subscriptions at QoS 1 in JetStream", () => {
  test("each message reaches one member of the group, a clean and a persistent member alike, once", async () => {
    const a = await member("share-clean", false);
    const b = await member("share-kept", true);
    await publishJobs(0, 30);
    const [got1, got2] = await receive([a, b], 30);
    expect([...payloads(got1!), ...payloads(got2!)].sort()).toEqual(jobs(0, 30).sort());
    expect(got1!.length).toBeGreaterThan(0);
    expect(got2!.length).toBeGreaterThan(0);
    expect(await shareConsumers()).toHaveLength(1);
    a.end();
    b.end();
  });

  test("messages for an offline member go to the online one; with none online they wait for the first to come back", async () => {
    const a = await member("share-a", true);
    const b = await member("share-b", true);
    a.end();
    await a.whenClosed;
    await publishJobs(0, 10);
    expect(payloads((await receive([b], 10))[0]!).sort()).toEqual(jobs(0, 10).sort());
    b.end();
    await b.whenClosed;
    await publishJobs(10, 15);
    // The subscription is in a's session: it comes back with it and gets what waited.
    const back = await member("share-a", true, true, false);
    expect(payloads((await receive([back], 5))[0]!).sort()).toEqual(jobs(10, 15).sort());
    back.end();
  });

  test("what a member leaves unacknowledged goes to another member when it disconnects", async () => {
    const a = await member("share-slow", true);
    await publishJobs(0, 1);
    const b = await member("share-other", true);
    const [unacked] = await receive([a], 1, false);
    expect(payloads(unacked!)).toEqual(["job 0"]);
    a.end();
    const [redelivered] = await receive([b], 1);
    expect(payloads(redelivered!)).toEqual(["job 0"]);
    expect(redelivered![0]!.dup).toBe(true);
    b.end();
  });

  test("a persistent member's shared subscription survives a restart; messages stored while all were away arrive", async () => {
    const a = await member("share-restart", true);
    a.end();
    await a.whenClosed;
    await nc?.close();
    nc = undefined;
    s = await server.restart();
    await publishJobs(0, 5);
    const back = await member("share-restart", true, true, false);
    expect(payloads((await receive([back], 5))[0]!).sort()).toEqual(jobs(0, 5).sort());
    back.end();
  });

  test("a clean member leaves with its connection; the last member to unsubscribe takes the group consumer away", async () => {
    const clean = await member("share-gone", false);
    const kept = await member("share-last", true);
    clean.end();
    await clean.whenClosed;
    await publishJobs(0, 4);
    expect(payloads((await receive([kept], 4))[0]!).sort()).toEqual(jobs(0, 4).sort());
    expect(await shareConsumers()).toHaveLength(1);
    kept.send({ cmd: "unsubscribe", messageId: 2, unsubscriptions: [FILTER] });
    expect(await kept.next()).toMatchObject({ cmd: "unsuback" });
    await eventually(async () => (await shareConsumers()).length === 0);
    // The membership record went with it.
    const jsm = await jetstreamManager(nc!);
    await eventually(async () => (await jsm.streams.getMessage("$MQTT_sess", { last_by_subj: `$MQTT.sess.share.${shareToken("workers", "jobs.*")}` }).catch(() => null)) === null);
    kept.end();
  });

  test("QoS 0 publications still reach one member through the plain queue group", async () => {
    const a = await member("share-q0-a", false);
    const b = await member("share-q0-b", true);
    await publishJobs(0, 10, 0);
    const [got1, got2] = await receive([a, b], 10);
    expect([...payloads(got1!), ...payloads(got2!)].sort()).toEqual(jobs(0, 10).sort());
    a.end();
    b.end();
  });

  test("QoS 2: a message whose PUBREC the member sent stays with that member (its PUBREL after it returns), never going to another", async () => {
    const a = await member("share-q2-a", true, false, true, 2);
    await publishJobs(0, 1, 2);
    const p = (await a.next()) as Pub;
    expect(p).toMatchObject({ cmd: "publish", qos: 2, topic: "jobs/0" });
    a.send({ cmd: "pubrec", messageId: p.messageId! });
    expect(await a.next()).toMatchObject({ cmd: "pubrel", messageId: p.messageId });
    a.end(); // before PUBCOMP
    await a.whenClosed;
    const b = await member("share-q2-b", true, false, true, 2);
    await publishJobs(1, 2, 2);
    const got = (await b.next()) as Pub;
    expect(got).toMatchObject({ cmd: "publish", qos: 2, topic: "jobs/1" });
    b.send({ cmd: "pubrec", messageId: got.messageId! });
    expect(await b.next()).toMatchObject({ cmd: "pubrel" });
    b.send({ cmd: "pubcomp", messageId: got.messageId! });
    await b.expectNothing(300);
    const back = await member("share-q2-a", true, true, false);
    expect(await back.next()).toMatchObject({ cmd: "pubrel", messageId: p.messageId });
    back.send({ cmd: "pubcomp", messageId: p.messageId! });
    await back.expectNothing(200);
    back.end();
    b.end();
  });

  test("a session taken over by a new connection gets its unacknowledged shared deliveries again", async () => {
    s = await server.restart({ maxAckPending: 2 }); // two in flight: a leaked slot would stop deliveries
    const first = await member("share-takeover", true);
    await publishJobs(0, 2);
    const [unacked] = await receive([first], 2, false);
    expect(payloads(unacked!).sort()).toEqual(jobs(0, 2));
    const second = await member("share-takeover", true, true, false);
    const [again] = await receive([second], 2);
    expect(payloads(again!).sort()).toEqual(jobs(0, 2));
    expect(again!.every((p) => p.dup)).toBe(true);
    // Nothing is left holding the session's in-flight slots: more messages flow.
    await publishJobs(2, 4);
    expect(payloads((await receive([second], 2))[0]!).sort()).toEqual(jobs(2, 4));
    second.end();
  });

  test("members another server added to the group meanwhile are read again, not overwritten; the group stays while they remain", async () => {
    const a = await member("share-here-a", true);
    nc ??= await connect({ servers: s.server.clientURL });
    const jsm = await jetstreamManager(nc);
    const subject = `$MQTT.sess.share.${shareToken("workers", "jobs.*")}`;
    const stored = async () => (await jsm.streams.getMessage("$MQTT_sess", { last_by_subj: subject }).catch(() => null))?.json<{ members: Record<string, boolean> }>();
    expect((await stored())?.members).toEqual({ "share-here-a": true });
    // As another server would write it.
    await jetstream(nc).publish(subject, JSON.stringify({ group: "workers", subject: "jobs.*", members: { "share-here-a": true, "on-another-server": true } }));
    const b = await member("share-here-b", true);
    expect((await stored())?.members).toEqual({ "share-here-a": true, "on-another-server": true, "share-here-b": true });
    for (const c of [a, b]) {
      c.send({ cmd: "unsubscribe", messageId: 2, unsubscriptions: [FILTER] });
      expect(await c.next()).toMatchObject({ cmd: "unsuback" });
    }
    await eventually(async () => JSON.stringify((await stored())?.members) === JSON.stringify({ "on-another-server": true }));
    expect(await shareConsumers()).toHaveLength(1);
    a.end();
    b.end();
  });

  test("a delivery a connected member holds past ack_wait stays with it (reported in progress), not handed to another member", async () => {
    s = await server.restart({ ackWait: 300 });
    const slow = await member("share-slow-holder", true);
    await publishJobs(0, 1);
    const [held] = await receive([slow], 1, false);
    const other = await member("share-other-member", true);
    // Three ack waits later the other member still got nothing.
    await new Promise((r) => setTimeout(r, 900));
    await other.expectNothing(50);
    slow.send({ cmd: "puback", messageId: held![0]!.messageId! });
    await slow.expectNothing(400);
    await other.expectNothing(50);
    slow.end();
    other.end();
  });
});
