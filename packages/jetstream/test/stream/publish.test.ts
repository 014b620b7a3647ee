import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DiscardPolicy, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { apiRequest, rawPublish, serverStream, startJs, type JsTestServer } from "../helpers.js";

const err = (code: number, errCode: number, description: string) => ({ code, err_code: errCode, description });

describe("publish path", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestJetStreamPubAck: acks carry the stream and increasing sequences", async () => {
    await t.jsm.streams.add({ name: "PUBACK", subjects: ["foo"] });
    for (let i = 1; i <= 100; i++) {
      const pa = await rawPublish(t.nc, "foo", "HELLO");
      expect(pa).toEqual({ stream: "PUBACK", seq: i });
    }
    // Publishes without a reply are stored as well.
    t.nc.publish("foo", "no reply");
    await t.nc.flush();
    expect((await t.jsm.streams.info("PUBACK")).state.messages).toBe(101);
  });

  test("TestJetStreamPublishDeDupe: Nats-Msg-Id within the duplicate window", async () => {
    await t.jsm.streams.add({ name: "DeDupe", subjects: ["dd.*"], max_age: 3600e9 });
    const si = await t.jsm.streams.info("DeDupe");
    expect(si.config.duplicate_window).toBe(120e9);
    await expect(t.jsm.streams.update("DeDupe", { duplicate_window: 2 * 3600e9 })).rejects.toThrow("duplicates window can not be larger then max age");
    const send = (seq: number, id: string) => rawPublish(t.nc, `dd.${seq}`, "Hello DeDupe!", { "Nats-Msg-Id": id });
    expect(await send(1, "AA")).toEqual({ stream: "DeDupe", seq: 1 });
    await send(2, "BB");
    await send(3, "CC");
    await send(4, "ZZ");
    expect(await send(1, "AA")).toEqual({ stream: "DeDupe", seq: 1, duplicate: true });
    expect(await send(4, "ZZ")).toEqual({ stream: "DeDupe", seq: 4, duplicate: true });
    expect((await t.jsm.streams.info("DeDupe")).state.messages).toBe(4);
    // The client reports duplicates too.
    const pa = await t.js.publish("dd.2", "x", { msgID: "BB" });
    expect(pa.duplicate).toBe(true);
    // A short window forgets ids on its own.
    await t.jsm.streams.update("DeDupe", { duplicate_window: 100e6, max_age: 3600e9 });
    const stream = serverStream(t, "DeDupe")!;
    await new Promise((r) => setTimeout(r, 250));
    expect(stream.numMsgIds).toBe(0);
    expect(await send(5, "AA")).toEqual({ stream: "DeDupe", seq: 5 });
  });

  test("TestJetStreamPublishExpect: expected stream, last sequence, last msg id, last subject sequence", async () => {
    await t.jsm.streams.add({ name: "EXPECT", subjects: ["ex.*"] });
    expect((await rawPublish(t.nc, "ex.a", "x", { "Nats-Expected-Stream": "ORDERS" })).error).toEqual(err(400, 10060, "expected stream does not match"));
    expect(await rawPublish(t.nc, "ex.a", "x", { "Nats-Expected-Stream": "EXPECT" })).toEqual({ stream: "EXPECT", seq: 1 });
    expect((await rawPublish(t.nc, "ex.a", "x", { "Nats-Expected-Last-Sequence": "10" })).error).toEqual(err(400, 10071, "wrong last sequence: 1"));
    expect(await rawPublish(t.nc, "ex.a", "x", { "Nats-Expected-Last-Sequence": "1" })).toEqual({ stream: "EXPECT", seq: 2 });
    expect(await rawPublish(t.nc, "ex.a", "x", { "Nats-Msg-Id": "ZZZ" })).toEqual({ stream: "EXPECT", seq: 3 });
    expect((await rawPublish(t.nc, "ex.a", "x", { "Nats-Expected-Last-Msg-Id": "AAA" })).error).toEqual(err(400, 10070, "wrong last msg ID: ZZZ"));
    expect(await rawPublish(t.nc, "ex.a", "x", { "Nats-Expected-Last-Msg-Id": "ZZZ" })).toEqual({ stream: "EXPECT", seq: 4 });
    expect(await rawPublish(t.nc, "ex.b", "x", { "Nats-Expected-Last-Subject-Sequence": "0" })).toEqual({ stream: "EXPECT", seq: 5 });
    expect((await rawPublish(t.nc, "ex.b", "x", { "Nats-Expected-Last-Subject-Sequence": "0" })).error).toEqual(err(400, 10071, "wrong last sequence: 5"));
    expect(await rawPublish(t.nc, "ex.b", "x", { "Nats-Expected-Last-Subject-Sequence": "5" })).toEqual({ stream: "EXPECT", seq: 6 });
    // The checked subject may be another one (wildcards allowed).
    expect(
      (await rawPublish(t.nc, "ex.c", "x", { "Nats-Expected-Last-Subject-Sequence": "5", "Nats-Expected-Last-Subject-Sequence-Subject": "ex.*" })).error,
    ).toEqual(err(400, 10071, "wrong last sequence: 6"));
    expect((await rawPublish(t.nc, "ex.c", "x", { "Nats-Expected-Last-Subject-Sequence-Subject": "ex.b" })).error).toEqual(
      err(400, 10193, "missing sequence for expected last sequence per subject"),
    );
  });

  test("TestJetStreamLastSequenceBySubject: the client's expectations", async () => {
    await t.jsm.streams.add({ name: "KV", subjects: ["kv.>"], max_msgs_per_subject: 1 });
    const pa = await t.js.publish("kv.foo", "1", { expect: { lastSubjectSequence: 0 } });
    expect(pa.seq).toBe(1);
    await expect(t.js.publish("kv.foo", "2", { expect: { lastSubjectSequence: 0 } })).rejects.toThrow("wrong last sequence: 1");
    expect((await t.js.publish("kv.foo", "2", { expect: { lastSubjectSequence: 1 } })).seq).toBe(2);
  });

  test("TestJetStreamAddStreamDiscardNew: discard new rejects at the limits", async () => {
    await t.jsm.streams.add({ name: "DN", subjects: ["dn"], max_msgs: 10, discard: DiscardPolicy.New });
    for (let i = 0; i < 10; i++) await t.js.publish("dn", "x");
    expect((await rawPublish(t.nc, "dn", "x")).error).toEqual(err(503, 10077, "maximum messages exceeded"));
    await t.jsm.streams.add({ name: "DNB", subjects: ["dnb"], max_bytes: 200, discard: DiscardPolicy.New, storage: StorageType.Memory });
    let failed: Record<string, any> | undefined;
    for (let i = 0; i < 10 && failed === undefined; i++) {
      const r = await rawPublish(t.nc, "dnb", "0123456789012345678901234567890123456789");
      if (r.error) failed = r.error;
    }
    expect(failed).toEqual(err(503, 10077, "maximum bytes exceeded"));
    await t.jsm.streams.add({
      name: "DNPS",
      subjects: ["dnps.*"],
      max_msgs_per_subject: 1,
      discard: DiscardPolicy.New,
      discard_new_per_subject: true,
    });
    await t.js.publish("dnps.a", "x");
    expect((await rawPublish(t.nc, "dnps.a", "x")).error).toEqual(err(503, 10077, "maximum messages per subject exceeded"));
    expect((await rawPublish(t.nc, "dnps.b", "x")).seq).toBe(2);
  });

  test("TestJetStreamAddStreamMaxMsgSize: messages over max_msg_size are rejected", async () => {
    await t.jsm.streams.add({ name: "MAXSIZE", subjects: ["ms"], max_msg_size: 22 });
    expect((await rawPublish(t.nc, "ms", "Hello World!")).seq).toBe(1);
    expect((await rawPublish(t.nc, "ms", "Hello World! plus some more text")).error).toEqual(err(400, 10054, "message size exceeds maximum allowed"));
  });

  test("TestJetStreamNoAckStream: no_ack streams store without answering", async () => {
    await t.jsm.streams.add({ name: "NOACK", subjects: ["noack"], no_ack: true });
    await expect(t.nc.request("noack", "x", { timeout: 300 })).rejects.toThrow();
    expect((await t.jsm.streams.info("NOACK")).state.messages).toBe(1);
  });

  test("rollup headers need allow_rollup_hdrs, then keep the last message", async () => {
    await t.jsm.streams.add({ name: "ROLL", subjects: ["roll.*"] });
    expect((await rawPublish(t.nc, "roll.a", "x", { "Nats-Rollup": "sub" })).error).toEqual(err(500, 10111, "rollup not permitted"));
    await t.jsm.streams.update("ROLL", { allow_rollup_hdrs: true });
    for (let i = 0; i < 5; i++) await t.js.publish("roll.a", `${i}`);
    await t.js.publish("roll.b", "b");
    expect((await rawPublish(t.nc, "roll.a", "x", { "Nats-Rollup": "bad" })).error).toEqual(err(500, 10111, 'rollup value invalid: "bad"'));
    expect((await rawPublish(t.nc, "roll.a", "last", { "Nats-Rollup": "sub" })).seq).toBe(7);
    let info = await t.jsm.streams.info("ROLL");
    expect(info.state.messages).toBe(2);
    expect((await rawPublish(t.nc, "roll.c", "all", { "Nats-Rollup": "all" })).seq).toBe(8);
    info = await t.jsm.streams.info("ROLL");
    expect(info.state.messages).toBe(1);
    expect(info.state.first_seq).toBe(8);
  });

  test("sealed streams, deny_delete and deny_purge", async () => {
    await t.jsm.streams.add({ name: "SEAL", subjects: ["seal"], deny_delete: true, deny_purge: true });
    await t.js.publish("seal", "1");
    expect((await apiRequest(t.nc, "$JS.API.STREAM.MSG.DELETE.SEAL", { seq: 1 })).error).toEqual(err(500, 10057, "message delete not permitted"));
    expect((await apiRequest(t.nc, "$JS.API.STREAM.PURGE.SEAL")).error).toEqual(err(500, 10110, "stream purge not permitted"));
    await expect(t.jsm.streams.update("SEAL", { deny_delete: false })).rejects.toThrow("stream configuration update can not cancel deny message deletes");
    const sealed = await t.jsm.streams.update("SEAL", { sealed: true } as Record<string, unknown>);
    expect(sealed.config.sealed).toBe(true);
    expect(sealed.config.discard).toBe("new");
    expect((await rawPublish(t.nc, "seal", "2")).error).toEqual(err(400, 10109, "invalid operation on sealed stream"));
    await expect(t.jsm.streams.update("SEAL", { sealed: false } as Record<string, unknown>)).rejects.toThrow("stream configuration update can not unseal a sealed stream");
    const create = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.SEALNEW", { name: "SEALNEW", sealed: true });
    expect(create.error).toEqual(err(500, 10052, "stream configuration for create can not be sealed"));
  });

  test("TestJetStreamDomainInPubAck: the domain is in every PubAck", async () => {
    const d = await startJs({ jetstream: { domain: "HUB" } });
    try {
      await d.jsm.streams.add({ name: "D", subjects: ["d"] });
      expect(await rawPublish(d.nc, "d", "x")).toEqual({ stream: "D", domain: "HUB", seq: 1 });
      expect((await d.jsm.getAccountInfo()).domain).toBe("HUB");
      // Clients naming the domain reach the same API.
      const { jetstreamManager } = await import("@nats-io/jetstream");
      const viaDomain = await jetstreamManager(d.nc, { domain: "HUB" });
      expect((await viaDomain.streams.info("D")).state.messages).toBe(1);
      await viaDomain.streams.update("D", { allow_direct: true });
      expect((await viaDomain.direct.getMessage("D", { seq: 1 }))?.string()).toBe("x");
    } finally {
      await d.stop();
    }
  });

  test("republish copies stored messages with stream headers", async () => {
    await t.jsm.streams.add({ name: "RP", subjects: ["rp.>"], republish: { src: "rp.>", dest: "out.>" } });
    const sub = t.nc.subscribe("out.>", { max: 2 });
    await t.js.publish("rp.a", "one");
    await t.js.publish("rp.a", "two");
    const got = [];
    for await (const m of sub) got.push(m);
    expect(got.map((m) => m.subject)).toEqual(["out.a", "out.a"]);
    expect(got[1].string()).toBe("two");
    expect(got[1].headers?.get("Nats-Stream")).toBe("RP");
    expect(got[1].headers?.get("Nats-Sequence")).toBe("2");
    expect(got[1].headers?.get("Nats-Last-Sequence")).toBe("1");
    const bad = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.RP2", { name: "RP2", subjects: ["rp2.>"], republish: { src: ">", dest: "rp2.x" } });
    expect(bad.error).toEqual(err(500, 10052, "stream configuration for republish destination forms a cycle"));
  });

  test("TestJetStreamInputTransform: subject_transform rewrites subjects before storing", async () => {
    await t.jsm.streams.add({ name: "XFORM", subjects: ["foo.>"], subject_transform: { src: "foo.>", dest: "bar.>" } });
    await t.js.publish("foo.x", "1");
    const m = await t.jsm.streams.getMessage("XFORM", { seq: 1 });
    expect(m?.subject).toBe("bar.x");
  });

  test("interest retention without consumers stores nothing but uses sequences", async () => {
    await t.jsm.streams.add({ name: "INT", subjects: ["int"], retention: RetentionPolicy.Interest });
    expect((await rawPublish(t.nc, "int", "x")).seq).toBe(1);
    expect((await rawPublish(t.nc, "int", "x")).seq).toBe(2);
    const st = (await t.jsm.streams.info("INT")).state;
    expect(st.messages).toBe(0);
    expect(st.last_seq).toBe(2);
  });

  test("per-message TTL needs allow_msg_ttl and expires messages", async () => {
    await t.jsm.streams.add({ name: "TTL", subjects: ["ttl.*"] });
    expect((await rawPublish(t.nc, "ttl.a", "x", { "Nats-TTL": "1s" })).error).toEqual(err(400, 10166, "per-message TTL is disabled"));
    await t.jsm.streams.update("TTL", { allow_msg_ttl: true });
    expect((await rawPublish(t.nc, "ttl.a", "x", { "Nats-TTL": "500ms" })).error).toEqual(err(400, 10165, "invalid per-message TTL"));
    expect((await rawPublish(t.nc, "ttl.a", "x", { "Nats-TTL": "bogus" })).error).toEqual(err(400, 10165, "invalid per-message TTL"));
    expect((await rawPublish(t.nc, "ttl.a", "x", { "Nats-TTL": "1" })).seq).toBe(1);
    expect((await rawPublish(t.nc, "ttl.b", "x", { "Nats-TTL": "never" })).seq).toBe(2);
    await expect(t.jsm.streams.update("TTL", { allow_msg_ttl: false })).rejects.toThrow("message TTL status can not be disabled");
    const deadline = Date.now() + 3000;
    while ((await t.jsm.streams.info("TTL")).state.messages !== 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const st = (await t.jsm.streams.info("TTL")).state;
    expect(st.messages).toBe(1);
    expect(st.first_seq).toBe(2);
  });

  test("Nats-Incr without counters and Nats-Stream-Source from clients are rejected", async () => {
    await t.jsm.streams.add({ name: "CNT", subjects: ["cnt"] });
    expect((await rawPublish(t.nc, "cnt", "", { "Nats-Incr": "1" })).error).toEqual(err(400, 10168, "message counters is disabled"));
    expect((await rawPublish(t.nc, "cnt", "", { "Nats-Stream-Source": "X" })).error).toEqual(err(400, 10227, "message stream source header is not allowed"));
  });
});
