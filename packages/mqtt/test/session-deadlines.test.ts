import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import type { IConnectPacket } from "mqtt-packet";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Deadline } from "../src/deadline.js";
import { sessionHash } from "../src/session-store.js";
import { eventually, RawMqtt, RestartableServer, type MqttTestServer } from "./helpers.js";

let server: RestartableServer;
let nc: NatsConnection | undefined;
beforeEach(() => {
  server = new RestartableServer();
});
afterEach(async () => {
  await nc?.close();
  nc = undefined;
  await server.dispose();
});

const v5 = (clientId: string, properties: IConnectPacket["properties"], extra: Partial<IConnectPacket> = {}) => ({
  cmd: "connect" as const,
  protocolId: "MQTT" as const,
  protocolVersion: 5 as const,
  clean: false,
  clientId,
  keepalive: 0,
  properties,
  ...extra,
});

async function session(s: MqttTestServer, connect: ReturnType<typeof v5>, present = false): Promise<RawMqtt> {
  const c = await RawMqtt.open(s.port, 5);
  c.send(connect);
  expect(await c.next()).toMatchObject({ cmd: "connack", reasonCode: 0, sessionPresent: present });
  return c;
}

/** The stored record of a session, undefined when there is none. */
async function record(s: MqttTestServer, clientId: string): Promise<Record<string, unknown> | undefined> {
  nc ??= await connect({ servers: s.server.clientURL });
  const jsm = await jetstreamManager(nc);
  const m = await jsm.streams.getMessage("$MQTT_sess", { last_by_subj: `$MQTT.sess.${sessionHash(clientId)}` }).catch(() => null);
  return m === null ? undefined : (m.json() as Record<string, unknown>);
}

async function consumerCount(s: MqttTestServer): Promise<number> {
  nc ??= await connect({ servers: s.server.clientURL });
  const jsm = await jetstreamManager(nc);
  let n = 0;
  for await (const _ of jsm.consumers.list("$MQTT_msgs")) n++;
  return n;
}

async function subscribeQos1(c: RawMqtt, topic: string): Promise<void> {
  c.send({ cmd: "subscribe", messageId: 1, subscriptions: [{ topic, qos: 1 }] });
  expect(await c.next()).toMatchObject({ cmd: "suback", granted: [1] });
}

