import { afterEach, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { headers as natsHeaders, type Msg } from "@nats-io/transport-node";
import { ManualClock } from "@nats-ts/storage";
import { startHarness, tick, type Harness } from "./harness.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function jsm(x: Harness): Promise<JetStreamManager> {
  return jetstreamManager(x.nc, { checkAPI: false });
}

function request(x: Harness, subject: string, body: unknown): Promise<Record<string, any>> {
  return x.nc.request(subject, JSON.stringify(body), { timeout: 2000 }).then((m) => m.json());
}

/** Collects messages arriving on `subject` (statuses included) until `n` have come or time runs out. */
function collect(x: Harness, subject: string, n: number, ms = 2000): Promise<Msg[]> {
  const out: Msg[] = [];
  const sub = x.nc.subscribe(subject);
  return new Promise((resolve) => {
    const done = () => {
      sub.unsubscribe();
      resolve(out);
    };
    const t = setTimeout(done, ms);
    void (async () => {
      for await (const m of sub) {
        out.push(m);
        if (out.length >= n) {
          clearTimeout(t);
          done();
          return;
        }
      }
    })();
  });
}

describe("consumer API through a real client", () => {
  test("create, info, names, list, delete", async () => {
    h = await startHarness({ name: "S" });
    for (let i = 0; i < 5; i++) await h.store1(`S.${i}`, `m${i}`);
    const m = await jsm(h);
    const ci = await m.consumers.add("S", { durable_name: "d1", ack_policy: AckPolicy.Explicit });
    expect(ci.name).toBe("d1");
    expect(ci.num_pending).toBe(5);
    expect(ci.config.ack_wait).toBe(30_000_000_000);
    expect(ci.config.max_ack_pending).toBe(1000);
    expect(ci.config.max_waiting).toBe(512);
    expect(ci.config.max_deliver).toBe(-1);
    await m.consumers.add("S", { name: "e1", ack_policy: AckPolicy.None, filter_subject: "S.1" });
    const names: string[] = [];
    for await (const n of m.consumers.list("S")) names.push(n.name);
    expect(names.sort()).toEqual(["d1", "e1"]);
    expect((await m.consumers.info("S", "e1")).num_pending).toBe(1);
    expect(await m.consumers.delete("S", "e1")).toBe(true);
    await expect(m.consumers.info("S", "e1")).rejects.toThrow(/consumer not found/);
  });

  test("Go errors for bad configs reach the client unchanged", async () => {
    h = await startHarness({ name: "S" });
    const r = await request(h, "$JS.API.CONSUMER.CREATE.S.x", {
      stream_name: "S",
      config: { name: "x", ack_policy: "explicit", deliver_policy: "by_start_sequence" },
    });
    expect(r.error).toEqual({
      code: 400,
      err_code: 10094,
      description: "consumer delivery policy is deliver by start sequence, but optional start sequence is not set",
    });
    const r2 = await request(h, "$JS.API.CONSUMER.CREATE.T.x", { stream_name: "S", config: { name: "x" } });
    expect(r2.error.err_code).toBe(10056);
    const r3 = await request(h, "$JS.API.CONSUMER.CREATE.S.x.S.y", { stream_name: "S", config: { name: "x", filter_subject: "S.z" } });
    expect(r3.error.err_code).toBe(10131);
    const bad = await h.nc.request("$JS.API.CONSUMER.CREATE.S.x", "{not json", { timeout: 2000 });
    expect(bad.json<any>().error.err_code).toBe(10025);
  });

  test("action create refuses a changed config; update refuses a missing consumer", async () => {
    h = await startHarness({ name: "S" });
    const base = { stream_name: "S", config: { name: "c", ack_policy: "explicit", durable_name: "c" } };
    expect((await request(h, "$JS.API.CONSUMER.CREATE.S.c", { ...base, action: "create" })).name).toBe("c");
    // identical create is idempotent
    expect((await request(h, "$JS.API.CONSUMER.CREATE.S.c", { ...base, action: "create" })).error).toBeUndefined();
    const changed = await request(h, "$JS.API.CONSUMER.CREATE.S.c", { ...base, action: "create", config: { ...base.config, description: "x" } });
    expect(changed.error).toEqual({ code: 400, err_code: 10148, description: "consumer already exists" });
    const upd = await request(h, "$JS.API.CONSUMER.CREATE.S.zz", { stream_name: "S", action: "update", config: { name: "zz", ack_policy: "explicit" } });
    expect(upd.error).toEqual({ code: 400, err_code: 10149, description: "consumer does not exist" });
    const policy = await request(h, "$JS.API.CONSUMER.CREATE.S.c", { ...base, config: { ...base.config, ack_policy: "all" } });
    expect(policy.error).toEqual({ code: 500, err_code: 10012, description: "ack policy can not be updated" });
  });

  test("fetch, ack and the ack floor", async () => {
    h = await startHarness({ name: "S" });
    for (let i = 1; i <= 10; i++) await h.store1("S.a", `m${i}`);
    const m = await jsm(h);
    await m.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const c = await jetstream(h.nc).consumers.get("S", "d");
    const iter = await c.fetch({ max_messages: 10, expires: 2000 });
    const got: string[] = [];
    for await (const msg of iter) {
      got.push(msg.string());
      expect(msg.info.pending).toBe(10 - got.length);
      msg.ack();
    }
    expect(got).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 1}`));
    await tick();
    const info = await m.consumers.info("S", "d");
    expect(info.delivered).toMatchObject({ consumer_seq: 10, stream_seq: 10 });
    expect(info.ack_floor).toMatchObject({ consumer_seq: 10, stream_seq: 10 });
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_pending).toBe(0);
  });

  test("next on an empty stream with no_wait returns nothing; 404 status seen raw", async () => {
    h = await startHarness({ name: "S" });
    const m = await jsm(h);
    await m.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const inbox = "_INBOX.raw";
    const p = collect(h, inbox, 1);
    await h.nc.flush();
    h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.d", JSON.stringify({ batch: 1, no_wait: true }), { reply: inbox });
    const [status] = await p;
    expect(status.headers?.code).toBe(404);
    expect(status.headers?.description).toBe("No Messages");
  });

  test("request expiry answers 408 with pending counts", async () => {
    h = await startHarness({ name: "S" });
    const m = await jsm(h);
    await m.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
    const inbox = "_INBOX.exp";
    const p = collect(h, inbox, 1);
    await h.nc.flush();
    h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.d", JSON.stringify({ batch: 3, expires: 50_000_000, max_bytes: 100 }), { reply: inbox });
    const [status] = await p;
    expect(status.headers?.code).toBe(408);
    expect(status.headers?.get("Nats-Pending-Messages")).toBe("3");
    expect(status.headers?.get("Nats-Pending-Bytes")).toBe("100");
  });

  test("unknown consumer next request gets 503 like Go's missing subscriber", async () => {
    h = await startHarness({ name: "S" });
    const inbox = "_INBOX.none";
    const p = collect(h, inbox, 1);
    await h.nc.flush();
    h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.nope", "1", { reply: inbox });
    const [status] = await p;
    expect(status.headers?.code).toBe(503);
  });

  test("ack kinds: nak redelivers, term stops, wpi extends, double ack replies", async () => {
    const clock = new ManualClock(BigInt(Date.now()) * 1_000_000n);
    h = await startHarness({ name: "S" }, { clock });
    for (let i = 1; i <= 3; i++) await h.store1("S.a", `m${i}`);
    const m = await jsm(h);
    await m.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000 });
    const c = await jetstream(h.nc).consumers.get("S", "d");
    const batch: any[] = [];
    for await (const msg of await c.fetch({ max_messages: 3, expires: 1000 })) batch.push(msg);
    expect(batch.map((x) => x.info.deliveryCount)).toEqual([1, 1, 1]);
    batch[0].nak();
    batch[1].term("bad");
    expect(await batch[2].ackAck()).toBe(true);
    await h.nc.flush();
    await tick();
    const again: any[] = [];
    for await (const msg of await c.fetch({ max_messages: 1, expires: 1000 })) again.push(msg);
    expect(again.map((x) => [x.seq, x.info.deliveryCount, x.info.redelivered])).toEqual([[1, 2, true]]);
    again[0].working();
    await h.nc.flush();
    clock.advance(900_000_000n);
    again[0].working();
    await h.nc.flush();
    clock.advance(900_000_000n);
    let info = await m.consumers.info("S", "d");
    expect(info.num_ack_pending).toBe(1);
    expect(info.num_redelivered).toBe(1);
    again[0].ack();
    await h.nc.flush();
    await tick();
    info = await m.consumers.info("S", "d");
    expect(info.num_ack_pending).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(3);
  });

  test("ack wait expiry redelivers and max_deliver sends the advisory", async () => {
    const clock = new ManualClock(BigInt(Date.now()) * 1_000_000n);
    h = await startHarness({ name: "S" }, { clock });
    await h.store1("S.a", "x");
    const m = await jsm(h);
    await m.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000, max_deliver: 2 });
    const adv = collect(h, "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.d", 1, 3000);
    await h.nc.flush();
    const c = await jetstream(h.nc).consumers.get("S", "d");
    // fetch without heartbeats: the consumer's timers run on the manual clock
    const one = async () => {
      const out: any[] = [];
      for await (const m of await c.fetch({ max_messages: 1, expires: 1000 })) out.push(m);
      return out[0];
    };
    expect((await one())?.info.deliveryCount).toBe(1);
    clock.advance(1_100_000_000n);
    expect((await one())?.info.deliveryCount).toBe(2);
    clock.advance(1_100_000_000n);
    // a no_wait request makes the consumer look at the redelivery queue: nothing left to send
    const reply = collect(h, "_INBOX.last", 1);
    await h.nc.flush();
    h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.d", JSON.stringify({ batch: 1, no_wait: true }), { reply: "_INBOX.last" });
    expect((await reply)[0].headers?.code).toBe(404);
    const [a] = await adv;
    expect(a.json<any>()).toMatchObject({ type: "io.nats.jetstream.advisory.v1.max_deliver", stream: "S", consumer: "d", stream_seq: 1, deliveries: 2 });
    const info = await m.consumers.info("S", "d");
    expect(info.num_ack_pending).toBe(0);
    expect(info.num_redelivered).toBe(1);
  });

  test("push consumer with flow control and heartbeats delivers everything", async () => {
    h = await startHarness({ name: "S" });
    for (let i = 0; i < 200; i++) await h.store1("S.a", "x".repeat(1000));
    const m = await jsm(h);
    const got = collect(h, "push.in", 200, 3000);
    await h.nc.flush();
    await m.consumers.add("S", {
      durable_name: "p",
      deliver_subject: "push.in",
      ack_policy: AckPolicy.None,
      flow_control: true,
      idle_heartbeat: 100_000_000,
      deliver_policy: DeliverPolicy.All,
    });
    const msgs = await got;
    // data and flow-control requests arrive; answer the requests as the client library would
    const data = msgs.filter((x) => !x.headers?.code);
    expect(data.length).toBeGreaterThan(0);
    const hb = await collect(h, "push.in", 1, 2000);
    expect(hb[0].headers?.code).toBe(100);
  });

  test("durable state survives a restart with pending acks and redelivery counts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cons-"));
    try {
      h = await startHarness({ name: "S" }, { storeDir: dir });
      for (let i = 1; i <= 4; i++) await h.store1("S.a", `m${i}`);
      const m = await jsm(h);
      await m.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.Explicit });
      const c = await jetstream(h.nc).consumers.get("S", "d");
      const got: any[] = [];
      for await (const msg of await c.fetch({ max_messages: 3, expires: 1000 })) got.push(msg);
      got[0].ack();
      got[1].nak();
      await h.nc.flush();
      await tick();
      const redo = await c.next({ expires: 1000 });
      expect(redo?.seq).toBe(2);
      await new Promise((r) => setTimeout(r, 50));
      await h.restart();
      const info = await m.consumers.info("S", "d");
      expect(info.delivered).toMatchObject({ consumer_seq: 4, stream_seq: 3 });
      expect(info.ack_floor).toMatchObject({ consumer_seq: 1, stream_seq: 1 });
      expect(info.num_ack_pending).toBe(2);
      expect(info.num_redelivered).toBe(1);
      expect(info.num_pending).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("headers_only sends the size header instead of the payload", async () => {
    h = await startHarness({ name: "S" });
    await h.store1("S.a", "hello world");
    const m = await jsm(h);
    await m.consumers.add("S", { durable_name: "d", ack_policy: AckPolicy.None, headers_only: true });
    const c = await jetstream(h.nc).consumers.get("S", "d");
    const msg = await c.next({ expires: 1000 });
    expect(msg?.data.length).toBe(0);
    expect(msg?.headers?.get("Nats-Msg-Size")).toBe("11");
    void natsHeaders;
  });

  test("last per subject: a message that could not be placed is not lost from the start list", async () => {
    h = await startHarness({ name: "S" });
    for (const [subj, d] of [["S.a", "a1"], ["S.b", "b1"], ["S.a", "a2"], ["S.b", "b2"], ["S.c", "c1"]]) await h.store1(subj, d);
    const m = await jsm(h);
    await m.consumers.add("S", { name: "lps", deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: "S.>", ack_policy: AckPolicy.None });
    // too small for any message: the request ends with 409 and the message goes back
    const tooSmall = collect(h, "_INBOX.small", 1);
    await h.nc.flush();
    h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.lps", JSON.stringify({ batch: 5, max_bytes: 5, expires: 1_000_000_000 }), { reply: "_INBOX.small" });
    expect((await tooSmall)[0].headers?.code).toBe(409);
    const got = collect(h, "_INBOX.all", 3);
    await h.nc.flush();
    h.nc.publish("$JS.API.CONSUMER.MSG.NEXT.S.lps", JSON.stringify({ batch: 3, expires: 1_000_000_000 }), { reply: "_INBOX.all" });
    expect((await got).map((x) => x.string())).toEqual(["a2", "b2", "c1"]);
  });
});
