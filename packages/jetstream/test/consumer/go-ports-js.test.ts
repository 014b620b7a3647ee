import { afterEach, describe, expect, test } from "vitest";
import { AckPolicy, RetentionPolicy } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { apiRequest, startJs, type JsTestServer } from "../helpers.js";

// Consumer tests of the Go server's jetstream_test.go, ported.

let t: JsTestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const NEXT = (stream: string, consumer: string) => `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;

/** A subscription on a fresh inbox with a "next message within ms" helper. */
async function inbox(nc: NatsConnection): Promise<{ subject: string; next(ms?: number): Promise<Msg | undefined> }> {
  const subject = createInbox();
  const sub = nc.subscribe(subject);
  const iter = sub[Symbol.asyncIterator]();
  await nc.flush();
  return {
    subject,
    next: (ms = 1000) => Promise.race([iter.next().then((r) => r.value as Msg), new Promise<undefined>((r) => setTimeout(() => r(undefined), ms))]),
  };
}

describe("Go JetStream consumer tests, ported", () => {
  test("TestJetStreamAckNext: +NXT acks and asks for more on the same inbox", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "ACKNXT", subjects: ["ACKNXT"] });
    await t.jsm.consumers.add("ACKNXT", { durable_name: "worker", ack_policy: AckPolicy.Explicit });
    for (let i = 0; i < 12; i++) await t.js.publish("ACKNXT", `msg ${i}`);
    const q = await inbox(t.nc);
    t.nc.publish(NEXT("ACKNXT", "worker"), "1", { reply: q.subject });
    const first = (await q.next())!;
    t.nc.publish(first.reply!, "+NXT", { reply: q.subject });
    const second = (await q.next())!;
    expect(second.string()).toBe("msg 1");
    expect((await t.jsm.consumers.info("ACKNXT", "worker")).ack_floor.stream_seq).toBe(1);
    t.nc.publish(second.reply!, "+NXT 5", { reply: q.subject });
    const batch: string[] = [];
    for (let i = 0; i < 5; i++) batch.push((await q.next())!.string());
    expect(batch).toEqual(["msg 2", "msg 3", "msg 4", "msg 5", "msg 6"]);
  });

  test("TestJetStreamAckReplyStreamPending: the ack reply carries the messages still pending", async () => {
    t = await startJs();
    // Go's version also sets max_age 1s; left out here so a slow machine can not expire messages mid-test.
    await t.jsm.streams.add({ name: "MY_WQ", subjects: ["foo.*"], retention: RetentionPolicy.Workqueue });
    for (let i = 0; i < 100; i++) await t.js.publish("foo.1", "Hello World!");
    await t.jsm.consumers.add("MY_WQ", { durable_name: "PBO", ack_policy: AckPolicy.Explicit });
    const q = await inbox(t.nc);
    const expectPending = async (ep: number) => {
      expect((await t!.jsm.consumers.info("MY_WQ", "PBO")).num_pending).toBe(ep + 1);
      t!.nc.publish(NEXT("MY_WQ", "PBO"), "", { reply: q.subject });
      const m = (await q.next())!;
      expect(Number(m.reply!.split(".").pop())).toBe(ep);
    };
    await expectPending(99);
    for (let i = 0; i < 100; i++) await t.js.publish("foo.1", "Hello World!");
    await expectPending(198);
  });

  test("TestJetStreamCanNotNakAckd: a nak for an acked or unknown message changes nothing", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "DC", subjects: ["DC"] });
    for (let i = 0; i < 10; i++) await t.js.publish("DC", "OK!");
    await t.jsm.consumers.add("DC", { durable_name: "WQ", ack_policy: AckPolicy.Explicit });
    const q = await inbox(t.nc);
    for (let i = 1; i <= 10; i++) {
      t.nc.publish(NEXT("DC", "WQ"), "", { reply: q.subject });
      const m = (await q.next())!;
      if (i % 2 === 0) m.respond();
    }
    await t.nc.flush();
    for (const seq of [2, 4, 6, 8, 10, 22]) {
      t.nc.publish(`$JS.ACK.DC.WQ.1.${seq}.${seq}.0.0`, "-NAK");
      await t.nc.flush();
      t.nc.publish(NEXT("DC", "WQ"), JSON.stringify({ batch: 1, no_wait: true }), { reply: q.subject });
      const m = (await q.next())!;
      // nothing to redeliver: the request ends without a message
      expect(m.headers?.code).toBe(404);
    }
  });

  test("TestJetStreamMaxConsumers: the stream's max_consumers is enforced, updates of existing ones still work", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MAXC", subjects: ["in.maxc.>"], max_consumers: 2 });
    await t.jsm.consumers.add("MAXC", { durable_name: "maxc_foo", ack_policy: AckPolicy.Explicit, filter_subject: "in.maxc.foo" });
    const req = { stream_name: "MAXC", config: { durable_name: "maxc_baz" }, action: "create" };
    expect((await apiRequest(t.nc, "$JS.API.CONSUMER.DURABLE.CREATE.MAXC.maxc_baz", req)).error).toBeUndefined();
    expect((await apiRequest(t.nc, "$JS.API.CONSUMER.DURABLE.CREATE.MAXC.maxc_baz", req)).error).toBeUndefined();
    const third = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.MAXC", { stream_name: "MAXC", config: { ack_policy: "none", deliver_subject: "x" } });
    expect(third.error).toEqual({ code: 400, err_code: 10026, description: "maximum consumers limit reached" });
  });

  test("TestJetStreamRedeliverCount: each redelivery raises the delivery count in the ack reply", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "DC", subjects: ["DC"] });
    await t.js.publish("DC", "OK!");
    await t.jsm.consumers.add("DC", { durable_name: "dur", ack_policy: AckPolicy.Explicit });
    const q = await inbox(t.nc);
    for (let i = 1; i <= 10; i++) {
      t.nc.publish(NEXT("DC", "dur"), "", { reply: q.subject });
      const m = (await q.next())!;
      expect(Number(m.reply!.split(".")[4])).toBe(i);
      m.respond(new TextEncoder().encode("-NAK"));
      await t.nc.flush();
    }
  });

  test("TestJetStreamWorkQueueTerminateDelivery: +TERM stops redelivery and sends the TERMINATED advisory", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_WQ", subjects: ["foo"], retention: RetentionPolicy.Workqueue });
    await t.js.publish("foo", "Hello World!");
    await t.jsm.consumers.add("MY_WQ", { durable_name: "PBO", ack_policy: AckPolicy.Explicit, ack_wait: 100_000_000 });
    const adv = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.MSG_TERMINATED.MY_WQ.PBO", { max: 1 });
    const q = await inbox(t.nc);
    t.nc.publish(NEXT("MY_WQ", "PBO"), "", { reply: q.subject });
    const m = (await q.next())!;
    m.respond(new TextEncoder().encode("+TERM too bad"));
    for await (const a of adv) {
      expect(a.json()).toMatchObject({ type: "io.nats.jetstream.advisory.v1.terminated", stream: "MY_WQ", consumer: "PBO", consumer_seq: 1, stream_seq: 1, deliveries: 1, reason: "too bad" });
    }
    await new Promise((r) => setTimeout(r, 150));
    t.nc.publish(NEXT("MY_WQ", "PBO"), JSON.stringify({ batch: 1, no_wait: true }), { reply: q.subject });
    expect((await q.next())!.headers?.code).toBe(404);
    // terminated counts as acknowledged on a work queue
    expect((await t.jsm.streams.info("MY_WQ")).state.messages).toBe(0);
  });

  test("TestJetStreamInterestRetentionStreamWithFilteredConsumers: filtered consumers only hold their own subjects", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "DC", subjects: ["foo", "bar"], retention: RetentionPolicy.Interest });
    await t.jsm.consumers.add("DC", { durable_name: "foo", ack_policy: AckPolicy.Explicit, filter_subject: "foo" });
    await t.jsm.consumers.add("DC", { durable_name: "bar", ack_policy: AckPolicy.Explicit, filter_subject: "bar" });
    for (let i = 0; i < 5; i++) {
      await t.js.publish("foo", "x");
      await t.js.publish("bar", "x");
    }
    expect((await t.jsm.streams.info("DC")).state.messages).toBe(10);
    const c = await t.js.consumers.get("DC", "foo");
    for await (const m of await c.fetch({ max_messages: 5, expires: 1000 })) await m.ackAck();
    expect((await t.jsm.streams.info("DC")).state.messages).toBe(5);
  });

  test("TestJetStreamAckAllRedelivery: ack all of the last message clears every earlier one", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["foo"] });
    for (let i = 0; i < 100; i++) await t.js.publish("foo", "x");
    await t.jsm.consumers.add("S", { durable_name: "dlc", ack_policy: AckPolicy.All, ack_wait: 100_000_000 });
    const c = await t.js.consumers.get("S", "dlc");
    let last;
    for await (const m of await c.fetch({ max_messages: 100, expires: 1000 })) last = m;
    await new Promise((r) => setTimeout(r, 150));
    // redeliveries have started; acking the highest first delivery acks everything below
    await last!.ackAck();
    const info = await t.jsm.consumers.info("S", "dlc");
    expect(info.ack_floor.stream_seq).toBe(100);
    expect(info.num_ack_pending).toBe(0);
  });

  test("TestJetStreamPushConsumerIdleHeartbeatsWithNoInterest: no heartbeats without a subscriber", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["foo"] });
    const deliver = createInbox();
    await t.jsm.consumers.add("S", { durable_name: "dlc", deliver_subject: deliver, ack_policy: AckPolicy.Explicit, idle_heartbeat: 100_000_000 });
    await new Promise((r) => setTimeout(r, 300));
    const q = t.nc.subscribe(deliver);
    const got: Msg[] = [];
    const done = (async () => {
      for await (const m of q) got.push(m);
    })();
    await new Promise((r) => setTimeout(r, 350));
    q.unsubscribe();
    await done;
    // once someone listens, heartbeats flow
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.every((m) => m.headers?.code === 100)).toBe(true);
  });

  test("TestJetStreamEphemeralPullConsumers: an ephemeral pull consumer goes away after inactivity", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "EC", subjects: ["EC"] });
    for (let i = 0; i < 3; i++) await t.js.publish("EC", "x");
    const ci = await t.jsm.consumers.add("EC", { ack_policy: AckPolicy.Explicit, inactive_threshold: 300_000_000 });
    expect(ci.config.inactive_threshold).toBe(300_000_000);
    expect(ci.name).toMatch(/^[A-Za-z0-9]{8}$/);
    await expect
      .poll(async () => t!.jsm.consumers.info("EC", ci.name).then(() => "alive", (e: Error) => e.message), { timeout: 5000, interval: 100 })
      .toMatch(/consumer not found/);
  });

  test("TestJetStreamPushConsumersPullError: a pull request to a push consumer gets 409", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["TEST"] });
    await t.js.publish("TEST", "TSS");
    const ci = await t.jsm.consumers.add("TEST", { deliver_subject: createInbox(), ack_policy: AckPolicy.Explicit });
    const m = await t.nc.request(NEXT("TEST", ci.name), "", { timeout: 1000 });
    expect(m.headers?.code).toBe(409);
  });

  test("TestJetStreamChangeConsumerType: pull and push consumers can not switch kinds", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["test.*"] });
    await t.jsm.consumers.add("TEST", { name: "pull", ack_policy: AckPolicy.Explicit });
    const toPush = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.TEST.pull", { stream_name: "TEST", config: { name: "pull", ack_policy: "explicit", deliver_subject: "foo" }, action: "update" });
    expect(toPush.error?.description).toContain("can not update pull consumer to push based");
    await t.jsm.consumers.add("TEST", { name: "push", ack_policy: AckPolicy.Explicit, deliver_subject: "foo" });
    const toPull = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.TEST.push", { stream_name: "TEST", config: { name: "push", ack_policy: "explicit" }, action: "update" });
    expect(toPull.error?.description).toContain("can not update push consumer to pull based");
  });

  test("TestJetStreamRedeliverAndLateAck: a late ack still settles a redelivered message", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "LA", subjects: ["LA"] });
    await t.jsm.consumers.add("LA", { durable_name: "DDD", ack_policy: AckPolicy.Explicit, ack_wait: 100_000_000 });
    await t.js.publish("LA", "Hello World!");
    const q = await inbox(t.nc);
    t.nc.publish(NEXT("LA", "DDD"), "", { reply: q.subject });
    const m = (await q.next())!;
    await new Promise((r) => setTimeout(r, 150));
    await t.nc.request(m.reply!, "+ACK", { timeout: 1000 });
    t.nc.publish(NEXT("LA", "DDD"), JSON.stringify({ batch: 1, no_wait: true }), { reply: q.subject });
    expect((await q.next())!.headers?.code).toBe(404);
  });

  test("TestJetStreamStreamPurgeWithConsumer: a purge clears pending and lifts the floors to the stream's end", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "DC", subjects: ["DC"] });
    const acks = [];
    for (let i = 0; i < 100; i++) acks.push(t.js.publish("DC", "OK!"));
    await Promise.all(acks);
    await t.jsm.consumers.add("DC", { durable_name: "WQ", ack_policy: AckPolicy.Explicit });
    const q = await inbox(t.nc);
    for (let i = 0; i < 75; i++) {
      t.nc.publish(NEXT("DC", "WQ"), "", { reply: q.subject });
      const m = (await q.next())!;
      if (i < 50) await t.nc.request(m.reply!, "+ACK", { timeout: 1000 });
    }
    let info = await t.jsm.consumers.info("DC", "WQ");
    expect(info.ack_floor.consumer_seq).toBe(50);
    expect(info.num_ack_pending).toBe(25);
    await t.jsm.streams.purge("DC");
    info = await t.jsm.consumers.info("DC", "WQ");
    expect(info.num_ack_pending).toBe(0);
    expect(info.delivered.stream_seq).toBe(100);
    expect(info.ack_floor.stream_seq).toBe(100);
    expect(info.ack_floor.consumer_seq).toBe(75);
    await t.js.publish("DC", "OK-22");
    t.nc.publish(NEXT("DC", "WQ"), "", { reply: q.subject });
    expect((await q.next())!.string()).toBe("OK-22");
  });

  test("TestJetStreamWorkQueueWorkingIndicator: +WPI keeps a message from being redelivered", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_WQ", subjects: ["MY_WQ"], retention: RetentionPolicy.Workqueue });
    await t.js.publish("MY_WQ", "Hello World!");
    await t.js.publish("MY_WQ", "Hello World!");
    // Go uses 100 ms; three times that keeps the test meaningful on a busy machine
    const ackWait = 300;
    await t.jsm.consumers.add("MY_WQ", { durable_name: "PBO", ack_policy: AckPolicy.Explicit, ack_wait: ackWait * 1_000_000 });
    const q = await inbox(t.nc);
    const getMsg = async (sseq: number, dseq: number) => {
      t!.nc.publish(NEXT("MY_WQ", "PBO"), "", { reply: q.subject });
      const m = (await q.next(2000))!;
      const tokens = m.reply!.split(".");
      expect(Number(tokens[6])).toBe(dseq);
      expect(Number(tokens[5])).toBe(sseq);
      return m;
    };
    await getMsg(1, 1);
    await new Promise((r) => setTimeout(r, ackWait * 2));
    let m = await getMsg(1, 2);
    const until = Date.now() + 3 * ackWait;
    while (Date.now() < until) {
      m.respond(new TextEncoder().encode("+WPI"));
      await t.nc.flush();
      await new Promise((r) => setTimeout(r, ackWait / 5));
    }
    const m2 = await getMsg(2, 3);
    await new Promise((r) => setTimeout(r, ackWait / 2));
    m2.respond(new TextEncoder().encode("+WPI"));
    m = await getMsg(1, 4);
    m.respond();
    await getMsg(2, 5);
  });

  test("TestJetStreamWorkQueueNakRedelivery: a nak puts the message right back at the front", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_WQ", subjects: ["MY_WQ"], retention: RetentionPolicy.Workqueue });
    for (let i = 0; i < 10; i++) await t.js.publish("MY_WQ", "Hello World!");
    await t.jsm.consumers.add("MY_WQ", { durable_name: "PBO", ack_policy: AckPolicy.Explicit });
    const q = await inbox(t.nc);
    const getMsg = async (sseq: number, dseq: number) => {
      t!.nc.publish(NEXT("MY_WQ", "PBO"), "", { reply: q.subject });
      const m = (await q.next())!;
      const tokens = m.reply!.split(".");
      expect([Number(tokens[5]), Number(tokens[6])]).toEqual([sseq, dseq]);
      return m;
    };
    for (let i = 1; i <= 5; i++) (await getMsg(i, i)).respond();
    (await getMsg(6, 6)).respond(new TextEncoder().encode("-NAK"));
    await t.nc.flush();
    await getMsg(6, 7);
    await getMsg(7, 8);
    await getMsg(8, 9);
  });

  test("TestJetStreamWorkQueueRequestBatch: a numeric batch request, also one waiting across a purge", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_MSG_SET", subjects: ["foo", "bar"] });
    await t.jsm.consumers.add("MY_MSG_SET", { durable_name: "WQ", ack_policy: AckPolicy.Explicit });
    for (let i = 0; i < 100; i++) await t.js.publish("bar", "Hello World!");
    const count = async (subject: string, expected: number) => {
      let n = 0;
      const sub = t!.nc.subscribe(subject, { callback: () => void n++ });
      await t!.nc.flush();
      return { sub, done: () => expect.poll(() => n, { timeout: 2000 }).toBe(expected) };
    };
    const first = await count("_INBOX.batch1", 50);
    t.nc.publish(NEXT("MY_MSG_SET", "WQ"), "50", { reply: "_INBOX.batch1" });
    await first.done();
    const second = await count("_INBOX.batch2", 50);
    await t.jsm.streams.purge("MY_MSG_SET");
    t.nc.publish(NEXT("MY_MSG_SET", "WQ"), "50", { reply: "_INBOX.batch2" });
    await t.nc.flush();
    for (let i = 0; i < 100; i++) await t.js.publish("bar", "Hello World!");
    await second.done();
  });

  test("TestJetStreamPushConsumerIdleHeartbeats: heartbeats under 100ms are refused, 100ms ones flow", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["TEST"] });
    const deliver = createInbox();
    const bad = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.TEST", { stream_name: "TEST", config: { deliver_subject: deliver, idle_heartbeat: 1_000_000 } });
    expect(bad.error?.err_code).toBe(10083);
    const beats: Msg[] = [];
    t.nc.subscribe(deliver, { callback: (_e, m) => void beats.push(m) });
    await t.nc.flush();
    const ok = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.TEST", { stream_name: "TEST", config: { deliver_subject: deliver, idle_heartbeat: 100_000_000 } });
    expect(ok.error).toBeUndefined();
    await expect.poll(() => beats.length, { timeout: 3000 }).toBeGreaterThanOrEqual(9);
    expect(beats[0].headers?.code).toBe(100);
    expect(beats[0].headers?.description).toBe("Idle Heartbeat");
  });

  test("TestJetStreamRedeliveryAfterServerRestart: unacked push deliveries come back after a restart", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MYQ", subjects: ["MYQ"] });
    for (let i = 0; i < 25; i++) await t.js.publish("MYQ", "Hello World!");
    const deliver = createInbox();
    let first = 0;
    t.nc.subscribe(deliver, { callback: () => void first++ });
    await t.nc.flush();
    await t.jsm.consumers.add("MYQ", { durable_name: "TO", deliver_subject: deliver, ack_policy: AckPolicy.Explicit, ack_wait: 100_000_000 });
    await expect.poll(() => first, { timeout: 2000 }).toBe(25);
    await t.restart();
    let again = 0;
    t.nc.subscribe(deliver, { callback: () => void again++ });
    await expect.poll(() => again, { timeout: 3000 }).toBeGreaterThanOrEqual(25);
  });

  test("TestJetStreamAckExplicitMsgRemoval: an interest stream keeps a message until every consumer acked it", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_STREAM", subjects: ["foo.*"], retention: RetentionPolicy.Interest });
    const inboxes = [createInbox(), createInbox()];
    const got: Msg[][] = [[], []];
    inboxes.forEach((s, i) => t!.nc.subscribe(s, { callback: (_e, m) => void got[i].push(m) }));
    await t.nc.flush();
    await t.jsm.consumers.add("MY_STREAM", { durable_name: "dur1", deliver_subject: inboxes[0], filter_subject: "foo.bar", ack_policy: AckPolicy.Explicit });
    await t.jsm.consumers.add("MY_STREAM", { durable_name: "dur2", deliver_subject: inboxes[1], filter_subject: "foo.bar", ack_policy: AckPolicy.Explicit, ack_wait: 100_000_000 });
    for (let i = 1; i <= 20; i++) expect((await t.js.publish("foo.bar", `msg_${i}`)).seq).toBe(i);
    expect((await t.jsm.streams.info("MY_STREAM")).state.messages).toBe(20);
    // dur2's short ack wait may redeliver before the acks arrive: ack every copy, count distinct sequences
    const streamSeq = (m: Msg) => Number(m.reply!.split(".")[5]);
    for (const [i, msgs] of got.entries()) {
      await expect.poll(() => new Set(msgs.map(streamSeq)).size, { timeout: 2000 }).toBe(20);
      for (const m of msgs) m.respond();
      await t.nc.flush();
      const left = (await t.jsm.streams.info("MY_STREAM")).state.messages;
      expect(left).toBe(i === 0 ? 20 : 0);
    }
  });
});
