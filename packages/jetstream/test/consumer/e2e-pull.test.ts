import { afterEach, describe, expect, test } from "vitest";
import { AckPolicy, DeliverPolicy, RetentionPolicy, type JsMsg } from "@nats-io/jetstream";
import { startJs, type JsTestServer } from "../helpers.js";

let t: JsTestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function publishN(s: JsTestServer, subject: string | ((i: number) => string), n: number, data = (i: number) => `m${i}`): Promise<void> {
  const acks = [];
  for (let i = 1; i <= n; i++) acks.push(s.js.publish(typeof subject === "string" ? subject : subject(i), data(i)));
  await Promise.all(acks);
}

describe("pull consumers end to end", () => {
  test("TestJetStreamConsumerCreate: consume with explicit acks drains the stream", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 100);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const c = await t.js.consumers.get("S", "d");
    const seen: number[] = [];
    const iter = await c.consume({ max_messages: 25 });
    for await (const m of iter) {
      seen.push(m.seq);
      m.ack();
      if (seen.length === 100) break;
    }
    expect(seen).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await t.nc.flush();
    const info = await t.jsm.consumers.info("S", "d");
    expect(info.num_pending).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    expect(info.delivered.stream_seq).toBe(100);
    expect(info.ack_floor.stream_seq).toBe(100);
  });

  test("TestJetStreamConsumerFilterSubject: filtered consumers see only their subjects", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, (i) => (i % 2 ? "s.odd" : "s.even"), 20);
    await t.jsm.consumers.add("S", { durable_name: "odd", ack_policy: AckPolicy.None, filter_subject: "s.odd" });
    await t.jsm.consumers.add("S", { name: "both", ack_policy: AckPolicy.None, filter_subjects: ["s.odd", "s.even"] });
    expect((await t.jsm.consumers.info("S", "odd")).num_pending).toBe(10);
    expect((await t.jsm.consumers.info("S", "both")).num_pending).toBe(20);
    const c = await t.js.consumers.get("S", "odd");
    const got: string[] = [];
    for await (const m of await c.fetch({ max_messages: 10, expires: 2000 })) got.push(m.subject);
    expect(new Set(got)).toEqual(new Set(["s.odd"]));
    expect(got.length).toBe(10);
  });

  test("deliver policies: last, new, by sequence, by time, last per subject", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, (i) => `s.${i % 3}`, 9);
    const first = async (name: string) => {
      const c = await t!.js.consumers.get("S", name);
      const out: number[] = [];
      const n = (await c.info()).num_pending;
      if (n === 0) return out;
      for await (const m of await c.fetch({ max_messages: n, expires: 1000 })) out.push(m.seq);
      return out;
    };
    await t.jsm.consumers.add("S", { name: "last", deliver_policy: DeliverPolicy.Last, ack_policy: AckPolicy.None });
    expect(await first("last")).toEqual([9]);
    await t.jsm.consumers.add("S", { name: "seq", deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 7, ack_policy: AckPolicy.None });
    expect(await first("seq")).toEqual([7, 8, 9]);
    await t.jsm.consumers.add("S", { name: "lps", deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: "s.>", ack_policy: AckPolicy.None });
    expect(await first("lps")).toEqual([7, 8, 9]);
    await t.jsm.consumers.add("S", { name: "new", deliver_policy: DeliverPolicy.New, ack_policy: AckPolicy.None });
    expect((await t.jsm.consumers.info("S", "new")).num_pending).toBe(0);
    await t.jsm.consumers.add("S", { name: "time", deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Date.now() - 60_000).toISOString(), ack_policy: AckPolicy.None });
    expect((await first("time")).length).toBe(9);
  });

  test("TestJetStreamConsumerPullMaxBytes: max_bytes limits a batch and ends with 409", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 10, () => "x".repeat(100));
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const c = await t.js.consumers.get("S", "d");
    const got: JsMsg[] = [];
    // Like Go, the request ends with 409 once the next message does not fit the remaining bytes;
    // fetch reports that as an error after yielding what fitted.
    await expect(
      (async () => {
        for await (const m of await c.fetch({ max_bytes: 450, expires: 2000 })) {
          got.push(m);
          m.ack();
        }
      })(),
    ).rejects.toThrow(/message size exceeds maxbytes/);
    // each message is 100 bytes of data plus subject and reply
    expect(got.length).toBeGreaterThan(0);
    expect(got.length).toBeLessThan(5);
  });

  test("TestJetStreamConsumerMaxAckPending: delivery stops at max_ack_pending until acks arrive", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 20);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, max_ack_pending: 5 });
    const c = await t.js.consumers.get("S", "d");
    const first: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 20, expires: 1000 })) first.push(m);
    expect(first.length).toBe(5);
    expect((await t.jsm.consumers.info("S", "d")).num_ack_pending).toBe(5);
    for (const m of first) m.ack();
    await t.nc.flush();
    const second: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 20, expires: 1000 })) second.push(m);
    expect(second.map((m) => m.seq)).toEqual([6, 7, 8, 9, 10]);
  });

  test("ack all acknowledges everything below", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 10);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.All });
    const c = await t.js.consumers.get("S", "d");
    const got: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 10, expires: 1000 })) got.push(m);
    got[6].ack();
    await t.nc.flush();
    const info = await t.jsm.consumers.info("S", "d");
    expect(info.ack_floor.stream_seq).toBe(7);
    expect(info.num_ack_pending).toBe(3);
  });

  test("next() returns one message at a time and null when nothing is there", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 2);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const c = await t.js.consumers.get("S", "d");
    expect((await c.next({ expires: 1000 }))?.seq).toBe(1);
    expect((await c.next({ expires: 1000 }))?.seq).toBe(2);
    expect(await c.next({ expires: 1000 })).toBeNull();
  });

  test("ordered consumer reads the stream in order", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 50);
    const c = await t.js.consumers.get("S");
    const seqs: number[] = [];
    const iter = await c.consume();
    for await (const m of iter) {
      seqs.push(m.seq);
      if (seqs.length === 50) break;
    }
    expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
  });

  test("ordered consumer continues after a server restart", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 50);
    await t.restart();
    let c;
    await publishN(t, "s.a", 5);
    c = await t.js.consumers.get("S", { opt_start_seq: 51 });
    const after: number[] = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 2000 })) after.push(m.seq);
    expect(after).toEqual([51, 52, 53, 54, 55]);
  });

  test("TestJetStreamConsumerDurableReconnect: a durable resumes after a restart with its pending acks", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 10);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, ack_wait: 500_000_000 });
    let c = await t.js.consumers.get("S", "d");
    const got: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 5, expires: 1000 })) got.push(m);
    got[0].ack();
    got[1].ack();
    await t.nc.flush();
    await new Promise((r) => setTimeout(r, 60));
    await t.restart();
    const info = await t.jsm.consumers.info("S", "d");
    expect(info.delivered.stream_seq).toBe(5);
    expect(info.ack_floor.stream_seq).toBe(2);
    expect(info.num_ack_pending).toBe(3);
    expect(info.num_pending).toBe(5);
    c = await t.js.consumers.get("S", "d");
    // the restored pending messages come back once their ack wait (counted from the first delivery) ran out
    await new Promise((r) => setTimeout(r, 600));
    const redelivered: JsMsg[] = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 2000 })) redelivered.push(m);
    expect(redelivered.map((m) => [m.seq, m.info.redelivered])).toEqual([
      [3, true],
      [4, true],
      [5, true],
    ]);
  });

  test("TestJetStreamConsumerMaxDeliveryAndServerRestart: backoff schedule and max_deliver", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 1);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, backoff: [100_000_000, 300_000_000], max_deliver: 3 });
    const c = await t.js.consumers.get("S", "d");
    const times: number[] = [];
    const start = Date.now();
    const iter = await c.consume({ max_messages: 1, expires: 1000 });
    for await (const m of iter) {
      times.push(Date.now() - start);
      if (m.info.deliveryCount === 3) break;
    }
    expect(times.length).toBe(3);
    // second delivery after the first backoff, third after the second
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(90);
    expect(times[2] - times[1]).toBeGreaterThanOrEqual(280);
  });

  test("10 consumers on one stream each see every message", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 50);
    for (let i = 0; i < 10; i++) await t.jsm.consumers.add("S", { durable_name: `c${i}`, ack_policy: AckPolicy.Explicit });
    const counts = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const c = await t!.js.consumers.get("S", `c${i}`);
        let n = 0;
        for await (const m of await c.fetch({ max_messages: 50, expires: 2000 })) {
          n++;
          m.ack();
        }
        return n;
      }),
    );
    expect(counts).toEqual(Array(10).fill(50));
    const names: string[] = [];
    for await (const n of t.jsm.consumers.list("S")) names.push(n.name);
    expect(names.length).toBe(10);
  });

  test("TestJetStreamConsumerCleanupWithRetentionPolicy: interest retention drops acked messages", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"], retention: RetentionPolicy.Interest });
    await t.jsm.consumers.add("S", { durable_name: "a", ack_policy: AckPolicy.Explicit });
    await t.jsm.consumers.add("S", { durable_name: "b", ack_policy: AckPolicy.Explicit });
    await publishN(t, "s.a", 10);
    expect((await t.jsm.streams.info("S")).state.messages).toBe(10);
    for (const name of ["a", "b"]) {
      const c = await t.js.consumers.get("S", name);
      for await (const m of await c.fetch({ max_messages: 10, expires: 1000 })) await m.ackAck();
      const left = (await t.jsm.streams.info("S")).state.messages;
      expect(left).toBe(name === "a" ? 10 : 0);
    }
  });

  test("workqueue retention: ack removes, overlapping consumers are refused", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "W", subjects: ["w.>"], retention: RetentionPolicy.Workqueue });
    await publishN(t, "w.a", 10);
    await t.jsm.consumers.add("W", { durable_name: "a", ack_policy: AckPolicy.Explicit, filter_subject: "w.a" });
    await expect(t.jsm.consumers.add("W", { durable_name: "b", ack_policy: AckPolicy.Explicit, filter_subject: "w.>" })).rejects.toThrow(
      /filtered consumer not unique on workqueue stream/,
    );
    await expect(t.jsm.consumers.add("W", { durable_name: "c", ack_policy: AckPolicy.Explicit })).rejects.toThrow(
      /multiple non-filtered consumers not allowed on workqueue stream/,
    );
    const c = await t.js.consumers.get("W", "a");
    for await (const m of await c.fetch({ max_messages: 4, expires: 1000 })) await m.ackAck();
    expect((await t.jsm.streams.info("W")).state.messages).toBe(6);
  });

  test("deleting a consumer: a work queue keeps its messages, an interest stream drops what nobody wants", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "W", subjects: ["w.>"], retention: RetentionPolicy.Workqueue });
    await t.jsm.consumers.add("W", { durable_name: "a", ack_policy: AckPolicy.Explicit });
    await publishN(t, "w.a", 5);
    await t.jsm.consumers.delete("W", "a");
    expect((await t.jsm.streams.info("W")).state.messages).toBe(5);

    await t.jsm.streams.add({ name: "I", subjects: ["i.>"], retention: RetentionPolicy.Interest });
    await t.jsm.consumers.add("I", { durable_name: "all", ack_policy: AckPolicy.Explicit });
    await t.jsm.consumers.add("I", { durable_name: "b", ack_policy: AckPolicy.Explicit, filter_subject: "i.b" });
    await publishN(t, (i) => (i % 2 ? "i.a" : "i.b"), 6);
    const c = await t.js.consumers.get("I", "all");
    for await (const m of await c.fetch({ max_messages: 6, expires: 1000 })) await m.ackAck();
    // "b" still holds its three messages
    expect((await t.jsm.streams.info("I")).state.messages).toBe(3);
    await t.jsm.consumers.delete("I", "b");
    expect((await t.jsm.streams.info("I")).state.messages).toBe(0);
  });

  test("TestJetStreamInterestStreamConsumerFilterEdit: narrowing a filter on an interest stream drops unwanted messages", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "INTEREST", subjects: ["interest.>"], retention: RetentionPolicy.Interest });
    await t.jsm.consumers.add("INTEREST", { durable_name: "C0", ack_policy: AckPolicy.Explicit, filter_subject: "interest.>" });
    for (let i = 0; i < 10; i++) await t.js.publish(`interest.${i}`, String(i));
    expect((await t.jsm.streams.info("INTEREST")).state.messages).toBe(10);
    await t.jsm.consumers.update("INTEREST", "C0", { filter_subject: "interest.1" });
    expect((await t.jsm.streams.info("INTEREST")).state.messages).toBe(1);
  });

  test("garbage pull requests and acks never break a consumer", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.>"] });
    await publishN(t, "s.a", 3);
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const garbage = [
      "", "{", "[]", "null", "-5", "1e999", '"x"', "{\"batch\":\"x\"}", "{\"batch\":-3,\"max_bytes\":-1}", "{\"expires\":1e300,\"batch\":1}",
      "{\"expires\":-1,\"idle_heartbeat\":-1}", "{\"group\":5,\"id\":{},\"priority\":99}", "\u0000\u00ff", "{".repeat(5000),
    ];
    const inboxSub = t.nc.subscribe("_INBOX.garbage.*");
    for (const [i, body] of garbage.entries()) t.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.d", body, { reply: `_INBOX.garbage.${i}` });
    for (const subject of ["$JS.ACK.S.d", "$JS.ACK.S.d.x.y.z.1.2", "$JS.ACK.S.d.1.999999.1.0.0", "$JS.ACK.S.d.1.1.1.0.0.extra", "$JS.ACK.S.d.99999999999999999999.1.1.0.0"]) {
      for (const body of ["", "-NAK {", "-NAK {\"delay\":\"soon\"}", "-NAK later", "+TERM", "+NXT {", "+WPI", "bogus"]) t.nc.publish(subject, body);
    }
    await t.nc.flush();
    inboxSub.unsubscribe();
    // the consumer and the stream still work
    const info = await t.jsm.consumers.info("S", "d");
    expect(info.delivered.stream_seq).toBeLessThanOrEqual(3);
    expect(info.ack_floor.stream_seq).toBeLessThanOrEqual(info.delivered.stream_seq);
    await t.jsm.consumers.delete("S", "d");
    await t.jsm.consumers.add("S", { durable_name: "d2", ack_policy: AckPolicy.Explicit });
    const c = await t.js.consumers.get("S", "d2");
    const seqs: number[] = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) {
      seqs.push(m.seq);
      m.ack();
    }
    expect(seqs).toEqual([1, 2, 3]);
    expect((await t.jsm.streams.info("S")).state.messages).toBe(3);
  });
});
