import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRequest, startJs, type JsTestServer } from "../helpers.js";

const create = (t: JsTestServer, cfg: Record<string, unknown>) => apiRequest(t.nc, `$JS.API.STREAM.CREATE.${cfg.name as string}`, cfg);
const info = (t: JsTestServer, name: string, body?: unknown) => apiRequest(t.nc, `$JS.API.STREAM.INFO.${name}`, body);

async function publishN(t: JsTestServer, subject: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await t.js.publish(subject, "OK");
}

/** Polls STREAM.INFO until the state has the expected fields. */
async function expectState(t: JsTestServer, name: string, state: Record<string, unknown>, body?: unknown): Promise<Record<string, any>> {
  let last: Record<string, any> = {};
  await expect
    .poll(async () => {
      last = await info(t, name, body);
      return last.state;
    }, { timeout: 5000, interval: 50 })
    .toMatchObject(state);
  return last;
}

describe("mirrors", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestJetStreamMirrorBasics: sequences, purge, start seq/time, filters and transforms", async () => {
    let r = await create(t, { name: "M1", subjects: ["foo", "bar", "baz"], mirror: { name: "S1" } });
    expect(r.error).toEqual({ code: 400, err_code: 10034, description: "stream mirrors can not contain subjects" });
    expect((await create(t, { name: "S1", subjects: ["foo", "bar", "baz"] })).error).toBeUndefined();
    expect((await create(t, { name: "M1", mirror: { name: "S1" } })).error).toBeUndefined();
    await publishN(t, "foo", 100);
    await expectState(t, "M1", { messages: 100, first_seq: 1, last_seq: 100 });

    await t.jsm.streams.purge("S1");
    await publishN(t, "bar", 50);
    expect((await create(t, { name: "M2", storage: "file", mirror: { name: "S1" } })).error).toBeUndefined();
    await expectState(t, "M2", { messages: 50, first_seq: 101 });

    await publishN(t, "baz", 100);
    expect((await create(t, { name: "M3", mirror: { name: "S1", opt_start_seq: 150 } })).error).toBeUndefined();
    await expectState(t, "M3", { messages: 101, first_seq: 150 });

    const start = new Date(Date.now() - 2 * 3600_000).toISOString();
    expect((await create(t, { name: "M4", mirror: { name: "S1", opt_start_time: start } })).error).toBeUndefined();
    await expectState(t, "M4", { messages: 150, first_seq: 101 });

    const bad = async (mirror: Record<string, unknown>, errCode: number) => {
      r = await create(t, { name: "MBAD", storage: "file", mirror: { name: "S1", ...mirror } });
      expect(r.error?.err_code).toBe(errCode);
    };
    await bad({ filter_subject: "foo", subject_transforms: [{ src: "foo", dest: "foo3" }] }, 10150);
    await bad({ subject_transforms: [{ src: ".*.", dest: "foo3" }] }, 10151);
    await bad({ subject_transforms: [{ src: "*", dest: "{{wildcard(2)}}" }] }, 10154);
    await bad({ subject_transforms: [{ src: "foo", dest: "" }, { src: "foo", dest: "bar" }] }, 10152);
    expect((await create(t, { name: "M5", storage: "file", mirror: { name: "S1", subject_transforms: [{ src: "foo", dest: "foo2" }] } })).error).toBeUndefined();
    const m6 = { name: "S1", subject_transforms: [{ src: "bar", dest: "bar2" }, { src: "baz", dest: "baz2" }] };
    expect((await create(t, { name: "M6", storage: "file", mirror: m6 })).error).toBeUndefined();
    await publishN(t, "foo", 100);

    const m5 = await expectState(t, "M5", { messages: 100, first_seq: 251, last_seq: 350, subjects: { foo2: 100 } }, { subjects_filter: "foo2" });
    expect(m5.mirror).toMatchObject({ name: "S1", lag: 0, subject_transforms: [{ src: "foo", dest: "foo2" }] });
    await expectState(t, "M6", { messages: 150, first_seq: 101, last_seq: 250, subjects: { bar2: 50 } }, { subjects_filter: "bar2" });
    await expectState(t, "M6", { subjects: { baz2: 100 } }, { subjects_filter: "baz2" });
  });

  test("a mirror keeps the origin's sequences, headers and timestamps, and reports itself in STREAM.INFO", async () => {
    await t.jsm.streams.add({ name: "ORIG", subjects: ["orig.>"] });
    const h = (await import("@nats-io/transport-node")).headers();
    h.set("X-Trace", "abc");
    await t.js.publish("orig.a", "one", { headers: h });
    await t.js.publish("orig.b", "two");
    await t.jsm.streams.deleteMessage("ORIG", 2);
    await t.js.publish("orig.c", "three");
    expect((await create(t, { name: "ORIG_M", mirror: { name: "ORIG" } })).error).toBeUndefined();
    const si = await expectState(t, "ORIG_M", { messages: 2, first_seq: 1, last_seq: 3 });
    expect(si.mirror).toMatchObject({ name: "ORIG", lag: 0 });
    expect(si.mirror.active).toBeGreaterThanOrEqual(0);
    for (const seq of [1, 3]) {
      const a = await t.jsm.streams.getMessage("ORIG", { seq });
      const b = await t.jsm.streams.getMessage("ORIG_M", { seq });
      expect(b?.subject).toBe(a?.subject);
      expect(b?.string()).toBe(a?.string());
      expect(b?.timestamp).toBe(a?.timestamp);
    }
    expect((await t.jsm.streams.getMessage("ORIG_M", { seq: 1 }))?.header.get("X-Trace")).toBe("abc");
    await t.js.publish("orig.d", "four");
    await expectState(t, "ORIG_M", { messages: 3, last_seq: 4 });
  });

  test("a mirror of a stream created later catches up once it appears", async () => {
    expect((await create(t, { name: "LATE_M", mirror: { name: "LATE" } })).error).toBeUndefined();
    expect((await info(t, "LATE_M")).mirror).toMatchObject({ name: "LATE", active: -1 });
    await t.jsm.streams.add({ name: "LATE", subjects: ["late"] });
    await publishN(t, "late", 3);
    await expectState(t, "LATE_M", { messages: 3, last_seq: 3 });
  });

  test("TestJetStreamMirrorUpdatesNotSupported: the mirror config can not change", async () => {
    await t.jsm.streams.add({ name: "UPD", subjects: ["upd"] });
    expect((await create(t, { name: "UPD_M", mirror: { name: "UPD" } })).error).toBeUndefined();
    const r = await apiRequest(t.nc, "$JS.API.STREAM.UPDATE.UPD_M", { name: "UPD_M", mirror: { name: "UPD", filter_subject: "upd" } });
    expect(r.error).toEqual({ code: 400, err_code: 10055, description: "stream mirror configuration can not be updated" });
    const r2 = await apiRequest(t.nc, "$JS.API.STREAM.UPDATE.UPD", { name: "UPD", subjects: ["upd"], mirror: { name: "S1" } });
    expect(r2.error?.err_code).toBe(10034);
  });

  test("TestJetStreamMirrorFirstSeqNotSupported: a mirror can not set first_seq", async () => {
    const r = await create(t, { name: "FS_M", first_seq: 10, mirror: { name: "S1" } });
    expect(r.error).toEqual({ code: 400, err_code: 10143, description: "stream mirrors can not have first sequence configured" });
  });
});

