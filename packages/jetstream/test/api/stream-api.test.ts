import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRequest, rawPublish, startJs, type JsTestServer } from "../helpers.js";

const err = (code: number, errCode: number, description: string) => ({ code, err_code: errCode, description });
const T = (name: string) => `io.nats.jetstream.api.v1.${name}`;

describe("stream API", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs({ plugin: { accountLimits: {} } });
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestJetStreamAddStreamBadSubjects: invalid subjects and names", async () => {
    const create = (cfg: Record<string, unknown>) => apiRequest(t.nc, `$JS.API.STREAM.CREATE.${cfg.name}`, cfg);
    expect((await create({ name: "MY", subjects: ["foo.bar."] })).error).toEqual(err(500, 10052, "invalid subject"));
    expect((await create({ name: "MY", subjects: ["..."] })).error).toEqual(err(500, 10052, "invalid subject"));
    // Go finds the overlap with the later copy before the duplicate check.
    expect((await create({ name: "MY", subjects: ["foo", "foo"] })).error).toEqual(err(500, 10052, 'subject "foo" overlaps with "foo"'));
    expect((await create({ name: "MY", subjects: ["foo.*", "foo.bar"] })).error).toEqual(err(500, 10052, 'subject "foo.*" overlaps with "foo.bar"'));
    expect((await apiRequest(t.nc, "$JS.API.STREAM.CREATE.A", { name: "B" })).error).toEqual(err(400, 10056, "stream name in subject does not match request"));
  });

  test("TestJetStreamAddStreamOverlapWithJSAPISubjects: API subjects need no_ack", async () => {
    const r = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.API", { name: "API", subjects: ["$JS.API.>"] });
    expect(r.error).toEqual(err(500, 10052, "subjects that overlap with jetstream api require no-ack to be true"));
    const s = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.SYS", { name: "SYS", subjects: ["$SYS.>"] });
    expect(s.error).toEqual(err(500, 10052, "subjects that overlap with system api require no-ack to be true"));
    const ok = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.EVT", { name: "EVT", subjects: ["$JS.EVENT.>"] });
    expect(ok.error).toBeUndefined();
    await t.jsm.streams.delete("EVT");
  });

  test("TestJetStreamAddStreamOverlappingSubjects and TestJetStreamAddStreamSameConfigOK", async () => {
    const first = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.OV1", { name: "OV1", subjects: ["ov.*"] });
    expect(first.type).toBe(T("stream_create_response"));
    expect(first.did_create).toBe(true);
    const again = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.OV1", { name: "OV1", subjects: ["ov.*"] });
    expect(again.error).toBeUndefined();
    expect(again.did_create).toBeUndefined();
    expect((await apiRequest(t.nc, "$JS.API.STREAM.CREATE.OV1", { name: "OV1", subjects: ["ov.>"] })).error).toEqual(
      err(400, 10058, "stream name already in use with a different configuration"),
    );
    expect((await apiRequest(t.nc, "$JS.API.STREAM.CREATE.OV2", { name: "OV2", subjects: ["ov.a"] })).error).toEqual(
      err(400, 10065, "subjects overlap with an existing stream"),
    );
    await t.jsm.streams.add({ name: "OV3", subjects: ["ov3"] });
    await expect(t.jsm.streams.update("OV3", { subjects: ["ov.x"] })).rejects.toThrow("subjects overlap with an existing stream");
  });

  test("bad JSON and unknown fields get Go's invalid JSON errors", async () => {
    const bad = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.BAD", '{"name":');
    expect(bad.error).toEqual(err(400, 10025, "invalid JSON: unexpected end of JSON input"));
    const unknown = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.BAD", { name: "BAD", bogus: 1 });
    expect(unknown.error).toEqual(err(400, 10025, 'invalid JSON: json: unknown field "bogus"'));
    const wrongType = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.BAD", { name: "BAD", max_msgs: "ten" });
    expect(wrongType.error.description).toBe("invalid JSON: json: cannot unmarshal string into Go struct field StreamConfigRequest.max_msgs of type int64");
    const enumBad = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.BAD", { name: "BAD", storage: "tape" });
    expect(enumBad.error).toEqual(err(400, 10025, 'invalid JSON: can not unmarshal "\\"tape\\""'));
    // Nothing was created and the server still answers.
    expect((await apiRequest(t.nc, "$JS.API.STREAM.INFO.BAD")).error.err_code).toBe(10059);
  });

  test("config defaults and validation follow checkStreamCfg", async () => {
    const cfg = (await t.jsm.streams.add({ name: "DEF" })).config;
    expect(cfg).toMatchObject({
      subjects: ["DEF"],
      retention: "limits",
      max_consumers: -1,
      max_msgs: -1,
      max_bytes: -1,
      max_age: 0,
      max_msgs_per_subject: -1,
      max_msg_size: -1,
      discard: "old",
      storage: "file",
      num_replicas: 1,
      duplicate_window: 120e9,
      compression: "none",
      sealed: false,
      deny_delete: false,
      deny_purge: false,
      allow_rollup_hdrs: false,
      allow_direct: false,
    });
    expect(cfg.metadata?.["_nats.req.level"]).toBe("0");
    expect(cfg.metadata?.["_nats.ver"]).toBeDefined();
    const create = (c: Record<string, unknown>) => apiRequest(t.nc, `$JS.API.STREAM.CREATE.${c.name}`, c);
    expect((await create({ name: "X", max_age: 10e6 })).error).toEqual(err(500, 10052, "max age needs to be >= 100ms"));
    expect((await create({ name: "X", max_age: -1 })).error).toEqual(err(500, 10052, "max age can not be negative"));
    expect((await create({ name: "X", duplicate_window: 10e6 })).error).toEqual(err(500, 10052, "duplicates window needs to be >= 100ms"));
    expect((await create({ name: "X", deny_purge: true, allow_rollup_hdrs: true })).error).toEqual(err(500, 10052, "roll-ups require the purge permission"));
    expect((await create({ name: "X", discard_new_per_subject: true })).error).toEqual(
      err(500, 10052, "discard new per subject requires discard new policy to be set"),
    );
    expect((await create({ name: "X", num_replicas: 3 })).error).toEqual(err(500, 10074, "replicas > 1 not supported in non-clustered mode"));
    expect((await create({ name: "X", num_replicas: -1 })).error).toEqual(err(400, 10133, "replicas count cannot be negative"));
    expect((await create({ name: "a*" })).error).toEqual(err(500, 10052, "stream name is required and can not contain '.', '*', '>', '\\', '/'"));
    const ttl = await create({ name: "SDM", subject_delete_marker_ttl: 2e9 });
    expect(ttl.config).toMatchObject({ allow_msg_ttl: true, allow_rollup_hdrs: true, subject_delete_marker_ttl: 2e9 });
    expect(ttl.config.metadata["_nats.req.level"]).toBe("1");
  });

  test("TestJetStreamUpdateStream: what may change", async () => {
    await t.jsm.streams.add({ name: "UPD", subjects: ["upd.*"], max_msgs: 100 });
    for (let i = 0; i < 10; i++) await t.js.publish(`upd.${i}`, "x");
    const up = await t.jsm.streams.update("UPD", { max_msgs: 5, subjects: ["upd.*", "more"] });
    expect(up.config.max_msgs).toBe(5);
    expect(up.state.messages).toBe(5);
    expect((await t.js.publish("more", "x")).stream).toBe("UPD");
    await expect(t.jsm.streams.update("UPD", { storage: "memory" } as Record<string, unknown>)).rejects.toThrow(
      "stream configuration update can not change storage type",
    );
    await expect(t.jsm.streams.update("UPD", { retention: "workqueue" } as Record<string, unknown>)).rejects.toThrow(
      "stream configuration update can not change retention policy to/from workqueue",
    );
    const r = await apiRequest(t.nc, "$JS.API.STREAM.UPDATE.UPD", { name: "OTHER" });
    expect(r.error).toEqual(err(400, 10056, "stream name in subject does not match request"));
    const missing = await apiRequest(t.nc, "$JS.API.STREAM.UPDATE.NOPE", { name: "NOPE" });
    expect(missing).toEqual({ type: T("stream_update_response"), error: err(404, 10059, "stream not found") });
  });

  test("TestJetStreamFilteredStreamNames: names and list with a subject filter and paging fields", async () => {
    for (const n of ["S1", "S2", "S3"]) await t.jsm.streams.add({ name: n, subjects: [`filt.${n}.*`] });
    const names = await apiRequest(t.nc, "$JS.API.STREAM.NAMES", { subject: "filt.S2.>" });
    expect(names).toEqual({ type: T("stream_names_response"), total: 1, offset: 0, limit: 1024, streams: ["S2"] });
    const all = await apiRequest(t.nc, "$JS.API.STREAM.NAMES", { subject: "filt.>" });
    expect(all.streams).toEqual(["S1", "S2", "S3"]);
    const list = await apiRequest(t.nc, "$JS.API.STREAM.LIST", { subject: "filt.*.x", offset: 1 });
    expect(list.total).toBe(3);
    expect(list.offset).toBe(1);
    expect(list.limit).toBe(256);
    expect(list.streams.map((s: { config: { name: string } }) => s.config.name)).toEqual(["S2", "S3"]);
    const viaClient: string[] = [];
    for await (const n of t.jsm.streams.names("filt.S3.a")) viaClient.push(n);
    expect(viaClient).toEqual(["S3"]);
  });

  test("stream info with subjects_filter and deleted_details", async () => {
    await t.jsm.streams.add({ name: "INFO", subjects: ["info.*"] });
    for (const s of ["a", "b", "b", "c"]) await t.js.publish(`info.${s}`, "x");
    await t.jsm.streams.deleteMessage("INFO", 2, false);
    const r = await apiRequest(t.nc, "$JS.API.STREAM.INFO.INFO", { subjects_filter: "info.*", deleted_details: true });
    expect(r.type).toBe(T("stream_info_response"));
    expect(r.total).toBe(3);
    expect(r.limit).toBe(100000);
    expect(r.state.subjects).toEqual({ "info.a": 1, "info.b": 1, "info.c": 1 });
    expect(r.state.deleted).toEqual([2]);
    expect(r.state.num_deleted).toBe(1);
    expect(r.cluster).toEqual({ leader: t.server.name });
    const si = await t.jsm.streams.info("INFO", { subjects_filter: "info.b" });
    expect(si.state.subjects).toEqual({ "info.b": 1 });
  });

  test("TestJetStreamDeleteMsg and TestJetStreamStreamPurge", async () => {
    await t.jsm.streams.add({ name: "DEL", subjects: ["del.*"] });
    for (let i = 0; i < 10; i++) await t.js.publish(`del.${i % 3}`, `${i}`);
    expect(await t.jsm.streams.deleteMessage("DEL", 5)).toBe(true);
    expect((await apiRequest(t.nc, "$JS.API.STREAM.MSG.DELETE.DEL", { seq: 5 })).error).toEqual(err(400, 10043, "sequence 5 not found"));
    expect((await apiRequest(t.nc, "$JS.API.STREAM.MSG.DELETE.DEL", { seq: 6, no_erase: true })).success).toBe(true);
    expect((await apiRequest(t.nc, "$JS.API.STREAM.MSG.DELETE.DEL", "")).error).toEqual(err(400, 10003, "bad request"));
    expect((await t.jsm.streams.info("DEL")).state.messages).toBe(8);
    expect(await apiRequest(t.nc, "$JS.API.STREAM.PURGE.DEL", { filter: "del.0", keep: 1 })).toEqual({
      type: T("stream_purge_response"),
      success: true,
      purged: 3,
    });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.PURGE.DEL", { seq: 3, keep: 1 })).error).toEqual(err(400, 10003, "bad request"));
    expect((await apiRequest(t.nc, "$JS.API.STREAM.PURGE.DEL", { seq: 9 })).purged).toBe(3);
    expect((await apiRequest(t.nc, "$JS.API.STREAM.PURGE.DEL", { keep: 1 })).purged).toBe(1);
    const purged = await t.jsm.streams.purge("DEL");
    expect(purged).toMatchObject({ success: true, purged: 1 });
    const st = (await t.jsm.streams.info("DEL")).state;
    expect(st).toMatchObject({ messages: 0, first_seq: 11, last_seq: 10 });
  });

  test("TestJetStreamGetLastMsgBySubject: MSG.GET by sequence, last and next by subject", async () => {
    await t.jsm.streams.add({ name: "GET", subjects: ["get.*"] });
    await t.js.publish("get.a", "a1");
    await t.js.publish("get.b", "b1");
    await t.js.publish("get.a", "a2");
    expect((await t.jsm.streams.getMessage("GET", { last_by_subj: "get.a" }))?.string()).toBe("a2");
    expect((await t.jsm.streams.getMessage("GET", { next_by_subj: "get.b", seq: 1 } as Record<string, unknown> as { seq: number }))?.seq).toBe(2);
    const raw = await apiRequest(t.nc, "$JS.API.STREAM.MSG.GET.GET", { seq: 1 });
    expect(raw.type).toBe(T("stream_msg_get_response"));
    expect(raw.message).toMatchObject({ subject: "get.a", seq: 1, data: Buffer.from("a1").toString("base64") });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.MSG.GET.GET", { seq: 99 })).error).toEqual(err(404, 10037, "no message found"));
    expect((await apiRequest(t.nc, "$JS.API.STREAM.MSG.GET.GET", { seq: 1, last_by_subj: "get.a" })).error).toEqual(err(400, 10003, "bad request"));
    expect((await apiRequest(t.nc, "$JS.API.STREAM.MSG.GET.GET", "")).error).toEqual(err(400, 10003, "bad request"));
  });

  test("direct get: by sequence, last by subject, batches and multi_last", async () => {
    await t.jsm.streams.add({ name: "DG", subjects: ["dg.*"], allow_direct: true });
    for (const s of ["a", "b", "a", "c"]) await t.js.publish(`dg.${s}`, s);
    const one = await t.nc.request("$JS.API.DIRECT.GET.DG", JSON.stringify({ seq: 2 }));
    expect(one.string()).toBe("b");
    expect(one.headers?.get("Nats-Sequence")).toBe("2");
    expect(one.headers?.get("Nats-Stream")).toBe("DG");
    const last = await t.nc.request("$JS.API.DIRECT.GET.DG.dg.a", "");
    expect(last.headers?.get("Nats-Sequence")).toBe("3");
    const missing = await t.nc.request("$JS.API.DIRECT.GET.DG", JSON.stringify({ seq: 50 }));
    expect(missing.headers?.code).toBe(404);
    const empty = await t.nc.request("$JS.API.DIRECT.GET.DG", "");
    expect(empty.headers?.code).toBe(408);
    const m = await t.jsm.direct.getMessage("DG", { last_by_subj: "dg.c" });
    expect(m?.seq).toBe(4);
    // The client gates batch gets on server 2.11, so ask directly.
    const collect = async (req: unknown) => {
      const inbox = t.nc.subscribe("_INBOX.dg.>");
      t.nc.publish("$JS.API.DIRECT.GET.DG", JSON.stringify(req), { reply: "_INBOX.dg.1" });
      const out: { seq?: string; pending?: string; code?: number }[] = [];
      for await (const m of inbox) {
        out.push({ seq: m.headers?.get("Nats-Sequence"), pending: m.headers?.get("Nats-Num-Pending"), code: m.headers?.code });
        if (m.headers?.code === 204 || m.headers?.code === 404) break;
      }
      return out;
    };
    expect(await collect({ seq: 1, batch: 3 })).toEqual([
      { seq: "1", pending: "3", code: 0 },
      { seq: "2", pending: "2", code: 0 },
      { seq: "3", pending: "1", code: 0 },
      { seq: "", pending: "1", code: 204 },
    ]);
    expect((await collect({ multi_last: ["dg.a", "dg.b"] })).map((x) => x.seq)).toEqual(["2", "3", ""]);
    // Without allow_direct nobody answers.
    await t.jsm.streams.add({ name: "NODG", subjects: ["nodg"] });
    await expect(t.nc.request("$JS.API.DIRECT.GET.NODG", JSON.stringify({ seq: 1 }), { timeout: 500 })).rejects.toThrow();
  });

  test("TestJetStreamRequestAPI: account info counts API calls and errors", async () => {
    const before = await apiRequest(t.nc, "$JS.API.INFO");
    expect(before.type).toBe(T("account_info_response"));
    await apiRequest(t.nc, "$JS.API.STREAM.INFO.NOPE");
    const after = await apiRequest(t.nc, "$JS.API.INFO");
    expect(after.api.total).toBe(before.api.total + 2);
    expect(after.api.errors).toBe(before.api.errors + 1);
    expect(after.streams).toBeGreaterThan(0);
    expect(after.storage).toBeGreaterThan(0);
    expect(after.limits).toEqual({
      max_memory: -1,
      max_storage: -1,
      max_streams: -1,
      max_consumers: -1,
      max_ack_pending: -1,
      memory_max_stream_bytes: -1,
      storage_max_stream_bytes: -1,
      max_bytes_required: false,
    });
  });

  test("account usage follows stored bytes through deletes, purges, limits and stream removal", async () => {
    const usage = async () => (await t.jsm.getAccountInfo()).storage;
    const streamBytes = async () => {
      let sum = 0;
      for await (const si of t.jsm.streams.list()) if (si.config.storage === "file") sum += si.state.bytes;
      return sum;
    };
    await t.jsm.streams.add({ name: "USE", subjects: ["use.*"], max_msgs_per_subject: 3 });
    for (let i = 0; i < 20; i++) await t.js.publish(`use.${i % 4}`, "x".repeat(50));
    expect(await usage()).toBe(await streamBytes());
    await t.jsm.streams.deleteMessage("USE", 20);
    await t.jsm.streams.purge("USE", { filter: "use.1" });
    expect(await usage()).toBe(await streamBytes());
    await t.jsm.streams.delete("USE");
    expect(await usage()).toBe(await streamBytes());
  });

  test("stream delete and leader step down on a single server", async () => {
    await t.jsm.streams.add({ name: "GONE", subjects: ["gone"] });
    await t.js.publish("gone", "x");
    expect(await t.jsm.streams.delete("GONE")).toBe(true);
    expect((await apiRequest(t.nc, "$JS.API.STREAM.DELETE.GONE")).error).toEqual(err(404, 10059, "stream not found"));
    expect((await rawPublish(t.nc, "gone", "x").catch((e: Error) => e.message)) as string).toMatch(/no responders|503/);
    expect((await apiRequest(t.nc, "$JS.API.STREAM.LEADER.STEPDOWN.DEL")).error).toEqual(err(503, 10010, "JetStream clustering support required"));
    const peer = await apiRequest(t.nc, "$JS.API.STREAM.PEER.REMOVE.DEL", { peer: "x" });
    expect(peer).toEqual({ type: "io.nats.jetstream.api.v1.stream_remove_peer_response", error: err(503, 10010, "JetStream clustering support required") });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.CANCEL_MOVE.DEL")).type).toBe("io.nats.jetstream.api.v1.stream_update_response");
  });

  test("advisories for stream create, update and delete, and the API audit", async () => {
    const adv = t.nc.subscribe("$JS.EVENT.ADVISORY.STREAM.>", { max: 3 });
    const audit = t.nc.subscribe("$JS.EVENT.ADVISORY.API", { max: 1 });
    await t.jsm.streams.add({ name: "ADV", subjects: ["adv"] });
    await t.jsm.streams.update("ADV", { max_msgs: 10 });
    await t.jsm.streams.delete("ADV");
    const seen = [];
    for await (const m of adv) seen.push([m.subject, m.json<{ action: string; type: string; stream: string }>()]);
    expect(seen.map(([s]) => s)).toEqual([
      "$JS.EVENT.ADVISORY.STREAM.CREATED.ADV",
      "$JS.EVENT.ADVISORY.STREAM.UPDATED.ADV",
      "$JS.EVENT.ADVISORY.STREAM.DELETED.ADV",
    ]);
    expect(seen.map(([, b]) => (b as { action: string }).action)).toEqual(["create", "modify", "delete"]);
    expect((seen[0][1] as { type: string }).type).toBe("io.nats.jetstream.advisory.v1.stream_action");
    for await (const m of audit) {
      const a = m.json<{ type: string; subject: string; response: string }>();
      expect(a.type).toBe("io.nats.jetstream.advisory.v1.api_audit");
      expect(a.subject).toBe("$JS.API.STREAM.CREATE.ADV");
      expect(JSON.parse(a.response).config.name).toBe("ADV");
    }
  });
});