describe("MQTT 5.0 session expiry and will delay across a restart", () => {
  test("a detached session's deadline is stored; after a restart it ends on time without any client connecting", async () => {
    let s = await server.restart();
    const c = await session(s, v5("expiring", { sessionExpiryInterval: 2 }));
    await subscribeQos1(c, "expiring/t");
    c.send({ cmd: "disconnect", reasonCode: 0 });
    await c.whenClosed;
    await eventually(async () => typeof (await record(s, "expiring"))?.expires_at === "number");
    expect(await consumerCount(s)).toBe(1);
    await nc?.close();
    nc = undefined;
    s = await server.restart();
    expect(await record(s, "expiring")).toBeDefined();
    await eventually(async () => (await record(s, "expiring")) === undefined && (await consumerCount(s)) === 0, 4000);
    // The client finds no session.
    (await session(s, v5("expiring", { sessionExpiryInterval: 10 }), false)).end();
  });

  test("a session that expired while the server was down is gone at the next start", async () => {
    let s = await server.restart();
    const c = await session(s, v5("expired-down", { sessionExpiryInterval: 1 }));
    await subscribeQos1(c, "down/t");
    c.send({ cmd: "disconnect", reasonCode: 0 });
    await c.whenClosed;
    await eventually(async () => typeof (await record(s, "expired-down"))?.expires_at === "number");
    await nc?.close();
    nc = undefined;
    await server.current?.stop();
    server.current = undefined;
    await new Promise((r) => setTimeout(r, 1100));
    s = await server.restart();
    await eventually(async () => (await record(s, "expired-down")) === undefined && (await consumerCount(s)) === 0);
  });

  test("a session caught connected by a restart starts its expiry interval then; a resumed one is kept", async () => {
    let s = await server.restart();
    const gone = await session(s, v5("caught", { sessionExpiryInterval: 1 }));
    await subscribeQos1(gone, "caught/t");
    const kept = await session(s, v5("kept", { sessionExpiryInterval: 10 }));
    await subscribeQos1(kept, "kept/t");
    await eventually(async () => (await record(s, "kept")) !== undefined && (await record(s, "caught")) !== undefined);
    await nc?.close();
    nc = undefined;
    s = await server.restart(); // both connections die with the server
    // "kept" comes back in time: its session is present and stays.
    const back = await session(s, v5("kept", { sessionExpiryInterval: 10 }), true);
    await eventually(async () => (await record(s, "caught")) === undefined, 3000);
    expect(await record(s, "kept")).toBeDefined();
    back.end();
  });

  test("0xFFFFFFFF never expires: no deadline is stored", async () => {
    const s = await server.restart();
    const c = await session(s, v5("forever", { sessionExpiryInterval: 0xffffffff }));
    await subscribeQos1(c, "forever/t");
    c.send({ cmd: "disconnect", reasonCode: 0 });
    await c.whenClosed;
    await eventually(async () => (await record(s, "forever")) !== undefined);
    const rec = await record(s, "forever");
    expect(rec?.expires_at).toBeUndefined();
    expect(rec?.expiry_ms).toBeUndefined();
  });

  test("a delayed will pending at a restart is published at its time, not before", async () => {
    let s = await server.restart();
    const will = { topic: "wills/late", payload: Buffer.from("bye"), qos: 1 as const, retain: false, properties: { willDelayInterval: 3 } };
    const c = await session(s, v5("late-will", { sessionExpiryInterval: 60 }, { will }));
    const leftAt = Date.now();
    c.end(); // no DISCONNECT: the will is due in 3 s
    await eventually(async () => typeof ((await record(s, "late-will"))?.will as { at?: number } | undefined)?.at === "number");
    await nc?.close();
    nc = undefined;
    s = await server.restart();
    nc = await connect({ servers: s.server.clientURL });
    const sub = nc.subscribe("wills.late", { max: 1 });
    let msg: { at: number; text: string } | undefined;
    for await (const m of sub) msg = { at: Date.now(), text: m.string() };
    expect(msg?.text).toBe("bye");
    expect(msg!.at - leftAt).toBeGreaterThanOrEqual(2950);
    // Published once: the record no longer holds it, the session itself stays.
    await eventually(async () => {
      const rec = await record(s, "late-will");
      return rec !== undefined && rec.will === undefined;
    });
  });

  test("a delay beyond setTimeout's 24.8 days is waited out in steps", () => {
    vi.useFakeTimers();
    try {
      const fire = vi.fn();
      new Deadline(Date.now() + 3_000_000_000, fire);
      vi.advanceTimersByTime(2_147_483_647);
      expect(fire).not.toHaveBeenCalled();
      vi.advanceTimersByTime(3_000_000_000 - 2_147_483_647);
      expect(fire).toHaveBeenCalledTimes(1);
    } finally {
      vi.useRealTimers();
    }
  });

  test("garbage in stored records (deadlines, wills, shared subscription memberships) is skipped at start, not fatal", async () => {
    let s = await server.restart();
    (await session(s, v5("garbage-setup", { sessionExpiryInterval: 5 }))).end();
    nc ??= await connect({ servers: s.server.clientURL });
    const js = (await import("@nats-io/jetstream")).jetstream(nc);
    await js.publish(`$MQTT.sess.${sessionHash("bad-deadlines")}`, JSON.stringify({ id: "bad-deadlines", expires_at: "soon", expiry_ms: -5, will: { topic: "t", subject: "bad subject", payload: "eA==", qos: 1, at: 1 } }));
    await js.publish(`$MQTT.sess.${sessionHash("bad-will")}`, JSON.stringify({ id: "bad-will", will: { topic: "", subject: 7, at: "x" } }));
    await js.publish("$MQTT.sess.share.garbage", "not json");
    await js.publish("$MQTT.sess.share.mismatch", JSON.stringify({ group: "g", subject: "x", members: { a: true } }));
    await nc.close();
    nc = undefined;
    s = await server.restart();
    const c = await session(s, v5("bad-deadlines", { sessionExpiryInterval: 5 }), true);
    c.end();
    // The record that could not be read stays as it was: nothing was deleted for it.
    expect(await record(s, "bad-will")).toBeDefined();
  });
});
