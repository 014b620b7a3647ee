import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRequest, startJs, type JsTestServer } from "../helpers.js";

/** Receives a snapshot on an inbox, acknowledging every chunk, until the empty end message. */
async function receiveSnapshot(t: JsTestServer, stream: string, opts: Record<string, unknown> = {}) {
  const inbox = `snap.${stream}`;
  const sub = t.nc.subscribe(inbox);
  const resp = await apiRequest(t.nc, `$JS.API.STREAM.SNAPSHOT.${stream}`, { deliver_subject: inbox, ...opts });
  const chunks: Buffer[] = [];
  let end: { code?: number } = {};
  for await (const m of sub) {
    if (m.data.length === 0) {
      end = { code: m.headers?.code };
      break;
    }
    chunks.push(Buffer.from(m.data));
    m.respond();
  }
  return { resp, chunks, end };
}

async function sendRestore(t: JsTestServer, stream: string, config: Record<string, unknown>, chunks: Buffer[]) {
  const r = await apiRequest(t.nc, `$JS.API.STREAM.RESTORE.${stream}`, { config });
  expect(r.type).toBe("io.nats.jetstream.api.v1.stream_restore_response");
  // Each chunk is written (and the last one fsynced) before its answer: allow for a busy disk.
  for (const c of chunks) await t.nc.request(r.deliver_subject, c, { timeout: 10_000 });
  const done = await t.nc.request(r.deliver_subject, new Uint8Array(0), { timeout: 10_000 });
  return JSON.parse(done.string()) as Record<string, any>;
}

describe("stream snapshot and restore", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("snapshot with flow control, restore after delete", async () => {
    await t.jsm.streams.add({ name: "SNAP", subjects: ["snap.in.*"] });
    for (let i = 0; i < 500; i++) await t.js.publish(`snap.in.${i % 7}`, `message ${i} ${"x".repeat(i % 100)}`);
    await t.jsm.streams.deleteMessage("SNAP", 10);
    const before = await t.jsm.streams.info("SNAP");
    const advisories = t.nc.subscribe("$JS.EVENT.ADVISORY.STREAM.*.SNAP");
    const { resp, chunks, end } = await receiveSnapshot(t, "SNAP", { chunk_size: 1024, window_size: 4096 });
    expect(resp.type).toBe("io.nats.jetstream.api.v1.stream_snapshot_response");
    expect(resp.config.name).toBe("SNAP");
    expect(resp.state.messages).toBe(499);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.length <= 1024)).toBe(true);
    expect(end.code).toBe(204);

    // A live stream of that name blocks the restore.
    const exists = await sendRestore(t, "SNAP", resp.config, chunks);
    expect(exists.error).toEqual({ code: 400, err_code: 10130, description: "stream name already in use, cannot restore" });

    await t.jsm.streams.delete("SNAP");
    const done = await sendRestore(t, "SNAP", resp.config, chunks);
    expect(done.type).toBe("io.nats.jetstream.api.v1.stream_create_response");
    expect(done.state).toMatchObject({ messages: 499, first_seq: 1, last_seq: 500, num_deleted: 1 });
    const after = await t.jsm.streams.info("SNAP");
    expect(after.state.messages).toBe(before.state.messages);
    expect((await t.jsm.streams.getMessage("SNAP", { seq: 42 }))?.string()).toBe(`message 41 ${"x".repeat(41)}`);
    expect((await t.js.publish("snap.in.1", "more")).seq).toBe(501);
    await t.nc.flush();
    advisories.unsubscribe();
    const seen: string[] = [];
    for await (const m of advisories) seen.push(`${m.subject.split(".")[4]} ${m.json<{ type: string }>().type.split(".").pop()}`);
    expect(seen).toEqual([
      "SNAPSHOT_CREATE snapshot_create",
      "SNAPSHOT_COMPLETE snapshot_complete",
      "RESTORE_CREATE restore_create",
      "RESTORE_COMPLETE restore_complete",
      "DELETED stream_action",
      "RESTORE_CREATE restore_create",
      "CREATED stream_action",
      "RESTORE_COMPLETE restore_complete",
    ]);
  });

  test("snapshot and restore errors", async () => {
    expect((await apiRequest(t.nc, "$JS.API.STREAM.SNAPSHOT.NOPE", { deliver_subject: "x" })).error.err_code).toBe(10059);
    await t.jsm.streams.add({ name: "SNAPERR", subjects: ["snaperr"] });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.SNAPSHOT.SNAPERR", { deliver_subject: "bad.*" })).error).toEqual({
      code: 400,
      err_code: 10015,
      description: "deliver subject not valid",
    });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.SNAPSHOT.SNAPERR", "")).error.err_code).toBe(10003);
    expect((await apiRequest(t.nc, "$JS.API.STREAM.RESTORE.X", { config: { name: "Y" } })).error.err_code).toBe(10056);
    const garbage = await sendRestore(t, "GARBAGE", { name: "GARBAGE", subjects: ["garbage"] }, [Buffer.from("not a snapshot at all")]);
    expect(garbage.error).toMatchObject({ code: 500, err_code: 10062 });
    expect((await apiRequest(t.nc, "$JS.API.STREAM.INFO.GARBAGE")).error.err_code).toBe(10059);
  });
});
