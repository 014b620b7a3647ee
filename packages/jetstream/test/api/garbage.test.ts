import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRequest, startJs, type JsTestServer } from "../helpers.js";

const SUBJECTS = [
  "$JS.API.INFO",
  "$JS.API.STREAM.CREATE.G",
  "$JS.API.STREAM.UPDATE.G",
  "$JS.API.STREAM.NAMES",
  "$JS.API.STREAM.LIST",
  "$JS.API.STREAM.INFO.G",
  "$JS.API.STREAM.PURGE.NOPE",
  "$JS.API.STREAM.MSG.GET.G",
  "$JS.API.STREAM.MSG.DELETE.NOPE",
  "$JS.API.STREAM.SNAPSHOT.G",
  "$JS.API.STREAM.RESTORE.G2",
  "$JS.API.DIRECT.GET.G",
  "$JS.API.CONSUMER.CREATE.G",
  "$JS.API.CONSUMER.INFO.G.x",
];

const GARBAGE = ['{"seq":1,"batch":5,"next_by_subj":"a..b"}', '{"multi_last":["..",">"]}', '{"last_by_subj":"*.."}', '{"next_by_subj":"g.*","seq":1,"batch":2,"up_to_time":"bad"}', "", "{", "[]", "null", "42", '"str"', '{"name":123}', '{"seq":-1}', '{"config":[]}', "\u0000\u0001\u00ff", "{".repeat(10_000), JSON.stringify({ a: "x".repeat(100_000) })];

describe("bad input never crashes the server or loses data", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("garbage to every API subject gets an answer or nothing, and the stream survives", async () => {
    await t.jsm.streams.add({ name: "G", subjects: ["g.>"], allow_direct: true });
    for (let i = 0; i < 20; i++) await t.js.publish(`g.${i}`, `v${i}`);
    const before = await t.jsm.streams.info("G");
    for (const subject of SUBJECTS) {
      for (const body of GARBAGE) {
        const r = await t.nc.request(subject, body, { timeout: 1000 }).catch((e: Error) => e);
        if (r instanceof Error) continue;
        if (r.headers?.code) expect([404, 408, 413, 503]).toContain(r.headers.code);
        else if (r.headers !== undefined) expect(r.headers.get("Nats-Stream")).toBe("G");
        else if (r.data.length > 0) {
          const json = JSON.parse(r.string()) as Record<string, unknown>;
          expect(typeof json.type === "string" || json.error !== undefined).toBe(true);
        }
      }
    }
    const after = await t.jsm.streams.info("G");
    expect(after.state).toEqual(before.state);
    expect(after.config).toEqual(before.config);
    expect((await apiRequest(t.nc, "$JS.API.INFO")).streams).toBeGreaterThanOrEqual(1);
  });

  test("a corrupt stream metafile is reported and skipped, other streams recover", async () => {
    const r = await startJs();
    try {
      await r.jsm.streams.add({ name: "OK", subjects: ["ok"] });
      await r.jsm.streams.add({ name: "BROKEN", subjects: ["broken"] });
      await r.js.publish("ok", "1");
      await r.js.publish("broken", "1");
      writeFileSync(join(r.storeDir, "jetstream", "$G", "streams", "BROKEN", "meta.json"), "{not json");
      await r.restart();
      expect((await r.jsm.streams.info("OK")).state.messages).toBe(1);
      await expect(r.jsm.streams.info("BROKEN")).rejects.toThrow("stream not found");
      // Its data stays on disk for an operator to repair.
      const msgs = join(r.storeDir, "jetstream", "$G", "streams", "BROKEN", "msgs");
      expect(existsSync(msgs) && readdirSync(msgs).length > 0).toBe(true);
    } finally {
      await r.stop();
    }
  });

  test("a stream whose directory cannot be made fails with Go's create error, the server goes on", async () => {
    const streams = join(t.storeDir, "jetstream", "$G", "streams");
    mkdirSync(streams, { recursive: true });
    writeFileSync(join(streams, "BLOCKED"), "not a directory");
    const r = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.BLOCKED", { name: "BLOCKED", subjects: ["blocked"] });
    expect(r.type).toBe("io.nats.jetstream.api.v1.stream_create_response");
    expect(r.error).toMatchObject({ code: 500, err_code: 10049 });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.INFO.BLOCKED")).error.err_code).toBe(10059);
    await t.jsm.streams.add({ name: "AFTER", subjects: ["after"] });
    expect((await t.js.publish("after", "x")).seq).toBe(1);
  });
});
