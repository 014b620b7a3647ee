import { afterEach, describe, expect, test } from "vitest";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AckPolicy, RetentionPolicy } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { apiRequest, startJs, type JsTestServer } from "../helpers.js";

let t: JsTestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

const NEXT = (stream: string, consumer: string) => `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer}`;

/** Subscribes to a fresh inbox and returns a function that waits for its next message. */
async function inbox(nc: NatsConnection): Promise<{ subject: string; next(ms?: number): Promise<Msg>; close(): void }> {
  const subject = createInbox();
  const sub = nc.subscribe(subject);
  const iter = sub[Symbol.asyncIterator]();
  await nc.flush();
  return {
    subject,
    close: () => sub.unsubscribe(),
    next: (ms = 2000) =>
      Promise.race([
        iter.next().then((r) => r.value as Msg),
        new Promise<Msg>((_, reject) => setTimeout(() => reject(new Error("timed out waiting for a message")), ms)),
      ]),
  };
}

describe("Go consumer tests, ported", () => {
  test("TestJetStreamConsumerPullTimeoutHeaders: 408 carries what is left of batch and bytes", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo.>"] });
    await t.jsm.consumers.add("TEST", { durable_name: "dlc", ack_policy: AckPolicy.Explicit });
    for (const [s, d] of [["foo.foo", "foo"], ["foo.bar", "bar"], ["foo.else", "baz"]]) await t.js.publish(s, d);
    const box = await inbox(t.nc);
    const maxBytes = 1024;
    const batch = 50;
    t.nc.publish(NEXT("TEST", "dlc"), JSON.stringify({ batch, expires: 100_000_000, max_bytes: maxBytes }), { reply: box.subject });
    let received = 0;
    let bytes = 0;
    for (;;) {
      const m = await box.next(1000);
      if (m.data.length === 0 && m.headers) {
        expect(m.headers.code).toBe(408);
        expect(m.headers.description).toBe("Request Timeout");
        expect(m.headers.get("Nats-Pending-Messages")).toBe(String(batch - received));
        expect(m.headers.get("Nats-Pending-Bytes")).toBe(String(maxBytes - bytes));
        break;
      }
      received++;
      bytes += m.data.length + (m.reply?.length ?? 0) + m.subject.length;
    }
    expect(received).toBe(3);
  });

  test("TestJetStreamConsumerPullBatchCompleted: a byte-limited request without batch ends with 409 Batch Completed", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    for (let i = 0; i < 10; i++) await t.js.publish("foo", new Uint8Array(128));
    await t.jsm.consumers.add("TEST", { durable_name: "dur", ack_policy: AckPolicy.Explicit });
    const box = await inbox(t.nc);
    t.nc.publish(NEXT("TEST", "dur"), JSON.stringify({ batch: 0, max_bytes: 1024, expires: 250_000_000 }), { reply: box.subject });
    const first = await box.next();
    expect(first.data.length).toBe(128);
    const status = await box.next();
    expect(status.headers?.code).toBe(409);
    expect(status.headers?.description).toBe("Batch Completed");
  });

  test("TestJetStreamConsumerPullMaxWaiting: max_waiting can not be updated", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["test.*"] });
    await t.jsm.consumers.add("TEST", { durable_name: "dur", ack_policy: AckPolicy.Explicit, max_waiting: 10 });
    await expect(t.jsm.consumers.update("TEST", "dur", { max_waiting: 1 } as never)).rejects.toThrow(/can not be updated/);
  });

  test("TestJetStreamConsumerPullMaxWaitingOfOne: a second waiting request gets 409 Exceeded MaxWaiting", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["TEST.A"] });
    await t.jsm.consumers.add("TEST", { durable_name: "dur", max_waiting: 1, ack_policy: AckPolicy.Explicit });
    const timeout = await t.nc.request(NEXT("TEST", "dur"), JSON.stringify({ batch: 1, expires: 250_000_000 }), { timeout: 3000 });
    expect(timeout.headers?.code).toBe(408);
    const parked = await inbox(t.nc);
    t.nc.publish(NEXT("TEST", "dur"), JSON.stringify({ batch: 1 }), { reply: parked.subject });
    const full = await t.nc.request(NEXT("TEST", "dur"), JSON.stringify({ batch: 1, expires: 250_000_000 }), { timeout: 1000 });
    expect(full.headers?.code).toBe(409);
    expect(full.headers?.description).toBe("Exceeded MaxWaiting");
  });

  test("TestJetStreamConsumerPullRequestMaximums: batch, expires and bytes above the consumer's maximums get 409", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["TEST"] });
    await t.jsm.consumers.add("TEST", { durable_name: "dlc", max_batch: 10, max_bytes: 10_000, max_expires: 1_000_000_000, ack_policy: AckPolicy.Explicit });
    for (const req of [
      { batch: 11, expires: 100_000_000 },
      { batch: 1, expires: 600_000_000_000 },
      { batch: 10, max_bytes: 20_000, expires: 600_000_000_000 },
    ]) {
      const r = await t.nc.request(NEXT("TEST", "dlc"), JSON.stringify(req), { timeout: 1000 });
      expect(r.headers?.code).toBe(409);
    }
  });

  test("TestJetStreamConsumerActionsViaAPI: update needs an existing consumer, create refuses a different config", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["one"], max_age: 90_000_000_000 });
    const durable = "$JS.API.CONSUMER.DURABLE.CREATE.TEST.hello";
    const upd = await apiRequest(t.nc, durable, { stream_name: "TEST", action: "update", config: { durable_name: "hello" } });
    expect(upd.error?.err_code).toBe(10149);
    const created = await apiRequest(t.nc, durable, { stream_name: "TEST", action: "create", config: { durable_name: "hello" } });
    expect(created.error).toBeUndefined();
    const changed = await apiRequest(t.nc, durable, { stream_name: "TEST", action: "create", config: { durable_name: "hello", filter_subject: "one" } });
    expect(changed.error?.err_code).toBe(10148);
    const eph = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.TEST", { stream_name: "TEST", action: "create", config: { name: "ephemeral", filter_subject: "one" } });
    expect(eph.error).toBeUndefined();
    expect(eph.name).toBe("ephemeral");
  });

  test("TestJetStreamConsumerAckAck: every ack kind sent as a request gets a reply", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "ACK-ACK", subjects: ["ACK-ACK"] });
    await t.jsm.consumers.add("ACK-ACK", { durable_name: "worker", ack_policy: AckPolicy.Explicit });
    for (let i = 0; i < 4; i++) await t.js.publish("ACK-ACK", "Hello World!");
    // Deliveries keep the stream subject (Go delivers on the inbox but presents the original
    // subject), so the next message is read from a plain inbox subscription.
    const box = await inbox(t.nc);
    for (const kind of ["+ACK", "-NAK", "+WPI", "+TERM"]) {
      t.nc.publish(NEXT("ACK-ACK", "worker"), "", { reply: box.subject });
      const m = await box.next(1000);
      expect(m.subject).toBe("ACK-ACK");
      expect(m.reply).toMatch(/^\$JS\.ACK\.ACK-ACK\.worker\./);
      const reply = await t.nc.request(m.reply!, kind, { timeout: 1000 });
      expect(reply.data.length).toBe(0);
    }
  });

  test("TestJetStreamConsumerWithNameAndDurable: name and durable must match", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "foo", subjects: ["foo"] });
    await t.jsm.consumers.add("foo", { deliver_subject: "to", durable_name: "consumer", name: "consumer", ack_policy: AckPolicy.None });
    const r = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.foo.name", {
      stream_name: "foo",
      config: { deliver_subject: "to", durable_name: "durable", name: "name", ack_policy: "none" },
    });
    expect(r.error?.description).toBe("consumer name in subject does not match durable name in request");
    const r2 = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.foo", {
      stream_name: "foo",
      config: { deliver_subject: "to", name: "name", ack_policy: "none", durable_name: undefined },
    });
    expect(r2.error).toBeUndefined();
  });

  test("TestJetStreamConsumerAndStreamMetadata: user metadata is kept and server keys are added", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "foo", subjects: ["foo"] });
    const ci = await t.jsm.consumers.add("foo", { durable_name: "m", ack_policy: AckPolicy.Explicit, metadata: { foo: "bar", baz: "quux" } });
    expect(ci.config.metadata).toMatchObject({ foo: "bar", baz: "quux", "_nats.req.level": "0" });
    expect(ci.config.metadata?.["_nats.ver"]).toBeTruthy();
  });

  test("TestJetStreamConsumerDelete: delete sends the DELETED advisory and the consumer is gone", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s"] });
    const created = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.CREATED.S.*", { max: 1 });
    const deleted = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.DELETED.S.*", { max: 1 });
    await t.nc.flush();
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    for await (const m of created) expect(m.json()).toMatchObject({ type: "io.nats.jetstream.advisory.v1.consumer_action", stream: "S", consumer: "d", action: "create" });
    expect(await t.jsm.consumers.delete("S", "d")).toBe(true);
    for await (const m of deleted) expect(m.json()).toMatchObject({ stream: "S", consumer: "d", action: "delete" });
    const r = await apiRequest(t.nc, "$JS.API.CONSUMER.DELETE.S.d");
    expect(r.error).toEqual({ code: 404, err_code: 10014, description: "consumer not found" });
  });

  test("TestJetStreamConsumerPullNoAck: ack none consumers move the floor as they deliver", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s"] });
    for (let i = 0; i < 5; i++) await t.js.publish("s", "x");
    await t.jsm.consumers.add("S", { durable_name: "n", ack_policy: AckPolicy.None });
    const c = await t.js.consumers.get("S", "n");
    let n = 0;
    for await (const _m of await c.fetch({ max_messages: 5, expires: 1000 })) n++;
    expect(n).toBe(5);
    const info = await t.jsm.consumers.info("S", "n");
    expect(info.ack_floor).toMatchObject({ consumer_seq: 5, stream_seq: 5 });
    expect(info.num_ack_pending).toBe(0);
  });

  test("TestJetStreamConsumerNakThenAckFloorMove: a nak then ack moves the floor past the message", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s"] });
    for (let i = 0; i < 11; i++) await t.js.publish("s", "x");
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const c = await t.js.consumers.get("S", "d");
    const msgs = [];
    for await (const m of await c.fetch({ max_messages: 11, expires: 1000 })) msgs.push(m);
    for (const m of msgs.slice(0, 10)) m.ack();
    msgs[10].nak();
    await t.nc.flush();
    const again = await c.next({ expires: 1000 });
    expect(again?.seq).toBe(11);
    expect(again?.info.deliveryCount).toBe(2);
    await again!.ackAck();
    const info = await t.jsm.consumers.info("S", "d");
    expect(info.ack_floor).toMatchObject({ consumer_seq: 12, stream_seq: 11 });
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(0);
  });

  test("TestJetStreamConsumerPendingCountWithRedeliveries: num_pending does not count redeliveries", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s"] });
    for (let i = 0; i < 3; i++) await t.js.publish("s", "x");
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, ack_wait: 100_000_000 });
    const c = await t.js.consumers.get("S", "d");
    const first = await c.next({ expires: 1000 });
    expect(first?.info.pending).toBe(2);
    // well past the 100 ms ack wait, also on a busy machine
    await new Promise((r) => setTimeout(r, 500));
    const redelivered = await c.next({ expires: 1000 });
    expect(redelivered?.seq).toBe(1);
    expect((await t.jsm.consumers.info("S", "d")).num_pending).toBe(2);
  });

  test("TestJetStreamConsumerMultipleFiltersLastPerSubject: last per subject over several filters", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["one", "two", "three"] });
    for (const s of ["one", "two", "one", "two", "three"]) await t.js.publish(s, s);
    await t.jsm.consumers.add("S", { name: "lps", deliver_policy: "last_per_subject" as never, filter_subjects: ["one", "two"], ack_policy: AckPolicy.None });
    const c = await t.js.consumers.get("S", "lps");
    const seqs: number[] = [];
    for await (const m of await c.fetch({ max_messages: 2, expires: 1000 })) seqs.push(m.seq);
    expect(seqs).toEqual([3, 4]);
  });

  test("TestJetStreamConsumerUpdateFilterSubject: updating the filter changes what is pending", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s.*"] });
    for (const s of ["s.a", "s.b", "s.b"]) await t.js.publish(s, "x");
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, filter_subject: "s.a" });
    expect((await t.jsm.consumers.info("S", "d")).num_pending).toBe(1);
    const ci = await t.jsm.consumers.update("S", "d", { filter_subject: "s.b" });
    expect(ci.config.filter_subject).toBe("s.b");
    expect(ci.num_pending).toBe(2);
  });

  test("TestJetStreamConsumerPurge: purges move consumers past the removed messages", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["test.>"] });
    await t.js.publish("test.1", "hello");
    await t.js.publish("test.2", "hello");
    await t.jsm.consumers.add("TEST", { durable_name: "consumer", ack_policy: AckPolicy.Explicit, filter_subject: "test.>" });
    await t.jsm.streams.purge("TEST", { filter: "test.2" });
    expect((await t.jsm.consumers.info("TEST", "consumer")).num_pending).toBe(1);
    const c = await t.js.consumers.get("TEST", "consumer");
    expect((await c.next({ expires: 1000 }))?.subject).toBe("test.1");

    await t.jsm.streams.add({ name: "OTHER", subjects: ["other.>"] });
    await t.js.publish("other.1", "hello");
    await t.js.publish("other.2", "hello");
    await t.jsm.consumers.add("OTHER", { durable_name: "other_consumer", ack_policy: AckPolicy.Explicit });
    const oc = await t.js.consumers.get("OTHER", "other_consumer");
    const pendingBefore = await oc.next({ expires: 1000 });
    expect(pendingBefore?.seq).toBe(1);
    await t.jsm.streams.purge("OTHER");
    const info = await t.jsm.consumers.info("OTHER", "other_consumer");
    expect(info.num_pending).toBe(0);
    expect(info.num_ack_pending).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(2);
    expect(await oc.next({ expires: 1000 })).toBeNull();
  });

  test("TestJetStreamConsumerWithCorruptStateIsDeleted: a consumer whose state is garbage is dropped on restart", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    await t.jsm.consumers.add("TEST", { durable_name: "DURABLE", ack_policy: AckPolicy.Explicit });
    const names = async () => {
      const out: string[] = [];
      for await (const n of t!.jsm.consumers.list("TEST")) out.push(n.name);
      return out;
    };
    expect(await names()).toEqual(["DURABLE"]);
    await new Promise((r) => setTimeout(r, 150));
    const stateFile = join(t.storeDir, "jetstream", "$G", "streams", "TEST", "obs", "DURABLE", "o.dat");
    const size = readFileSync(stateFile).length;
    expect(size).toBeGreaterThan(0);
    // stop the server, overwrite the state with zeros, start again on the same store
    await t.nc.close();
    await t.server.shutdown();
    writeFileSync(stateFile, Buffer.alloc(size));
    await t.restart();
    expect(await names()).toEqual([]);
    await expect(t.jsm.consumers.info("TEST", "DURABLE")).rejects.toThrow(/consumer not found/);
  });

  test("TestJetStreamConsumerAckSampling: sample_freq 100% sends an ack metric for every ack", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "S", subjects: ["s"] });
    for (let i = 0; i < 3; i++) await t.js.publish("s", "x");
    await t.jsm.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, sample_freq: "100%" });
    const metrics = t.nc.subscribe("$JS.EVENT.METRIC.CONSUMER.ACK.S.d", { max: 3 });
    await t.nc.flush();
    const c = await t.js.consumers.get("S", "d");
    for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) m.ack();
    const seqs: number[] = [];
    for await (const m of metrics) {
      const body = m.json<{ type: string; stream_seq: number; consumer_seq: number; deliveries: number; ack_time: number }>();
      expect(body.type).toBe("io.nats.jetstream.metric.v1.consumer_ack");
      expect(body.deliveries).toBe(1);
      expect(body.ack_time).toBeGreaterThan(0);
      seqs.push(body.stream_seq);
    }
    expect(seqs).toEqual([1, 2, 3]);
  });

  test("TestJetStreamConsumerPrioritized: the request with the lowest priority number is served first", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    await t.jsm.consumers.add("TEST", {
      durable_name: "CONSUMER",
      ack_policy: AckPolicy.None,
      filter_subject: "foo",
      priority_groups: ["A"],
      priority_policy: "prioritized" as never,
    });
    const low = await inbox(t.nc);
    const high = await inbox(t.nc);
    const ask = (box: { subject: string }, priority: number) =>
      t!.nc.publish(NEXT("TEST", "CONSUMER"), JSON.stringify({ batch: 1, expires: 10_000_000_000, group: "A", priority }), { reply: box.subject });
    ask(low, 5);
    ask(high, 1);
    await t.nc.flush();
    await expect.poll(async () => (await t!.jsm.consumers.info("TEST", "CONSUMER")).num_waiting).toBe(2);
    await t.js.publish("foo", "first");
    expect((await high.next()).string()).toBe("first");
    await t.js.publish("foo", "second");
    expect((await low.next()).string()).toBe("second");
  });

  test("TestJetStreamConsumerPullRemoveInterest: requests whose requester went away get nothing", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MYS-PULL", subjects: ["MYS-PULL"] });
    await t.jsm.consumers.add("MYS-PULL", { durable_name: "worker", ack_policy: AckPolicy.Explicit });
    // a request left waiting by a subscriber that is gone again
    const gone = t.nc.subscribe("_INBOX.gone");
    await t.nc.flush();
    t.nc.publish(NEXT("MYS-PULL", "worker"), "", { reply: "_INBOX.gone" });
    await t.nc.flush();
    gone.unsubscribe();
    await t.nc.flush();
    await t.js.publish("MYS-PULL", "Hello World!");
    const box = await inbox(t.nc);
    t.nc.publish(NEXT("MYS-PULL", "worker"), "", { reply: box.subject });
    const m = await box.next();
    const [, , , , dc, , dseq] = m.reply!.split(".");
    expect(Number(dseq)).toBe(1);
    expect(Number(dc)).toBe(1);
  });

  test("TestJetStreamConsumerPullMultipleRequestsExpireOutOfOrder: requests time out in expiry order", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    await t.jsm.consumers.add("TEST", { durable_name: "dlc", ack_policy: AckPolicy.Explicit, filter_subject: "foo" });
    const sub = t.nc.subscribe("i.*", { max: 4 });
    await t.nc.flush();
    const start = Date.now();
    for (const ms of [200, 100, 25, 75]) t.nc.publish(NEXT("TEST", "dlc"), JSON.stringify({ expires: ms * 1_000_000 }), { reply: `i.${ms}` });
    const order: string[] = [];
    for await (const m of sub) {
      expect(m.headers?.code).toBe(408);
      order.push(m.subject);
    }
    expect(order).toEqual(["i.25", "i.75", "i.100", "i.200"]);
    expect(Date.now() - start).toBeGreaterThanOrEqual(190);
  });

  test("TestJetStreamConsumerPullNoWaitBatchLargerThanPending: no_wait delivers what there is, then 404", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    await t.jsm.consumers.add("TEST", { durable_name: "C", ack_policy: AckPolicy.Explicit, filter_subject: "foo" });
    for (let i = 0; i < 5; i++) await t.js.publish("foo", "OK");
    const box = await inbox(t.nc);
    t.nc.publish(NEXT("TEST", "C"), JSON.stringify({ batch: 10, no_wait: true }), { reply: box.subject });
    for (let i = 0; i < 5; i++) expect((await box.next()).string()).toBe("OK");
    expect((await box.next()).headers?.code).toBe(404);
  });

  test("TestJetStreamConsumerAndStreamDescriptions: consumer descriptions are kept and bounded", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "foo", subjects: ["foo"], description: "foo asset" });
    const ci = await t.jsm.consumers.add("foo", { description: "analytics", deliver_subject: "to", ack_policy: AckPolicy.None });
    expect(ci.config.description).toBe("analytics");
    const big = Buffer.alloc(4097, 1).toString("base64");
    await expect(t.jsm.consumers.add("foo", { description: big, deliver_subject: "to", ack_policy: AckPolicy.None })).rejects.toThrow(/description is too long/);
  });

  test("TestJetStreamConsumerSingleTokenSubject: a filter in the create subject must match the config", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    const r = await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.TEST.name.not_filter_subject", { stream_name: "TEST", config: { filter_subject: "foo", name: "name" } });
    expect(r.error?.err_code).toBe(10131);
  });

  test("TestJetStreamConsumerAndStreamNamesWithPathSeparators: consumer names with / or \\ are refused", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "T", subjects: ["t"] });
    for (const name of ["a/b", "a\\b"]) {
      const r = await apiRequest(t.nc, `$JS.API.CONSUMER.CREATE.T.${name}`, { stream_name: "T", config: { durable_name: name, ack_policy: "explicit" } });
      expect(r.error).toEqual({ code: 400, err_code: 10127, description: "Consumer name can not contain path separators" });
    }
  });

  test("TestJetStreamConsumerThreeFilters: three filters deliver their subjects in stream order", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["events", "data", "other", "ignored"] });
    const sends: [string, string][] = [
      ["ignored", "100"], ["events", "0"], ["events", "1"], ["data", "2"], ["ignored", "100"], ["data", "3"],
      ["other", "4"], ["data", "5"], ["other", "6"], ["data", "7"], ["ignored", "100"],
    ];
    for (const [subj, d] of sends) await t.js.publish(subj, d);
    await t.jsm.consumers.add("TEST", { durable_name: "multi", ack_policy: AckPolicy.Explicit, filter_subjects: ["events", "data", "other"] });
    const c = await t.js.consumers.get("TEST", "multi");
    let i = 0;
    for await (const m of await c.fetch({ max_messages: 6, expires: 1000 })) {
      expect(m.string()).toBe(String(i++));
      await m.ackAck();
    }
    const info = await t.jsm.consumers.info("TEST", "multi");
    expect(info.delivered).toMatchObject({ stream_seq: 8, consumer_seq: 6 });
    expect(info.num_pending).toBe(2);
    expect(info.num_ack_pending).toBe(0);
    expect(info.ack_floor).toMatchObject({ consumer_seq: 6, stream_seq: 8 });
  });

  test("TestJetStreamConsumerMaxDeliverUpdate: a raised max_deliver applies to later messages", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    let maxDeliver = 2;
    await t.jsm.consumers.add("TEST", { durable_name: "ard", ack_policy: AckPolicy.Explicit, filter_subject: "foo", max_deliver: maxDeliver });
    const box = await inbox(t.nc);
    const checkMaxDeliver = async () => {
      // one message per request (Go fetches 2 with a short wait and gets 1 each time)
      for (let i = 0; i <= maxDeliver; i++) {
        t!.nc.publish(NEXT("TEST", "ard"), JSON.stringify({ batch: 1, expires: 100_000_000 }), { reply: box.subject });
        const m = await box.next();
        if (i < maxDeliver) {
          expect(m.data.length).toBeGreaterThan(0);
          m.respond(new TextEncoder().encode("-NAK"));
          await t!.nc.flush();
        } else {
          expect(m.headers?.code).toBe(408);
        }
      }
    };
    await t.js.publish("foo", "Hello");
    await checkMaxDeliver();
    maxDeliver++;
    await t.jsm.consumers.update("TEST", "ard", { max_deliver: maxDeliver });
    await t.js.publish("foo", "Hello");
    await checkMaxDeliver();
  });

  test("TestJetStreamConsumerInfoNumPending: num_pending follows stream limits, also after a restart", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "LIMITS", subjects: ["js.in.limits"], max_msgs: 100 });
    await t.jsm.consumers.add("LIMITS", { name: "PULL", ack_policy: AckPolicy.Explicit });
    const acks = [];
    for (let i = 0; i < 1000; i++) acks.push(t.js.publish("js.in.limits", "x"));
    await Promise.all(acks);
    expect((await t.jsm.consumers.info("LIMITS", "PULL")).num_pending).toBe(100);
    await t.restart();
    expect((await t.jsm.consumers.info("LIMITS", "PULL")).num_pending).toBe(100);
  });

  test("TestJetStreamConsumerMultipleSubjectsAck: acks over several filters move the floor", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "deliver", subjects: ["events", "data", "other"] });
    await t.jsm.consumers.add("deliver", { durable_name: "name", ack_policy: AckPolicy.Explicit, filter_subjects: ["events", "data"] });
    for (const [subj, d] of [["events", "1"], ["data", "2"], ["data", "3"], ["data", "4"], ["events", "5"], ["data", "6"], ["data", "7"]]) await t.js.publish(subj, d);
    const c = await t.js.consumers.get("deliver", "name");
    const msgs = [];
    for await (const m of await c.fetch({ max_messages: 3, expires: 1000 })) msgs.push(m);
    expect(msgs.length).toBe(3);
    await msgs[0].ackAck();
    await msgs[1].ackAck();
    const info = await t.jsm.consumers.info("deliver", "name");
    expect(info.ack_floor).toMatchObject({ consumer_seq: 2, stream_seq: 2 });
    expect(info.num_pending).toBe(4);
  });

  test("TestJetStreamConsumerDeliverNewNotConsumingBeforeRestart: a deliver-new push consumer keeps its pending across a restart", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    const deliver = createInbox();
    await t.jsm.consumers.add("TEST", { durable_name: "dur", deliver_subject: deliver, ack_policy: AckPolicy.Explicit, deliver_policy: "new" as never, filter_subject: "foo" });
    for (let i = 0; i < 10; i++) await t.js.publish("foo", "msg");
    expect((await t.jsm.consumers.info("TEST", "dur")).num_pending).toBe(10);
    await t.restart();
    expect((await t.jsm.consumers.info("TEST", "dur")).num_pending).toBe(10);
    const sub = t.nc.subscribe(deliver, { max: 10 });
    for await (const m of sub) m.respond();
    await t.nc.flush();
    await expect.poll(async () => (await t!.jsm.consumers.info("TEST", "dur")).num_pending).toBe(0);
  });

  test("TestJetStreamConsumerPauseResumeViaEndpoint: an empty pause request resumes", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["TEST"] });
    await t.jsm.consumers.add("TEST", { name: "CONSUMER", ack_policy: AckPolicy.Explicit });
    const paused = async () => (await apiRequest(t!.nc, "$JS.API.CONSUMER.INFO.TEST.CONSUMER")).paused === true;
    expect(await paused()).toBe(false);
    const deadline = new Date(Date.now() + 30_000);
    const r = await apiRequest(t.nc, "$JS.API.CONSUMER.PAUSE.TEST.CONSUMER", { pause_until: deadline.toISOString() });
    expect(Date.parse(r.pause_until as string)).toBe(deadline.getTime());
    expect(await paused()).toBe(true);
    await apiRequest(t.nc, "$JS.API.CONSUMER.PAUSE.TEST.CONSUMER");
    expect(await paused()).toBe(false);
  });

  test("TestJetStreamConsumerPauseAdvisories: pause and resume each send an advisory with the deadline", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    const adv = t.nc.subscribe("$JS.EVENT.ADVISORY.CONSUMER.PAUSE.TEST.my_consumer");
    const iter = adv[Symbol.asyncIterator]();
    await t.nc.flush();
    const check = async (paused: boolean, deadline: Date) => {
      const m = (await iter.next()).value as Msg;
      const a = m.json<{ stream: string; consumer: string; paused: boolean; pause_until: string }>();
      expect(a).toMatchObject({ stream: "TEST", consumer: "my_consumer", paused });
      expect(Date.parse(a.pause_until)).toBe(deadline.getTime());
    };
    let deadline = new Date(Date.now() + 1000);
    await apiRequest(t.nc, "$JS.API.CONSUMER.CREATE.TEST.my_consumer", { stream_name: "TEST", action: "create", config: { name: "my_consumer", pause_until: deadline.toISOString() } });
    await check(true, deadline);
    await check(false, deadline);
    deadline = new Date(Date.now() + 1000);
    await apiRequest(t.nc, "$JS.API.CONSUMER.PAUSE.TEST.my_consumer", { pause_until: deadline.toISOString() });
    await check(true, deadline);
    await check(false, deadline);
    adv.unsubscribe();
  });

  test("TestJetStreamConsumerUnpinNoMessages: after UNPIN the old pinned request gets 423 and the next one is pinned", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    await apiRequest(t.nc, "$JS.API.CONSUMER.DURABLE.CREATE.TEST.C", {
      stream_name: "TEST",
      config: { durable_name: "C", filter_subject: "foo", priority_groups: ["A"], priority_policy: "pinned_client", ack_policy: "explicit", priority_timeout: 30_000_000_000 },
    });
    const one = await inbox(t.nc);
    const two = await inbox(t.nc);
    const req = JSON.stringify({ batch: 30, expires: 60_000_000_000, group: "A" });
    t.nc.publish(NEXT("TEST", "C"), req, { reply: one.subject });
    t.nc.publish(NEXT("TEST", "C"), req, { reply: two.subject });
    await t.nc.flush();
    await t.js.publish("foo", "data");
    await t.js.publish("foo", "data");
    const first = await one.next();
    const pinId = first.headers?.get("Nats-Pin-Id");
    expect(pinId).toBeTruthy();
    await one.next();
    await expect(two.next(300)).rejects.toThrow(/timed out/);
    expect((await apiRequest(t.nc, "$JS.API.CONSUMER.UNPIN.TEST.C", { group: "A" })).error).toBeUndefined();
    await t.js.publish("foo", "data");
    await t.js.publish("foo", "data");
    expect((await one.next()).headers?.code).toBe(423);
    const m = await two.next();
    expect(m.string()).toBe("data");
    expect(m.headers?.get("Nats-Pin-Id")).not.toBe(pinId);
  });

  test("TestJetStreamConsumerNoWaitNoMessagesOnEosWithDeliveredMsgs: no_wait ends with 404 after what it got", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    await t.jsm.consumers.add("TEST", { durable_name: "CONSUMER", ack_policy: AckPolicy.Explicit });
    await t.js.publish("foo", "msg");
    const box = await inbox(t.nc);
    t.nc.publish(NEXT("TEST", "CONSUMER"), JSON.stringify({ no_wait: true, batch: 2 }), { reply: box.subject });
    const m = await box.next();
    expect(m.subject).toBe("foo");
    expect(m.string()).toBe("msg");
    const end = await box.next();
    expect(end.headers?.code).toBe(404);
    expect(end.headers?.description).toBe("No Messages");
  });

  test("TestJetStreamConsumerPullOneShotBehavior: no_wait, expires and both together", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "TEST", subjects: ["foo"] });
    await t.jsm.consumers.add("TEST", { durable_name: "dlc", ack_policy: AckPolicy.Explicit, filter_subject: "foo" });
    const getNext = async (batch: number, expiresMs: number, noWait: boolean) => {
      const box = await inbox(t!.nc);
      const start = Date.now();
      t!.nc.publish(NEXT("TEST", "dlc"), JSON.stringify({ batch, expires: expiresMs * 1_000_000, no_wait: noWait }), { reply: box.subject });
      let n = 0;
      for (;;) {
        const m = await box.next(expiresMs + 1000);
        if (m.data.length === 0 && m.headers) return { n, elapsed: Date.now() - start, code: m.headers.code, h: m.headers };
        if (++n >= batch) return { n, elapsed: Date.now() - start, code: 0, h: undefined };
      }
    };
    expect(await getNext(1, 0, true)).toMatchObject({ n: 0, code: 404 });
    const waited = await getNext(1, 250, false);
    expect(waited).toMatchObject({ n: 0, code: 408 });
    expect(waited.h?.get("Nats-Pending-Messages")).toBe("1");
    expect(waited.h?.get("Nats-Pending-Bytes")).toBe("0");
    expect(waited.elapsed).toBeGreaterThanOrEqual(240);
    // no_wait with an expiry waits for at least one message when there are none
    const oneShot = await getNext(1, 500, true);
    expect(oneShot).toMatchObject({ n: 0, code: 408 });
    expect(oneShot.elapsed).toBeGreaterThanOrEqual(490);
    for (let i = 0; i < 20; i++) await t.js.publish("foo", "HELLO");
    expect(await getNext(1, 0, true)).toMatchObject({ n: 1, code: 0 });
    expect(await getNext(5, 500, false)).toMatchObject({ n: 5, code: 0 });
    expect(await getNext(5, 500, true)).toMatchObject({ n: 5, code: 0 });
  });

  test("TestJetStreamConsumerUpdateRedelivery: a new deliver subject gets every unacked message again first", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_STREAM", subjects: ["foo.>"], retention: RetentionPolicy.Interest });
    const toSend = 20;
    const cfg = (deliver: string) => ({ durable_name: "dur22", deliver_subject: deliver, filter_subject: "foo.bar", ack_policy: "explicit", ack_wait: 500_000_000, max_deliver: 3 });
    let box = await inbox(t.nc);
    await apiRequest(t.nc, "$JS.API.CONSUMER.DURABLE.CREATE.MY_STREAM.dur22", { stream_name: "MY_STREAM", config: cfg(box.subject) });
    for (let i = 1; i <= toSend; i++) await t.js.publish("foo.bar", `msg-${i}`);
    for (let i = 0; i < toSend; i++) {
      const m = await box.next();
      if (Number(m.reply!.split(".")[5]) % 4 === 0) m.respond();
    }
    await t.nc.flush();
    box.close();
    await expect.poll(async () => (await t!.jsm.consumers.info("MY_STREAM", "dur22")).push_bound ?? false).toBe(false);
    for (let i = toSend; i < toSend * 2; i++) await t.js.publish("foo.bar", `msg-${i}`);
    box = await inbox(t.nc);
    const r = await apiRequest(t.nc, "$JS.API.CONSUMER.DURABLE.CREATE.MY_STREAM.dur22", { stream_name: "MY_STREAM", config: cfg(box.subject) });
    expect(r.error).toBeUndefined();
    let eseq = 1;
    for (let i = 0; i < toSend * 2 - 5; i++) {
      const m = await box.next();
      if (eseq <= toSend && eseq % 4 === 0) eseq++;
      const tokens = m.reply!.split(".");
      const [dc, seq] = [Number(tokens[4]), Number(tokens[5])];
      expect(seq).toBe(eseq);
      expect(dc).toBe(seq <= toSend ? 2 : 1);
      if (seq > toSend) m.respond();
      eseq++;
    }
  });

  test("TestJetStreamConsumerPullMaxAckPendingRedeliveries: with one ack pending the same message comes back each ack wait", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_STREAM", subjects: ["foo.*"] });
    const toSend = 10;
    for (let i = 0; i < toSend; i++) await t.js.publish("foo.bar", `MSG: ${i + 1}`);
    const expSeq = 4;
    await t.jsm.consumers.add("MY_STREAM", {
      durable_name: "d22",
      deliver_policy: "by_start_sequence" as never,
      opt_start_seq: expSeq,
      ack_policy: AckPolicy.Explicit,
      ack_wait: 20_000_000,
      max_ack_pending: 1,
    });
    const box = await inbox(t.nc);
    for (let delivery = 1; delivery <= 5; delivery++) {
      t.nc.publish(NEXT("MY_STREAM", "d22"), "", { reply: box.subject });
      const tokens = (await box.next()).reply!.split(".");
      const [dc, sseq, dseq, , pending] = tokens.slice(4).map(Number);
      expect(sseq).toBe(expSeq);
      expect(dseq).toBe(delivery);
      expect(dc).toBe(delivery);
      expect(pending).toBe(toSend - expSeq);
    }
  });

  test("TestJetStreamConsumerMaxDeliveries: a push consumer stops after max_deliver deliveries", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MY_WQ", subjects: ["MY_WQ"] });
    await t.js.publish("MY_WQ", "Hello World!");
    const deliver = createInbox();
    let n = 0;
    t.nc.subscribe(deliver, {
      callback: () => {
        n++;
      },
    });
    await t.nc.flush();
    await t.jsm.consumers.add("MY_WQ", { deliver_subject: deliver, ack_policy: AckPolicy.Explicit, ack_wait: 10_000_000, max_deliver: 5 });
    await expect.poll(() => n, { timeout: 3000 }).toBe(5);
    await new Promise((r) => setTimeout(r, 50));
    expect(n).toBe(5);
  });

  test("TestJetStreamConsumerPullHeartBeats: pull requests get idle heartbeats until they expire", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "T", subjects: ["T"] });
    await t.jsm.consumers.add("T", { durable_name: "dlc", ack_policy: AckPolicy.Explicit });
    const doReq = async (batch: number, hbMs: number, expiresMs: number, expected: number) => {
      const reply = createInbox();
      const got: { at: number; m: Msg }[] = [];
      const sub = t!.nc.subscribe(reply, { callback: (_e, m) => void got.push({ at: performance.now(), m }) });
      await t!.nc.flush();
      t!.nc.publish(NEXT("T", "dlc"), JSON.stringify({ batch, idle_heartbeat: hbMs * 1e6, expires: expiresMs * 1e6 }), { reply });
      await expect.poll(() => got.length, { timeout: 3000 }).toBeGreaterThanOrEqual(expected);
      sub.unsubscribe();
      return got;
    };
    for (const [hb, exp] of [[100, 0], [75, 100]]) {
      const bad = await doReq(1, hb, exp, 1);
      expect(bad.length).toBe(1);
      expect(bad[0].m.headers?.code).toBe(400);
      expect(bad[0].m.headers?.description).toBe("Bad Request - heartbeat value too large");
    }
    const start = performance.now();
    const msgs = await doReq(1, 50, 250, 5);
    expect(msgs.length).toBe(5);
    for (let i = 0; i < 4; i++) {
      expect(msgs[i].m.headers?.code).toBe(100);
      expect(msgs[i].m.headers?.description).toBe("Idle Heartbeat");
      expect(msgs[i].at - start).toBeGreaterThanOrEqual((i + 1) * 50 - 2);
    }
    expect(msgs[4].m.headers?.code).toBe(408);
  });

  test("TestJetStreamConsumerEphemeralRecoveryAfterServerRestart: an ephemeral consumer comes back after restarts", async () => {
    t = await startJs();
    await t.jsm.streams.add({ name: "MYS", subjects: ["MYS"] });
    const deliver = createInbox();
    const got: Msg[] = [];
    t.nc.subscribe(deliver, { callback: (_e, m) => void got.push(m) });
    await t.nc.flush();
    const ci = await t.jsm.consumers.add("MYS", { deliver_subject: deliver, ack_policy: AckPolicy.Explicit });
    for (let i = 0; i < 100; i++) await t.js.publish("MYS", "Hello World!");
    await expect.poll(() => got.length, { timeout: 2000 }).toBeGreaterThanOrEqual(7);
    for (const m of got.slice(0, 7)) m.respond();
    await t.nc.flush();
    for (let i = 0; i < 2; i++) {
      await t.restart();
      // the subscriber is back within the ephemeral's inactivity window
      t.nc.subscribe(deliver, { callback: () => undefined });
      await t.nc.flush();
      const info = await t.jsm.consumers.info("MYS", ci.name);
      expect(info.config.durable_name).toBeUndefined();
      await expect.poll(async () => (await t!.jsm.consumers.info("MYS", ci.name)).push_bound ?? false).toBe(true);
    }
  });
});
