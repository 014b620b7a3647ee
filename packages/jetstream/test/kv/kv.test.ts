import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Kvm, type KV, type KvWatchEntry } from "@nats-io/kv";
import { startJs, type JsTestServer } from "../helpers.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Reads watch entries until `n` arrived. */
async function take(it: AsyncIterable<KvWatchEntry>, n: number): Promise<KvWatchEntry[]> {
  const out: KvWatchEntry[] = [];
  if (n === 0) return out;
  for await (const e of it) {
    out.push(e);
    if (out.length === n) break;
  }
  return out;
}

describe("Key-Value with @nats-io/kv", () => {
  let t: JsTestServer;
  let kvm: Kvm;
  beforeAll(async () => {
    t = await startJs();
    kvm = new Kvm(t.nc);
  });
  afterAll(async () => {
    await t.stop();
  });

  test("put, get, create, update with revision, delete, history, keys, status", async () => {
    const kv = await kvm.create("BASICS", { history: 5 });
    expect(await kv.put("name", "derek")).toBe(1);
    const e = await kv.get("name");
    expect(e?.string()).toBe("derek");
    expect(e?.revision).toBe(1);
    expect(await kv.update("name", "ivan", 1)).toBe(2);
    await expect(kv.update("name", "x", 1)).rejects.toThrow(/wrong last sequence: 2/);
    await expect(kv.create("name", "y")).rejects.toThrow();
    await kv.delete("name");
    expect(await kv.get("name")).toMatchObject({ operation: "DEL" });
    expect(await kv.create("name", "back")).toBe(4);
    const st = await kv.status();
    expect(st.history).toBe(5);
    expect(st.values).toBe(4);
    expect(st.bucket).toBe("BASICS");
    expect(await collect(await kv.keys())).toEqual(["name"]);
    expect((await collect(await kv.history({ key: "name" }))).map((h) => h.operation)).toEqual(["PUT", "PUT", "DEL", "PUT"]);
    expect(await kv.get("missing")).toBeNull();
  });

  test("the bucket stream is configured like Go expects for KV", async () => {
    await kvm.create("SHAPE", { history: 3 });
    const si = await t.jsm.streams.info("KV_SHAPE");
    expect(si.config).toMatchObject({
      subjects: ["$KV.SHAPE.>"],
      max_msgs_per_subject: 3,
      allow_rollup_hdrs: true,
      allow_direct: true,
      discard: "new",
    });
    // Opening a bucket binds to the existing stream.
    const kv = await kvm.open("SHAPE");
    await kv.put("a", "1");
    expect((await kv.get("a"))?.string()).toBe("1");
  });

  for (const storage of ["file", "memory"] as const) {
    test(`TestJetStreamKVHistoryRegression: ${storage}`, async () => {
      const kv = await kvm.create(`HIST_${storage}`, { history: 4, storage: storage === "file" ? "file" : "memory" } as Record<string, unknown>);
      const r1 = await kv.create("foo", "a");
      await kv.update("foo", "ab", r1);
      await kv.delete("foo");
      await kv.create("foo", "abc");
      await kv.delete("foo");
      let history = await collect(await kv.history({ key: "foo" }));
      expect(history.length).toBe(4);
      await kv.update("foo", "abcd", history[history.length - 1].revision);
      await kv.purge("foo");
      await kv.create("foo", "abcde");
      await kv.purge("foo");
      history = await collect(await kv.history({ key: "foo" }));
      expect(history.length).toBe(1);
    });
  }

  test("TestJetStreamKVDelete: keys and watch skip deleted keys", async () => {
    const kv = await kvm.create("deletion", { history: 10 });
    for (const k of ["a", "a.a", "a.b", "a.b.c"]) await kv.put(k, "");
    expect((await collect(await kv.keys())).length).toBe(4);
    await kv.delete("a.a");
    await kv.delete("a.b");
    const keys = (await collect(await kv.keys())).sort();
    expect(keys).toEqual(["a", "a.b.c"]);
    const w = await kv.watch({ ignoreDeletes: true });
    const seen = await take(w, 2);
    w.stop();
    expect(seen.map((e) => e.key).sort()).toEqual(["a", "a.b.c"]);
  });

  test("keys with filters and watch with history, updates only and key filters", async () => {
    const kv: KV = await kvm.create("WATCH", { history: 5 });
    await kv.put("orders.1", "a");
    await kv.put("orders.2", "b");
    await kv.put("users.1", "c");
    await kv.put("orders.1", "a2");
    expect((await collect(await kv.keys("orders.*"))).sort()).toEqual(["orders.1", "orders.2"]);
    expect((await collect(await kv.keys(["users.>", "orders.2"]))).sort()).toEqual(["orders.2", "users.1"]);

    const latest = await kv.watch({ key: "orders.>" });
    const initial = await take(latest, 2);
    expect(initial.map((e) => [e.key, e.string()])).toEqual([
      ["orders.2", "b"],
      ["orders.1", "a2"],
    ]);
    latest.stop();
    const all = await kv.watch({ include: "history" as never, key: "orders.1" });
    expect((await take(all, 2)).map((e) => e.string())).toEqual(["a", "a2"]);
    all.stop();
    const updates = await kv.watch({ include: "updates" as never });
    await kv.put("orders.3", "new");
    await kv.delete("orders.2");
    const live = await take(updates, 2);
    expect(live.map((e) => [e.key, e.operation])).toEqual([
      ["orders.3", "PUT"],
      ["orders.2", "DEL"],
    ]);
    updates.stop();
    latest.stop();
  });

  test("bucket list, status, update and destroy", async () => {
    await kvm.create("LIST1");
    await kvm.create("LIST2", { history: 2, max_bytes: 1024 * 1024 } as Record<string, unknown>);
    const names = (await collect(kvm.list())).map((s) => s.bucket);
    expect(names).toEqual(expect.arrayContaining(["LIST1", "LIST2"]));
    const st = await (await kvm.open("LIST2")).status();
    expect(st.history).toBe(2);
    expect(st.size).toBe(0);
    const kv = await kvm.open("LIST1");
    expect(await kv.destroy()).toBe(true);
    await expect(t.jsm.streams.info("KV_LIST1")).rejects.toThrow("stream not found");
  });

  test("TestJetStreamKVReductionInHistory: lowering history keeps every key readable", async () => {
    const kv = await kvm.create("REDUCE", { history: 4 });
    const numKeys = 100;
    const value = "ABC".repeat(330);
    for (let round = 0; round < 4; round++) for (let k = 1; k <= numKeys; k++) await kv.put(k.toString(16).toUpperCase(), value);
    expect((await kv.status()).values).toBe(4 * numKeys);
    const before = await t.jsm.getAccountInfo();
    const si = await t.jsm.streams.info("KV_REDUCE");
    await t.jsm.streams.update("KV_REDUCE", { ...si.config, max_msgs_per_subject: 1 });
    const after = await t.jsm.getAccountInfo();
    expect(after.storage).toBeLessThan(before.storage);
    const keys = await collect(await kv.keys());
    expect(keys.length).toBe(numKeys);
    for (const k of keys) expect(await kv.get(k)).not.toBeNull();
  });

  test("per-key TTL on purge and limit markers when values age out", async () => {
    const kv = await kvm.create("MARKERS", { ttl: 1000, markerTTL: 1000 } as Record<string, unknown>);
    const si = await t.jsm.streams.info("KV_MARKERS");
    expect(si.config).toMatchObject({ allow_msg_ttl: true, subject_delete_marker_ttl: 1e9 });
    await kv.put("k", "v");
    // The value ages out and a MaxAge marker takes its place (reported as PURGE).
    let marker: Awaited<ReturnType<KV["get"]>> = null;
    for (let i = 0; i < 40 && marker?.operation !== "PURGE"; i++) {
      await sleep(100);
      marker = await kv.get("k");
    }
    expect(marker?.operation).toBe("PURGE");
    const raw = await t.jsm.streams.getMessage("KV_MARKERS", { seq: 2 });
    expect(raw?.header.get("Nats-Marker-Reason")).toBe("MaxAge");
    expect(raw?.header.get("Nats-TTL")).toBe("1s");
    // The marker expires too, without leaving another marker.
    for (let i = 0; i < 40 && (await t.jsm.streams.info("KV_MARKERS")).state.messages > 0; i++) await sleep(100);
    const st = (await t.jsm.streams.info("KV_MARKERS")).state;
    expect(st.messages).toBe(0);
    expect(st.last_seq).toBe(2);
  });

  test("TestJetStreamKVNoSubjectDeleteMarkerOnPurgeMarker", async () => {
    for (const storage of ["file", "memory"]) {
      const kv = await kvm.create(`PM_${storage}`, { history: 1, storage, ttl: 1000, markerTTL: 60_000 } as Record<string, unknown>);
      const stream = `KV_PM_${storage}`;
      await kv.purge("key");
      expect((await t.jsm.streams.getMessage(stream, { seq: 1 }))?.header.get("KV-Operation")).toBe("PURGE");
      for (let i = 0; i < 30 && (await t.jsm.streams.info(stream)).state.messages > 0; i++) await sleep(100);
      await sleep(200);
      const st = (await t.jsm.streams.info(stream)).state;
      expect(st.messages).toBe(0);
      expect(st.last_seq).toBe(1);
      await kv.purge("key", { ttl: "1s" });
      expect((await t.jsm.streams.getMessage(stream, { seq: 2 }))?.header.get("Nats-TTL")).toBe("1s");
      for (let i = 0; i < 30 && (await t.jsm.streams.info(stream)).state.messages > 0; i++) await sleep(100);
      await sleep(200);
      expect((await t.jsm.streams.info(stream)).state).toMatchObject({ messages: 0, last_seq: 2 });
    }
  });
});