describe("sources", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestJetStreamSourceBasics: aggregates three streams with a subject transform", async () => {
    const r = await create(t, { name: "test", sources: [{ name: "" }] });
    expect(r.error).toEqual({ code: 400, err_code: 10141, description: "sourced stream name is invalid" });
    for (const name of ["foo", "bar", "baz"]) await t.jsm.streams.add({ name });
    await publishN(t, "foo", 10);
    await publishN(t, "bar", 15);
    await publishN(t, "baz", 25);
    const cfg = { name: "MS", storage: "file", sources: [{ name: "foo", subject_transforms: [{ src: ">", dest: "foo2.>" }] }, { name: "bar" }, { name: "baz" }] };
    expect((await create(t, cfg)).error).toBeUndefined();
    const si = await expectState(t, "MS", { messages: 50, subjects: { "foo2.foo": 10 } }, { subjects_filter: "foo2.>" });
    expect(si.sources).toHaveLength(3);
    expect(si.sources[0]).toMatchObject({ name: "foo", lag: 0, subject_transforms: [{ src: ">", dest: "foo2.>" }] });
  });

  test("TestJetStreamSourceWorkingQueueWithLimit: a full discard-new work queue takes the rest once consumed", async () => {
    await t.jsm.streams.add({ name: "wqin", subjects: ["wqin"] });
    expect((await create(t, { name: "wq", max_msgs: 10, discard: "new", retention: "workqueue", sources: [{ name: "wqin" }] })).error).toBeUndefined();
    await publishN(t, "wqin", 30);
    await expectState(t, "wq", { messages: 10 });
    await t.jsm.consumers.add("wq", { durable_name: "wqc", ack_policy: "explicit" as never });
    const c = await t.js.consumers.get("wq", "wqc");
    const seen: string[] = [];
    while (seen.length < 30) {
      const m = await c.next({ expires: 3000 });
      expect(m).not.toBeNull();
      seen.push(m!.headers!.get("Nats-Stream-Source"));
      m!.ack();
    }
    expect(new Set(seen).size).toBe(30);
    await expectState(t, "wq", { messages: 0 });
  });

  test("sourced messages carry Go's Nats-Stream-Source header and get the aggregate's sequences", async () => {
    await t.jsm.streams.add({ name: "SA", subjects: ["sa.*"] });
    await t.jsm.streams.add({ name: "SB", subjects: ["sb.*"] });
    await publishN(t, "sa.x", 2);
    await publishN(t, "sb.y", 3);
    expect((await create(t, { name: "AGG", subjects: ["agg"], sources: [{ name: "SA", filter_subject: "sa.x" }, { name: "SB", opt_start_seq: 2 }] })).error).toBeUndefined();
    await expectState(t, "AGG", { messages: 4, first_seq: 1, last_seq: 4 });
    const values = new Set<string | undefined>();
    for (let seq = 1; seq <= 4; seq++) values.add((await t.jsm.streams.getMessage("AGG", { seq }))?.header.get("Nats-Stream-Source"));
    expect(values).toEqual(new Set(["SA 1 sa.x > sa.x", "SA 2 sa.x > sa.x", "SB 2 > > sb.y", "SB 3 > > sb.y"]));
    await t.js.publish("agg", "own");
    await publishN(t, "sb.y", 1);
    await expectState(t, "AGG", { messages: 6, last_seq: 6 });
  });

  test("TestJetStreamSourceStreamRecreated: sourcing picks up again from a recreated origin", async () => {
    for (const retention of ["limits", "interest", "workqueue"] as const) {
      await t.jsm.streams.add({ name: "ORIGIN", subjects: ["origin"], retention });
      expect((await create(t, { name: "SOURCE", storage: "file", sources: [{ name: "ORIGIN" }] })).error).toBeUndefined();
      await publishN(t, "origin", 10);
      await expectState(t, "SOURCE", { messages: 10 });
      await t.jsm.streams.delete("ORIGIN");
      await t.jsm.streams.add({ name: "ORIGIN", subjects: ["origin"], retention });
      await publishN(t, "origin", 5);
      await expectState(t, "SOURCE", { messages: 15 });
      await t.jsm.streams.delete("ORIGIN");
      await t.jsm.streams.delete("SOURCE");
    }
  });

  test("a source is interest on an interest or work queue origin: it is copied, then removed there", async () => {
    for (const retention of ["interest", "workqueue"] as const) {
      const name = `RET_${retention}`;
      await t.jsm.streams.add({ name, subjects: [name], retention });
      expect((await create(t, { name: `${name}_S`, sources: [{ name }] })).error).toBeUndefined();
      await publishN(t, name, 4);
      await expectState(t, `${name}_S`, { messages: 4 });
      await expectState(t, name, { messages: 0, last_seq: 4 });
    }
  });

  test("TestJetStreamSourceStartSeqRespectedOnEmptyOrigin: opt_start_seq holds while the origin is still empty", async () => {
    await t.jsm.streams.add({ name: "MO", subjects: ["mo"] });
    expect((await create(t, { name: "MOM", mirror: { name: "MO", opt_start_seq: 10 } })).error).toBeUndefined();
    await t.jsm.streams.add({ name: "SO", subjects: ["so"] });
    expect((await create(t, { name: "SOS", sources: [{ name: "SO", opt_start_seq: 10 }] })).error).toBeUndefined();
    for (let i = 1; i <= 15; i++) {
      await t.js.publish("mo", String(i));
      await t.js.publish("so", String(i));
    }
    await expectState(t, "MOM", { messages: 6, first_seq: 10, last_seq: 15 });
    await expectState(t, "SOS", { messages: 6 });
    const bodies: string[] = [];
    for (let seq = 1; seq <= 6; seq++) bodies.push((await t.jsm.streams.getMessage("SOS", { seq }))?.string() ?? "");
    expect(bodies).toEqual(["10", "11", "12", "13", "14", "15"]);
  });

  test("TestJetStreamSourceHeaderNotAllowedIfNotSourced: clients can not publish Nats-Stream-Source", async () => {
    const h = (await import("@nats-io/transport-node")).headers();
    h.set("Nats-Stream-Source", "SA 1 > > sa.x");
    await expect(t.js.publish("agg", "x", { headers: h })).rejects.toThrow("message stream source header is not allowed");
  });

  test("TestJetStreamSourceConfigValidation: a null source is an invalid source name", async () => {
    const body = `{"name":"crash","retention":"limits","max_consumers":-1,"max_msgs_per_subject":-1,"max_msgs":-1,"max_bytes":-1,"max_age":0,"max_msg_size":-1,"storage":"file","discard":"old","num_replicas":1,"duplicate_window":120000000000,"sources":[null],"sealed":false,"deny_delete":false,"deny_purge":false,"allow_rollup_hdrs":false,"allow_direct":true,"mirror_direct":false,"consumer_limits":{}}`;
    const msg = await t.nc.request("$JS.API.STREAM.CREATE.crash", body, { timeout: 2000 });
    expect(msg.string()).toBe(`{"type":"io.nats.jetstream.api.v1.stream_create_response","error":{"code":400,"err_code":10141,"description":"sourced stream name is invalid"}}`);
  });

  test("config errors: duplicate sources, mirror with sources, bad names", async () => {
    let r = await create(t, { name: "DUP", sources: [{ name: "SA" }, { name: "SA" }] });
    expect(r.error).toEqual({ code: 400, err_code: 10140, description: "duplicate source configuration detected" });
    r = await create(t, { name: "MS2", mirror: { name: "SA" }, sources: [{ name: "SB" }] });
    expect(r.error).toEqual({ code: 400, err_code: 10031, description: "stream mirrors can not also contain other sources" });
    r = await create(t, { name: "BADM", mirror: { name: "a.b" } });
    expect(r.error).toEqual({ code: 400, err_code: 10142, description: "mirrored stream name is invalid" });
    // The same origin once local and once external (through another API prefix) are two sources.
    r = await create(t, { name: "EXT", sources: [{ name: "SA" }, { name: "SA", external: { api: "$JS.other.API" } }] });
    expect(r.error).toBeUndefined();
    expect(r.config.sources[1].external).toEqual({ api: "$JS.other.API", deliver: "" });
  });
});

