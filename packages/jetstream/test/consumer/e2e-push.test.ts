import { afterEach, describe, expect, test } from "vitest";
import { AckPolicy, DeliverPolicy, type JsMsg, type PriorityPolicy } from "@nats-io/jetstream";
import { createInbox, type Msg } from "@nats-io/transport-node";
import { startJs, apiRequest, type JsTestServer } from "../helpers.js";

let t: JsTestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function publishN(s: JsTestServer, subject: string, n: number, size = 8): Promise<void> {
  const acks = [];
  for (let i = 1; i <= n; i++) acks.push(s.js.publish(subject, "x".repeat(size)));
  await Promise.all(acks);
}

describe("push consumers end to end", () => {
  test("TestJetStreamConsumerPushBound: push_bound follows the deliver subject's subscribers", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    const created = await apiRequest(t.nc, "$JS.API.CONSUMER.DURABLE.CREATE.TEST.dlc", { stream_name: "TEST", config: { durable_name: "dlc", deliver_subject: "d.X", ack_policy: "explicit" } });
    expect(created.error).toBeUndefined();
    const bound = async () => (await apiRequest(t!.nc, "$JS.API.CONSUMER.INFO.TEST.dlc")).push_bound === true;
    expect(await bound()).toBe(false);
    const sub = t.nc.subscribe("d.X");
    await t.nc.flush();
    expect(await bound()).toBe(true);
    sub.unsubscribe();
    await t.nc.flush();
    expect(await bound()).toBe(false);
  });

  test("durable push consumer delivers everything with explicit acks", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 50);
    const deliver = createInbox();
    await t.jsm.consumers.add("S", { durable_name: "p", deliver_subject: deliver, ack_policy: AckPolicy.Explicit });
    const c = await t.js.consumers.getPushConsumer("S", "p");
    const iter = await c.consume();
    let n = 0;
    for await (const m of iter) {
      m.ack();
      if (++n === 50) break;
    }
    await t.nc.flush();
    const info = await t.jsm.consumers.info("S", "p");
    expect(info.delivered.stream_seq).toBe(50);
  });

  test("ordered push consumer with flow control and heartbeats gets every message in order", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 2000, 1024);
    const c = await t.js.consumers.getPushConsumer("S");
    const iter = await c.consume();
    let expected = 1;
    let flowControl = 0;
    void (async () => {
      for await (const s of iter.status()) if (s.type === "flow_control") flowControl++;
    })();
    for await (const m of iter) {
      expect(m.seq).toBe(expected++);
      if (m.seq === 2000) break;
    }
    // 2 MB through a window that starts at 2 MB (32 MB / 16) needs at least one flow-control round
    expect(flowControl).toBeGreaterThan(0);
  });

  test("idle heartbeats carry the last sequences", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 3);
    const deliver = createInbox();
    const sub = t.nc.subscribe(deliver);
    await t.jsm.consumers.add("S", { name: "hb", deliver_subject: deliver, ack_policy: AckPolicy.None, idle_heartbeat: 100_000_000 });
    const got: Msg[] = [];
    for await (const m of sub) {
      got.push(m);
      if (m.headers?.code === 100) break;
    }
    const hb = got[got.length - 1];
    expect(got.length).toBe(4);
    expect(hb.subject).toBe(deliver);
    expect(hb.headers?.description).toBe("Idle Heartbeat");
    expect(hb.headers?.get("Nats-Last-Consumer")).toBe("3");
    expect(hb.headers?.get("Nats-Last-Stream")).toBe("3");
  });

  test("queue push consumer spreads messages over the group", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    const deliver = createInbox();
    await t.jsm.consumers.add("S", { durable_name: "q", deliver_subject: deliver, deliver_group: "workers", ack_policy: AckPolicy.Explicit });
    const counts = [0, 0];
    const done = new Promise<void>((resolve) => {
      let total = 0;
      for (const i of [0, 1]) {
        t!.nc.subscribe(deliver, {
          queue: "workers",
          callback: (_e, m) => {
            counts[i]++;
            m.respond();
            if (++total === 200) resolve();
          },
        });
      }
    });
    await t.nc.flush();
    await publishN(t, "s.a", 200);
    await done;
    expect(counts[0] + counts[1]).toBe(200);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[1]).toBeGreaterThan(0);
  });

  test("TestJetStreamConsumerRateLimit: rate_limit_bps slows a push consumer down", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 20, 1000);
    const deliver = createInbox();
    const sub = t.nc.subscribe(deliver, { max: 20 });
    const start = Date.now();
    await t.jsm.consumers.add("S", { name: "rl", deliver_subject: deliver, ack_policy: AckPolicy.None, rate_limit_bps: 80_000 });
    for await (const _m of sub) void _m;
    // 20 KB at 10 KB/s with a 10 KB burst takes about a second
    expect(Date.now() - start).toBeGreaterThan(700);
  });

  test("TestJetStreamConsumerPauseViaEndpoint: pause stops delivery, resume restarts it, advisories sent", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const adv = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.S.d", { max: 2 });
    const until = new Date(Date.now() + 60_000);
    const r = await t.jsm.consumers.pause("S", "d", until);
    expect(r.paused).toBe(true);
    expect((r as { pause_remaining?: number }).pause_remaining).toBeGreaterThan(0);
    const info = await t.jsm.consumers.info("S", "d");
    expect(info.paused).toBe(true);
    await publishN(t, "s.a", 3);
    const c = await t.js.consumers.get("S", "d");
    const during: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) during.push(m);
    expect(during.length).toBe(0);
    const resumed = await t.jsm.consumers.resume("S", "d");
    expect(resumed.paused).toBe(false);
    const after: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) after.push(m);
    expect(after.length).toBe(3);
    const events: boolean[] = [];
    for await (const m of adv) events.push(m.json<{ paused: boolean }>().paused);
    expect(events).toEqual([true, false]);
  });

  test("TestJetStreamConsumerPauseViaConfig: pause_until in the config starts paused and resumes by itself", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 2);
    const until = new Date(Date.now() + 400);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, pause_until: until.toISOString() });
    const c = await t.js.consumers.get("S", "d");
    const start = Date.now();
    const m = await c.next({ expires: 3000 });
    expect(m?.seq).toBe(1);
    expect(Date.now() - start).toBeGreaterThanOrEqual(250);
  });

  test("TestJetStreamConsumerPinned: the pinned client gets the messages, others wait; unpin moves the pin", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await t.jsm.consumers.add("S", {
      durable_name: "pin",
      ack_policy: AckPolicy.Explicit,
      priority_policy: "pinned_client" as PriorityPolicy,
      priority_groups: ["A"],
      priority_timeout: 10_000_000_000,
    });
    const pinned = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.PINNED.S.pin", { max: 1 });
    await publishN(t, "s.a", 10);
    const c = await t.js.consumers.get("S", "pin");
    const first: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 1000, group: "A" })) {
      first.push(m);
      m.ack();
    }
    expect(first.length).toBe(5);
    const pinId = first[0].headers?.get("Nats-Pin-Id");
    expect(pinId).toBeTruthy();
    for await (const a of pinned) expect(a.json<{ pinned_id: string }>().pinned_id).toBe(pinId);
    const groups = async () => ((await t!.jsm.consumers.info("S", "pin")) as unknown as { priority_groups?: { pinned_client_id?: string }[] }).priority_groups;
    expect((await groups())?.[0].pinned_client_id).toBe(pinId);
    // a raw request without the pin id is not served while the pin holds
    const other = t.nc.subscribe(createInbox());
    const raw = await apiRequest(t.nc, "$JS.API.CONSUMER.UNPIN.S.pin", { group: "A" });
    expect(raw.error).toBeUndefined();
    expect((await groups())?.[0].pinned_client_id).toBeUndefined();
    other.unsubscribe();
    const bad = await apiRequest(t.nc, "$JS.API.CONSUMER.UNPIN.S.pin", { group: "B" });
    expect(bad.error).toEqual({ code: 400, err_code: 10160, description: "Provided priority group does not exist for this consumer" });
  });

  test("TestJetStreamConsumerOverflow: a request with min_pending waits for a backlog", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await t.jsm.consumers.add("S", { durable_name: "ov", ack_policy: AckPolicy.Explicit, priority_policy: "overflow" as PriorityPolicy, priority_groups: ["A"] });
    await publishN(t, "s.a", 5);
    const c = await t.js.consumers.get("S", "ov");
    const none: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 1000, group: "A", min_pending: 10 })) none.push(m);
    expect(none.length).toBe(0);
    await publishN(t, "s.a", 10);
    const some: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 1000, group: "A", min_pending: 10 })) some.push(m);
    expect(some.length).toBe(5);
  });

  test("pull request checks answer with Go's status texts", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await t.jsm.consumers.add("S", { durable_name: "lim", ack_policy: AckPolicy.Explicit, max_batch: 2, max_expires: 1_000_000_000 });
    await t.jsm.consumers.add("S", { durable_name: "push", ack_policy: AckPolicy.Explicit, deliver_subject: "nowhere" });
    await t.jsm.consumers.add("S", { durable_name: "grp", ack_policy: AckPolicy.Explicit, priority_policy: "overflow" as PriorityPolicy, priority_groups: ["A"] });
    const status = async (consumer: string, body: unknown) => {
      const m = await t!.nc.request(`$JS.API.CONSUMER.MSG.NEXT.S.${consumer}`, JSON.stringify(body), { timeout: 2000 });
      return `${m.headers?.code} ${m.headers?.description}`;
    };
    expect(await status("lim", { batch: 5 })).toBe("409 Exceeded MaxRequestBatch of 2");
    expect(await status("lim", { batch: 1, expires: 5_000_000_000 })).toBe("409 Exceeded MaxRequestExpires of 1s");
    expect(await status("push", { batch: 1 })).toBe("409 Consumer is push based");
    expect(await status("grp", { batch: 1 })).toBe("400 Bad Request - Priority Group missing");
    expect(await status("grp", { batch: 1, group: "Z" })).toBe("400 Bad Request - Invalid Priority Group");
    expect(await status("lim", { batch: 1, idle_heartbeat: 2_000_000_000, expires: 1_000_000_000 })).toBe("400 Bad Request - heartbeat value too large");
  });

  test("ephemeral consumers go away after their inactive threshold", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await t.jsm.consumers.add("S", { name: "eph", ack_policy: AckPolicy.None, inactive_threshold: 200_000_000 });
    await t.jsm.consumers.add("S", { name: "push-eph", deliver_subject: "nobody.listens", ack_policy: AckPolicy.None, inactive_threshold: 200_000_000 });
    const deleted = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.DELETED.S.*", { max: 2 });
    const names: string[] = [];
    for await (const m of deleted) names.push(m.json<{ consumer: string }>().consumer);
    expect(names.sort()).toEqual(["eph", "push-eph"]);
    await expect(t.jsm.consumers.info("S", "eph")).rejects.toThrow(/consumer not found/);
  });

  test("deliver policy new on a push consumer only sees later messages", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 5);
    const deliver = createInbox();
    const sub = t.nc.subscribe(deliver, { max: 1 });
    await t.jsm.consumers.add("S", { name: "n", deliver_subject: deliver, deliver_policy: DeliverPolicy.New, ack_policy: AckPolicy.None });
    await publishN(t, "s.a", 1);
    for await (const m of sub) expect(m.headers).toBeUndefined();
    expect((await t.jsm.consumers.info("S", "n")).delivered.stream_seq).toBe(6);
  });

  test("TestJetStreamConsumerReplayRate: replay_policy original keeps the original gaps", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    for (let i = 0; i < 3; i++) {
      await t.js.publish("s.a", `m${i}`);
      await new Promise((r) => setTimeout(r, 150));
    }
    const deliver = createInbox();
    const sub = t.nc.subscribe(deliver, { max: 3 });
    await t.jsm.consumers.add("S", { name: "replay", deliver_subject: deliver, ack_policy: AckPolicy.None, replay_policy: "original" as never });
    const times: number[] = [];
    for await (const _m of sub) times.push(Date.now());
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(120);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(120);
  });

  test("TestJetStreamConsumerPinnedTTL: a pin not renewed within priority_timeout is dropped and given to the next requester", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await t.jsm.consumers.add("S", {
      durable_name: "pin",
      ack_policy: AckPolicy.Explicit,
      priority_policy: "pinned_client" as PriorityPolicy,
      priority_groups: ["A"],
      priority_timeout: 200_000_000,
    });
    await publishN(t, "s.a", 4);
    const unpinned = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.UNPINNED.S.pin", { max: 1 });
    const c = await t.js.consumers.get("S", "pin");
    const first = await c.next({ expires: 1000, group: "A" } as never);
    const firstPin = first?.headers?.get("Nats-Pin-Id");
    expect(firstPin).toBeTruthy();
    for await (const a of unpinned) expect(a.json()).toMatchObject({ consumer: "pin", group: "A", reason: "timeout" });
    const c2 = await t.js.consumers.get("S", "pin");
    const second = await c2.next({ expires: 1000, group: "A" } as never);
    const secondPin = second?.headers?.get("Nats-Pin-Id");
    expect(secondPin).toBeTruthy();
    expect(secondPin).not.toBe(firstPin);
  });

  test("deleting a consumer ends its waiting pull requests with 409 Consumer Deleted", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const sub = t.nc.subscribe("_INBOX.waiting", { max: 1 });
    await t.nc.flush();
    t.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.d", JSON.stringify({ batch: 1, expires: 10_000_000_000 }), { reply: "_INBOX.waiting" });
    await t.nc.flush();
    await expect.poll(async () => (await t!.jsm.consumers.info("S", "d")).num_waiting).toBe(1);
    await t.jsm.consumers.delete("S", "d");
    for await (const m of sub) {
      expect(m.headers?.code).toBe(409);
      expect(m.headers?.description).toBe("Consumer Deleted");
    }
  });
});
