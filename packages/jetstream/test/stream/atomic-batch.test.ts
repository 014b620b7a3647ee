import { describe, expect, test } from "vitest";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { apiRequest, sharedJs, type JsTestServer } from "../helpers.js";

const VARIANTS = (["file", "memory"] as const).flatMap((storage) => (["limits", "interest", "workqueue"] as const).map((retention) => ({ storage, retention })));

function msgHeaders(h: Record<string, string>) {
  const out = headers();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

/** A request with headers; the reply's raw text ("" for the empty staging ack). */
async function request(nc: NatsConnection, subject: string, data: string, h: Record<string, string>): Promise<string> {
  return (await nc.request(subject, data, { timeout: 2000, headers: msgHeaders(h) })).string();
}

const ack = async (nc: NatsConnection, subject: string, data: string, h: Record<string, string>) => JSON.parse(await request(nc, subject, data, h)) as Record<string, any>;

describe("atomic batch publish", () => {
  let t: JsTestServer;
  sharedJs((s) => (t = s));

  async function recreate(cfg: Record<string, unknown>): Promise<void> {
    await apiRequest(t.nc, "$JS.API.STREAM.DELETE.TEST");
    const r = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.TEST", { name: "TEST", ...cfg });
    expect(r.error).toBeUndefined();
  }

  test.each(VARIANTS)("TestJetStreamAtomicBatchPublish: $storage/$retention", async ({ storage, retention }) => {
    const { nc } = t;
    const cfg = { subjects: ["foo.*"], storage, retention };
    await recreate(cfg);
    const h: Record<string, string> = { "Nats-Batch-Id": "uuid" };
    let r = await ack(nc, "foo.0", "foo.0", h);
    expect(r.error).toEqual({ code: 400, err_code: 10174, description: "atomic publish is disabled" });
    expect((await apiRequest(nc, "$JS.API.STREAM.UPDATE.TEST", { name: "TEST", ...cfg, allow_atomic: true })).error).toBeUndefined();

    r = await ack(nc, "foo.0", "foo.0", h);
    expect(r.error).toEqual({ code: 400, err_code: 10175, description: "atomic publish sequence is missing" });
    h["Nats-Batch-Sequence"] = "2";
    r = await ack(nc, "foo.0", "foo.0", h);
    expect(r.error).toEqual({ code: 400, err_code: 10176, description: "atomic publish batch is incomplete" });

    // A batch that commits at once.
    h["Nats-Batch-Sequence"] = "1";
    h["Nats-Batch-Commit"] = "1";
    expect(await ack(nc, "foo.0", "foo.0", h)).toEqual({ stream: "TEST", seq: 1, batch: "uuid", count: 1 });
    delete h["Nats-Batch-Commit"];

    // A batch with a gap.
    nc.publish("foo.0", "foo.0", { headers: msgHeaders(h) });
    h["Nats-Batch-Sequence"] = "3";
    r = await ack(nc, "foo.0", "foo.0", h);
    expect(r.error?.err_code).toBe(10176);

    for (let seq = 1; seq <= 5; seq++) {
      const subject = `foo.${seq}`;
      const mh = { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": String(seq) };
      if (seq < 5) {
        nc.publish(subject, subject, { headers: msgHeaders(mh) });
        continue;
      }
      expect(await ack(nc, subject, subject, { ...mh, "Nats-Batch-Commit": "1" })).toEqual({ stream: "TEST", seq: 6, batch: "uuid", count: 5 });
    }
    if (retention !== "interest") {
      for (let i = 0; i < 6; i++) {
        const m = await t.jsm.streams.getMessage("TEST", { seq: i + 1 });
        expect([m?.subject, m?.string()]).toEqual([`foo.${i}`, `foo.${i}`]);
      }
    }
  });

  test.each(VARIANTS)("TestJetStreamAtomicBatchPublishEmptyAck: $storage/$retention", async ({ storage, retention }) => {
    await recreate({ subjects: ["foo.*"], storage, retention, allow_atomic: true });
    for (let seq = 1; seq <= 5; seq++) {
      const h: Record<string, string> = { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": String(seq) };
      if (seq < 5) {
        expect(await request(t.nc, `foo.${seq}`, `foo.${seq}`, h)).toBe("");
        continue;
      }
      expect(await ack(t.nc, `foo.${seq}`, `foo.${seq}`, { ...h, "Nats-Batch-Commit": "1" })).toEqual({ stream: "TEST", seq: 5, batch: "uuid", count: 5 });
    }
  });

  test.each(VARIANTS)("TestJetStreamAtomicBatchPublishCommitEob: $storage/$retention", async ({ storage, retention }) => {
    const { nc } = t;
    await recreate({ subjects: ["foo"], storage, retention, allow_atomic: true });
    let r = await ack(nc, "foo", "", { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1", "Nats-Batch-Commit": "eob" });
    expect(r.error?.err_code).toBe(10176);
    nc.publish("foo", "", { headers: msgHeaders({ "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1" }) });
    nc.publish("foo", "", { headers: msgHeaders({ "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "2" }) });
    r = await ack(nc, "foo", "", { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "3", "Nats-Batch-Commit": "eob" });
    expect(r).toEqual({ stream: "TEST", seq: 2, batch: "uuid", count: 2 });
    if (retention !== "interest") {
      for (let seq = 1; seq <= 2; seq++) {
        const m = await t.jsm.streams.getMessage("TEST", { seq });
        expect(m?.header.get("Nats-Batch-Id")).toBe("uuid");
        expect(m?.header.get("Nats-Batch-Sequence")).toBe(String(seq));
        // The commit marker itself is not stored; the last message carries the commit header.
        expect(m?.header.get("Nats-Batch-Commit")).toBe(seq === 2 ? "1" : "");
      }
    }
  });

  test.each(VARIANTS)("TestJetStreamAtomicBatchPublishDedupeNotAllowed: $storage/$retention", async ({ storage, retention }) => {
    const { nc } = t;
    await recreate({ subjects: ["foo"], storage, retention, allow_atomic: true });
    await t.js.publish("foo", "", { msgID: "pre-existing" });
    let r = await ack(nc, "foo", "", { "Nats-Msg-Id": "pre-existing", "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1", "Nats-Batch-Commit": "1" });
    expect(r.error).toEqual({ code: 400, err_code: 10201, description: "atomic publish batch contains duplicate message id" });
    nc.publish("foo", "", { headers: msgHeaders({ "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1", "Nats-Msg-Id": "msgId1" }) });
    r = await ack(nc, "foo", "", { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "2", "Nats-Msg-Id": "msgId2", "Nats-Batch-Commit": "1" });
    expect(r).toEqual({ stream: "TEST", seq: 3, batch: "uuid", count: 2 });
  });

  test("TestJetStreamAtomicBatchPublishDenyHeaders: Nats-Expected-Last-Msg-Id", async () => {
    await recreate({ subjects: ["foo"], storage: "file", allow_atomic: true });
    t.nc.publish("foo", "", { headers: msgHeaders({ "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1", "Nats-Expected-Last-Msg-Id": "msgId" }) });
    const r = await ack(t.nc, "foo", "", { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "2", "Nats-Batch-Commit": "eob" });
    expect(r.error).toEqual({ code: 400, err_code: 10177, description: "atomic publish unsupported header used: Nats-Expected-Last-Msg-Id" });
  });

  test("TestJetStreamAtomicBatchPublishExpectedSeq: a one-message batch with an expected last sequence", async () => {
    await recreate({ subjects: ["foo"], storage: "file", allow_atomic: true });
    await t.js.publish("foo", "hello");
    await t.js.publish("foo", "hello", { expect: { lastSequence: 1 } });
    const r = await ack(t.nc, "foo", "", { "Nats-Expected-Last-Sequence": "2", "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1", "Nats-Batch-Commit": "1" });
    expect(r).toEqual({ stream: "TEST", seq: 3, batch: "uuid", count: 1 });
  });

  test("TestJetStreamAtomicBatchPublishExpectedLastSubjectSequence", async () => {
    await recreate({ subjects: ["foo.*"], storage: "file", allow_atomic: true });
    await t.js.publish("foo.A", "");
    await t.js.publish("foo.B", "");
    const staged = await request(t.nc, "foo.A", "", {
      "Nats-Batch-Id": "uuid",
      "Nats-Batch-Sequence": "1",
      "Nats-Expected-Last-Sequence": "2",
      "Nats-Expected-Last-Subject-Sequence": "1",
      "Nats-Expected-Last-Subject-Sequence-Subject": "foo.A",
    });
    expect(staged).toBe("");
    const r = await ack(t.nc, "foo.B", "", {
      "Nats-Batch-Id": "uuid",
      "Nats-Batch-Sequence": "2",
      "Nats-Batch-Commit": "1",
      "Nats-Expected-Last-Subject-Sequence": "2",
      "Nats-Expected-Last-Subject-Sequence-Subject": "foo.B",
    });
    expect(r).toEqual({ stream: "TEST", seq: 4, batch: "uuid", count: 2 });
  });

  test("TestJetStreamAtomicBatchPublishCommitUnsupported", async () => {
    await recreate({ subjects: ["foo"], storage: "memory", allow_atomic: true });
    for (const commit of ["", "unsupported", "0"]) {
      expect(await request(t.nc, "foo", "", { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1" })).toBe("");
      const r = await ack(t.nc, "foo", "", { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "2", "Nats-Batch-Commit": commit });
      expect(r.error).toEqual({ code: 400, err_code: 10200, description: "atomic publish batch commit is invalid" });
    }
    // No batch is left over: a new one starts at 1.
    const h = { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": "1", "Nats-Batch-Commit": "1" };
    let r = await ack(t.nc, "foo", "", { ...h, "Nats-Required-Api-Level": String(Number.MAX_SAFE_INTEGER) });
    expect(r.error?.err_code).toBe(10185); // JSRequiredApiLevelErr
    r = await ack(t.nc, "foo", "", { ...h, "Nats-Required-Api-Level": "0" });
    expect(r).toEqual({ stream: "TEST", seq: 1, batch: "uuid", count: 1 });
    expect((await t.jsm.streams.getMessage("TEST", { seq: 1 }))?.header.has("Nats-Required-Api-Level")).toBe(false);
  });

  test("TestJetStreamAtomicBatchPublishSourceAndMirror: batch headers are not copied by mirrors and sources", async () => {
    await recreate({ subjects: ["foo"], storage: "file", allow_atomic: true });
    for (const name of ["M", "S"]) await apiRequest(t.nc, `$JS.API.STREAM.DELETE.${name}`);
    for (let seq = 1; seq <= 3; seq++) {
      const h: Record<string, string> = { "Nats-Batch-Id": "uuid", "Nats-Batch-Sequence": String(seq) };
      if (seq < 3) t.nc.publish("foo", "", { headers: msgHeaders(h) });
      else expect(await ack(t.nc, "foo", "", { ...h, "Nats-Batch-Commit": "1" })).toEqual({ stream: "TEST", seq: 3, batch: "uuid", count: 3 });
    }
    await t.jsm.streams.deleteMessage("TEST", 2);
    // A mirror can copy batched messages but can't take atomic batches itself.
    const bad = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.M-no-batch", { name: "M-no-batch", storage: "file", mirror: { name: "TEST" }, allow_atomic: true });
    expect(bad.error?.err_code).toBe(10198); // JSMirrorWithAtomicPublishErr
    await t.jsm.streams.add({ name: "M", mirror: { name: "TEST" } });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.CREATE.S", { name: "S", storage: "file", sources: [{ name: "TEST" }], allow_atomic: true })).error).toBeUndefined();
    for (const name of ["M", "S"]) await expect.poll(async () => (await t.jsm.streams.info(name)).state.messages).toBe(2);
    for (const seq of [1, 3]) expect((await t.jsm.streams.getMessage("M", { seq }))?.header.keys()).toEqual([]);
    for (const [seq, origin] of [[1, 1], [2, 3]]) {
      const h = (await t.jsm.streams.getMessage("S", { seq }))!.header;
      expect(h.keys()).toEqual(["Nats-Stream-Source"]);
      expect(h.get("Nats-Stream-Source").startsWith(`TEST ${origin} > > foo`)).toBe(true);
    }
    // Daisy-chained, a source keeps only its own Nats-Stream-Source.
    await apiRequest(t.nc, "$JS.API.STREAM.DELETE.S2");
    await t.jsm.streams.add({ name: "S2", sources: [{ name: "S" }] });
    await expect.poll(async () => (await t.jsm.streams.info("S2")).state.messages).toBe(2);
    const chained = (await t.jsm.streams.getMessage("S2", { seq: 2 }))!.header;
    expect(chained.values("Nats-Stream-Source")).toEqual(["S 2 > > foo"]);
  });

  test("a batch any of whose messages would be refused stores nothing; expected sequences are checked against the stream before the batch", async () => {
    const { nc } = t;
    await recreate({ subjects: ["foo.*"], storage: "file", allow_atomic: true });
    await t.js.publish("foo.a", "before");
    const batch = async (id: string, msgs: Record<string, string>[]) => {
      for (let i = 0; i < msgs.length - 1; i++) expect(await request(nc, "foo.a", "x", { "Nats-Batch-Id": id, "Nats-Batch-Sequence": String(i + 1), ...msgs[i] })).toBe("");
      return ack(nc, "foo.b", "x", { "Nats-Batch-Id": id, "Nats-Batch-Sequence": String(msgs.length), "Nats-Batch-Commit": "1", ...msgs[msgs.length - 1] });
    };
    // The third message asks for a TTL the stream does not allow.
    expect((await batch("b1", [{}, {}, { "Nats-TTL": "5s" }])).error).toEqual({ code: 400, err_code: 10166, description: "per-message TTL is disabled" });
    // Only the first message may state the stream's last sequence.
    expect((await batch("b2", [{ "Nats-Expected-Last-Sequence": "1" }, { "Nats-Expected-Last-Sequence": "2" }])).error).toEqual({ code: 400, err_code: 10164, description: "wrong last sequence" });
    // A subject the batch already wrote to has no known last sequence.
    expect((await batch("b3", [{}, { "Nats-Expected-Last-Subject-Sequence": "1", "Nats-Expected-Last-Subject-Sequence-Subject": "foo.a" }])).error?.err_code).toBe(10164);
    expect((await t.jsm.streams.info("TEST")).state.messages).toBe(1);
    // Checked against the stream as it was before the batch, they pass.
    expect(await batch("b4", [{ "Nats-Expected-Last-Sequence": "1" }, { "Nats-Expected-Last-Subject-Sequence": "0" }])).toEqual({ stream: "TEST", seq: 3, batch: "b4", count: 2 });
  });

  test("@nats-io/jetstream's batch publisher; an abandoned batch is advertised", async () => {
    await recreate({ subjects: ["foo.*"], storage: "file", allow_atomic: true });
    const b = await t.js.startBatch("foo.1", "one");
    b.add("foo.2", "two");
    await b.add("foo.3", "three", { ack: true });
    const pa = await b.commit("foo.4", "four");
    expect(pa).toMatchObject({ stream: "TEST", seq: 4, batch: expect.any(String), count: 4 });

    const advisories: Record<string, unknown>[] = [];
    const sub = t.nc.subscribe("$JS.EVENT.ADVISORY.STREAM.BATCH_ABANDONED.TEST", { callback: (_e, m) => void advisories.push(m.json()) });
    await t.nc.flush();
    t.nc.publish("foo.1", "", { headers: msgHeaders({ "Nats-Batch-Id": "gap", "Nats-Batch-Sequence": "1" }) });
    expect((await ack(t.nc, "foo.1", "", { "Nats-Batch-Id": "gap", "Nats-Batch-Sequence": "3" })).error?.err_code).toBe(10176);
    await expect.poll(() => advisories.length).toBe(1);
    expect(advisories[0]).toMatchObject({ type: "io.nats.jetstream.advisory.v1.stream_batch_abandoned", stream: "TEST", batch: "gap", reason: "incomplete" });
    sub.unsubscribe();
  });

  test("bad batch headers never store anything: invalid commit value, long ids, unknown sequences", async () => {
    await recreate({ subjects: ["foo"], storage: "memory", allow_atomic: true });
    let r = await ack(t.nc, "foo", "", { "Nats-Batch-Id": "x".repeat(65), "Nats-Batch-Sequence": "1" });
    expect(r.error?.err_code).toBe(10179);
    r = await ack(t.nc, "foo", "", { "Nats-Batch-Id": "id", "Nats-Batch-Sequence": "1", "Nats-Batch-Commit": "yes" });
    expect(r.error).toEqual({ code: 400, err_code: 10200, description: "atomic publish batch commit is invalid" });
    r = await ack(t.nc, "foo", "", { "Nats-Batch-Id": "id", "Nats-Batch-Sequence": "-1" });
    expect(r.error?.err_code).toBe(10175);
    r = await ack(t.nc, "foo", "", { "Nats-Batch-Id": "id", "Nats-Batch-Sequence": "1001" });
    expect(r.error).toEqual({ code: 400, err_code: 10199, description: "atomic publish batch is too large: 1000" });
    expect((await t.jsm.streams.info("TEST")).state.messages).toBe(0);
  });
});