describe("Msg-Id de-duplication and mirrors/sources", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** Publishes msgId twice with the origin's window expired in between: two messages upstream. */
  async function twiceAcrossWindow(stream: string, subject: string): Promise<void> {
    await t.jsm.streams.add({ name: stream, subjects: [subject], duplicate_window: 100_000_000 });
    const a = await t.js.publish(subject, "", { msgID: "msgId" });
    const dup = await t.js.publish(subject, "", { msgID: "msgId" });
    expect([a.seq, a.duplicate, dup.seq, dup.duplicate]).toEqual([1, false, 1, true]);
    await sleep(200);
    const b = await t.js.publish(subject, "", { msgID: "msgId" });
    expect([b.seq, b.duplicate]).toEqual([2, false]);
  }

  test("TestJetStreamStreamMirrorWithoutDuplicateWindow: the mirror copies both messages", async () => {
    await twiceAcrossWindow("DW1", "dw1");
    expect((await create(t, { name: "DW1_M", mirror: { name: "DW1" } })).error).toBeUndefined();
    await expectState(t, "DW1_M", { messages: 2, first_seq: 1, last_seq: 2 });
  });

  test("TestJetStreamStreamSourceWithoutDuplicateWindow: the source copies both messages", async () => {
    await twiceAcrossWindow("DW2", "dw2");
    expect((await create(t, { name: "DW2_S", sources: [{ name: "DW2" }] })).error).toBeUndefined();
    await expectState(t, "DW2_S", { messages: 2, first_seq: 1, last_seq: 2 });
  });

  test("a source with a duplicate window drops a repeated Nats-Msg-Id", async () => {
    await twiceAcrossWindow("DW3", "dw3");
    expect((await create(t, { name: "DW3_S", duplicate_window: 60_000_000_000, sources: [{ name: "DW3" }] })).error).toBeUndefined();
    await t.js.publish("dw3", "", { msgID: "other" });
    await expectState(t, "DW3_S", { messages: 2, last_seq: 2 });
  });

  test("TestJetStreamMirrorStripExpectedHeaders: expected-* headers do not stop mirroring", async () => {
    await t.jsm.streams.add({ name: "S", subjects: ["foo"] });
    expect((await create(t, { name: "M", mirror: { name: "S" } })).error).toBeUndefined();
    expect((await t.js.publish("foo")).seq).toBe(1);
    await expectState(t, "M", { messages: 1 });
    expect((await t.js.publish("foo", "", { expect: { streamName: "S" } })).seq).toBe(2);
    await expectState(t, "M", { messages: 2 });
  });

  test("TestJetStreamMirrorUpdatePreventsSubjects: an update can not give a mirror subjects", async () => {
    await t.jsm.streams.add({ name: "ORIGINAL" });
    expect((await create(t, { name: "MIRROR", mirror: { name: "ORIGINAL" } })).error).toBeUndefined();
    const r = await apiRequest(t.nc, "$JS.API.STREAM.UPDATE.MIRROR", { name: "MIRROR", mirror: { name: "ORIGINAL" }, subjects: ["x"] });
    expect(r.error).toEqual({ code: 400, err_code: 10034, description: "stream mirrors can not contain subjects" });
  });
});