describe("account limits", () => {
  test("account limits: max_streams, max_storage and max_consumers", async () => {
    const t = await startJs({ plugin: { accountLimits: { $G: { max_streams: 2, max_storage: 1000, max_consumers: 1, max_bytes_required: false } } } });
    try {
      await t.jsm.streams.add({ name: "L1", subjects: ["l1"] });
      const big = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.L2", { name: "L2", subjects: ["l2"], max_bytes: 5000 });
      expect(big.error).toEqual(err(500, 10047, "insufficient storage resources available"));
      await t.jsm.streams.add({ name: "L2", subjects: ["l2"] });
      expect((await apiRequest(t.nc, "$JS.API.STREAM.CREATE.L3", { name: "L3", subjects: ["l3"] })).error).toEqual(
        err(400, 10027, "maximum number of streams reached"),
      );
      let failed: Record<string, unknown> | undefined;
      for (let i = 0; i < 50 && failed === undefined; i++) {
        const r = await rawPublish(t.nc, "l1", "0123456789012345678901234567890123456789");
        failed = r.error;
      }
      expect(failed).toEqual(err(400, 10002, "resource limits exceeded for account"));
      const info = await t.jsm.getAccountInfo();
      expect(info.limits.max_streams).toBe(2);
      expect(info.limits.max_consumers).toBe(1);
      await t.jsm.consumers.add("L2", { durable_name: "c1" });
      await t.jsm.consumers.add("L2", { durable_name: "c1" });
      await expect(t.jsm.consumers.add("L2", { durable_name: "c2" })).rejects.toThrow("maximum consumers limit reached");
      expect(info.storage).toBeLessThanOrEqual(1000);
    } finally {
      await t.stop();
    }
  });

  test("max_bytes_required and per-stream byte limits", async () => {
    const t = await startJs({ plugin: { accountLimits: { $G: { max_bytes_required: true, storage_max_stream_bytes: 4096, memory_max_stream_bytes: 1024 } } } });
    try {
      const noBytes = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.MB", { name: "MB", subjects: ["mb"] });
      expect(noBytes.error).toEqual(err(400, 10113, "account requires a stream config to have max bytes set"));
      const tooBig = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.MB", { name: "MB", subjects: ["mb"], max_bytes: 8192 });
      expect(tooBig.error).toEqual(err(400, 10122, "stream max bytes exceeds account limit max stream bytes"));
      const memTooBig = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.MB", { name: "MB", subjects: ["mb"], max_bytes: 2048, storage: "memory" });
      expect(memTooBig.error.err_code).toBe(10122);
      expect((await apiRequest(t.nc, "$JS.API.STREAM.CREATE.MB", { name: "MB", subjects: ["mb"], max_bytes: 4096 })).error).toBeUndefined();
    } finally {
      await t.stop();
    }
  });

  test("server storage used up: publishes get insufficient resources, creates past it are refused", async () => {
    const t = await startJs({ jetstream: { max_file_store: 2000 } });
    try {
      await t.jsm.streams.add({ name: "SRV", subjects: ["srv"] });
      let failed: Record<string, unknown> | undefined;
      for (let i = 0; i < 100 && failed === undefined; i++) failed = (await rawPublish(t.nc, "srv", "0123456789012345678901234567890123456789")).error;
      expect(failed).toEqual(err(503, 10023, "insufficient resources"));
      const big = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.SRV2", { name: "SRV2", subjects: ["srv2"], max_bytes: 5000 });
      expect(big.error).toEqual(err(500, 10047, "insufficient storage resources available"));
    } finally {
      await t.stop();
    }
  });
});
