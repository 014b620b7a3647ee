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
  test("after a restart: sessions expired while the server was down are gone at once, detached ones end on time without any client, those caught connected start their interval then, a resumed one stays, a pending delayed will goes out at its time", async () => {
    let s = await server.restart();
    const will = { topic: "wills/late", payload: Buffer.from("bye"), qos: 1 as const, retain: false, properties: { willDelayInterval: 3 } };
    const willClient = await session(s, v5("late-will", { sessionExpiryInterval: 60 }, { will }));
    const leftAt = Date.now();
    willClient.end(); // no DISCONNECT: the will is due in 3 s
    const detach = async (clientId: string, expiry: number) => {
      const c = await session(s, v5(clientId, { sessionExpiryInterval: expiry }));
      await subscribeQos1(c, `${clientId}/t`);
      c.send({ cmd: "disconnect", reasonCode: 0 });
      await c.whenClosed;
    };
    await detach("expired-down", 1);
    await detach("expiring", 3);
    await subscribeQos1(await session(s, v5("caught", { sessionExpiryInterval: 2 })), "caught/t");
    await subscribeQos1(await session(s, v5("kept", { sessionExpiryInterval: 10 })), "kept/t");
    // The deadlines of the detached sessions are in their records.
    await eventually(async () => typeof (await record(s, "expired-down"))?.expires_at === "number" && typeof (await record(s, "expiring"))?.expires_at === "number");
    expect(((await record(s, "late-will"))?.will as { at?: number } | undefined)?.at).toBeGreaterThan(leftAt);
    expect(await consumerCount(s)).toBe(4);
    await nc?.close();
    nc = undefined;
    await server.current?.stop(); // the connected ones die with the server
    server.current = undefined;
    await new Promise((r) => setTimeout(r, 1100));
    s = await server.restart();
    nc = await connect({ servers: s.server.clientURL });
    const wills = nc.subscribe("wills.late", { max: 1 });
    await eventually(async () => (await record(s, "expired-down")) === undefined);
    expect(await record(s, "expiring")).toBeDefined();
    expect(await record(s, "caught")).toBeDefined();
    // "kept" comes back in time: its session is present and stays.
    const back = await session(s, v5("kept", { sessionExpiryInterval: 10 }), true);
    await eventually(async () => (await record(s, "caught")) === undefined && (await record(s, "expiring")) === undefined && (await consumerCount(s)) === 1, 5000);
    expect(await record(s, "kept")).toBeDefined();
    // The client of an expired session finds none.
    (await session(s, v5("expiring", { sessionExpiryInterval: 10 }), false)).end();
    back.end();
    let got: { at: number; text: string } | undefined;
    for await (const m of wills) got = { at: Date.now(), text: m.string() };
    expect(got?.text).toBe("bye");
    expect(got!.at - leftAt).toBeGreaterThanOrEqual(2950);
    // Published once: the record no longer holds it, the session itself stays.
    await eventually(async () => {
      const rec = await record(s, "late-will");
      return rec !== undefined && rec.will === undefined;
    });
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