describe("mirrors and sources across a restart", () => {
  test("TestJetStreamStreamMirrorIgnoresUpstreamDuplicateMsgIds: a mirror stores repeated ids, also after a restart", async () => {
    const t = await startJs();
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    try {
      await t.jsm.streams.add({ name: "TEST", subjects: ["foo"], duplicate_window: 100_000_000 });
      expect((await t.js.publish("foo", "", { msgID: "X" })).seq).toBe(1);
      await sleep(200);
      const b = await t.js.publish("foo", "", { msgID: "X" });
      expect([b.seq, b.duplicate]).toEqual([2, false]);
      expect((await create(t, { name: "M", storage: "file", mirror: { name: "TEST" }, duplicate_window: 120_000_000_000 })).error).toBeUndefined();
      await expectState(t, "M", { messages: 2, last_seq: 2 });
      expect((await t.js.publish("foo", "", { msgID: "Y" })).seq).toBe(3);
      await expectState(t, "M", { messages: 3, last_seq: 3 });
      await t.restart();
      await sleep(200);
      const c = await t.js.publish("foo", "", { msgID: "X" });
      expect([c.seq, c.duplicate]).toEqual([4, false]);
      await expectState(t, "M", { messages: 4, last_seq: 4 });
    } finally {
      await t.stop();
    }
  });

  test("sourcing and mirroring resume without duplicates", async () => {
    const t = await startJs();
    try {
      await t.jsm.streams.add({ name: "O", subjects: ["o"] });
      await publishN(t, "o", 5);
      expect((await create(t, { name: "OM", mirror: { name: "O" } })).error).toBeUndefined();
      expect((await create(t, { name: "OS", sources: [{ name: "O" }] })).error).toBeUndefined();
      await expectState(t, "OM", { messages: 5 });
      await expectState(t, "OS", { messages: 5 });
      await t.restart();
      await publishN(t, "o", 2);
      await expectState(t, "OM", { messages: 7, last_seq: 7 });
      await expectState(t, "OS", { messages: 7, last_seq: 7 });
    } finally {
      await t.stop();
    }
  });
});
