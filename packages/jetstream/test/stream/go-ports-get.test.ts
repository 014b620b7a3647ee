import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { apiRequest, rawPublish, startJs, type JsTestServer } from "../helpers.js";

interface Reply {
  subject?: string;
  seq?: string;
  pending?: string;
  last?: string;
  code?: number;
  description?: string;
  size: number;
  data: string;
}

/** Sends a direct get and collects every reply up to the EOB (or a 404/408). */
async function directGet(nc: NatsConnection, stream: string, req: unknown): Promise<Reply[]> {
  const inbox = `_INBOX.dg.${Math.random().toString(36).slice(2)}`;
  const sub = nc.subscribe(inbox);
  nc.publish(`$JS.API.DIRECT.GET.${stream}`, JSON.stringify(req), { reply: inbox });
  const out: Reply[] = [];
  for await (const m of sub) {
    const h = m.headers;
    out.push({
      subject: h?.get("Nats-Subject") || undefined,
      seq: h?.get("Nats-Sequence") || undefined,
      pending: h?.get("Nats-Num-Pending") || undefined,
      last: h?.get("Nats-Last-Sequence") || undefined,
      code: h?.code || undefined,
      description: h?.description || undefined,
      size: m.data.length,
      data: m.string(),
    });
    if (h?.code) break;
  }
  sub.unsubscribe();
  return out;
}

describe("ported jetstream_test.go get and direct get tests", () => {
  let t: JsTestServer;
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    t = await startJs();
    ({ nc, js, jsm } = t);
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestJetStreamDirectGetBatch", async () => {
    await jsm.streams.add({ name: "DGB", subjects: ["dgb.*"] });
    const pubs = [];
    for (let i = 0; i < 333; i++) pubs.push(js.publish("dgb.foo", "HELLO"), js.publish("dgb.bar", "WORLD"), js.publish("dgb.baz", "AGAIN"));
    await Promise.all(pubs);
    const bad = await apiRequest(nc, "$JS.API.STREAM.MSG.GET.DGB", { seq: 1, batch: 10 });
    expect(bad.error.code).toBe(400);
    await jsm.streams.update("DGB", { subjects: ["dgb.*"], allow_direct: true });
    const check = (replies: Reply[], npStart: number, expected: string[]) => {
      expect(replies.length).toBe(expected.length);
      let np = npStart;
      let last = "0";
      expected.forEach((subj, i) => {
        const r = replies[i];
        if (subj !== "") {
          expect(r.subject).toBe(subj);
          expect(r.size).toBeGreaterThan(0);
          if (np > 0) np--;
          expect(r.pending).toBe(String(np));
          expect(r.last).toBe(last);
          last = r.seq!;
        } else {
          expect(r.size).toBe(0);
          expect(r.code).toBe(204);
          expect(r.description).toBe("EOB");
          expect(r.pending).toBe(String(np));
          expect(r.last).toBe(last);
        }
      });
    };
    check(await directGet(nc, "DGB", { seq: 1, batch: 2 }), 999, ["dgb.foo", "dgb.bar", ""]);
    check(await directGet(nc, "DGB", { seq: 1, batch: 3 }), 999, ["dgb.foo", "dgb.bar", "dgb.baz", ""]);
    check(await directGet(nc, "DGB", { seq: 1, batch: 4, next_by_subj: "dgb.baz" }), 333, ["dgb.baz", "dgb.baz", "dgb.baz", "dgb.baz", ""]);
  });

  test("TestJetStreamDirectGetMulti", async () => {
    for (const storage of [StorageType.Memory, StorageType.File]) {
      const name = `DGM_${storage}`;
      const p = name.toLowerCase();
      await jsm.streams.add({ name, subjects: [`${p}.*`], allow_direct: true, storage });
      const pubs = [];
      for (let i = 0; i < 33; i++) pubs.push(js.publish(`${p}.foo`, `HELLO-${i}`), js.publish(`${p}.bar`, `WORLD-${i}`), js.publish(`${p}.baz`, `AGAIN-${i}`));
      await Promise.all(pubs);
      const replies = await directGet(nc, name, { multi_last: [`${p}.*`] });
      expect(replies.map((r) => [r.subject, r.seq])).toEqual([
        [`${p}.foo`, "97"],
        [`${p}.bar`, "98"],
        [`${p}.baz`, "99"],
        [undefined, undefined],
      ]);
      expect(replies.map((r) => r.pending)).toEqual(["2", "1", "0", "0"]);
      expect(replies[3]).toMatchObject({ code: 204, description: "EOB", last: "99" });
      const upTo = await directGet(nc, name, { multi_last: [`${p}.foo`, `${p}.baz`], up_to_seq: 6 });
      expect(upTo.map((r) => r.seq)).toEqual(["4", "6", undefined]);
    }
  });

  test("TestJetStreamDirectGetMultiUpToTime", async () => {
    await jsm.streams.add({ name: "UTT", subjects: ["utt.*"], allow_direct: true });
    const pause = () => new Promise((r) => setTimeout(r, 50));
    const round = async (v: string) => {
      for (const s of ["foo", "bar", "baz"]) await js.publish(`utt.${s}`, v);
    };
    // Timestamps are taken a little after each round: ISO strings carry only milliseconds.
    const now = async () => {
      await new Promise((r) => setTimeout(r, 3));
      return new Date().toISOString();
    };
    await round("1");
    const start = await now();
    await pause();
    await round("2");
    const mid = await now();
    await pause();
    await round("3");
    const end = await now();
    const both = await directGet(nc, "UTT", { seq: 1, multi_last: ["utt.*"], up_to_seq: 3, up_to_time: start });
    expect(both).toEqual([expect.objectContaining({ code: 408, description: "Bad Request", size: 0 })]);
    for (const [upTo, value] of [
      [start, "1"],
      [mid, "2"],
      [end, "3"],
    ]) {
      const replies = await directGet(nc, "UTT", { seq: 1, multi_last: ["utt.*"], up_to_time: upTo });
      expect(replies.map((r) => r.subject)).toEqual(["utt.foo", "utt.bar", "utt.baz", undefined]);
      expect(replies.slice(0, 3).every((r) => r.data === value)).toBe(true);
    }
  });

  test("TestJetStreamMsgGetAsOfTime", async () => {
    await jsm.streams.add({ name: "AOT", subjects: ["aot.*"], allow_direct: true });
    const get = (req: Record<string, unknown>) => apiRequest(nc, "$JS.API.STREAM.MSG.GET.AOT", req);
    const t0 = new Date().toISOString();
    expect((await get({ start_time: t0, last_by_subj: "aot.1" })).error.err_code).toBe(10003);
    expect((await get({ start_time: t0, seq: 1 })).error.err_code).toBe(10003);
    expect((await get({ start_time: t0 })).error.err_code).toBe(10037);
    await js.publish("aot.1", "");
    expect((await get({ start_time: t0 })).message.seq).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    const t1 = new Date().toISOString();
    await new Promise((r) => setTimeout(r, 5));
    await js.publish("aot.2", "");
    expect((await get({ start_time: t0 })).message.seq).toBe(1);
    expect((await get({ start_time: t0, next_by_subj: "aot.2" })).message.seq).toBe(2);
    expect((await get({ start_time: t1 })).message.seq).toBe(2);
    await new Promise((r) => setTimeout(r, 5));
    expect((await get({ start_time: new Date().toISOString() })).error.err_code).toBe(10037);
  });

  test("TestJetStreamMessageTTLRestart", async () => {
    const r = await startJs();
    try {
      await r.jsm.streams.add({ name: "TEST", storage: StorageType.File, subjects: ["test"], allow_msg_ttl: true });
      for (let i = 1; i <= 10; i++) await rawPublish(r.nc, "test", "", { "Nats-TTL": "1s" });
      expect((await r.jsm.streams.info("TEST")).state).toMatchObject({ messages: 10, first_seq: 1, last_seq: 10 });
      await r.restart();
      expect((await r.jsm.streams.info("TEST")).state).toMatchObject({ messages: 10, first_seq: 1, last_seq: 10 });
      const end = Date.now() + 4000;
      while ((await r.jsm.streams.info("TEST")).state.messages > 0 && Date.now() < end) await new Promise((res) => setTimeout(res, 100));
      expect((await r.jsm.streams.info("TEST")).state).toMatchObject({ messages: 0, first_seq: 11, last_seq: 10 });
    } finally {
      await r.stop();
    }
  });

  test("TestJetStreamSubjectDeleteMarkersAfterRestart", async () => {
    const r = await startJs();
    try {
      await r.jsm.streams.add({ name: "TEST", storage: StorageType.File, subjects: ["test"], max_age: 1e9, allow_msg_ttl: true, subject_delete_marker_ttl: 1e9 });
      await r.jsm.consumers.add("TEST", { name: "test_consumer", ack_policy: AckPolicy.Explicit });
      for (let i = 0; i < 3; i++) await r.js.publish("test", "");
      await r.restart();
      const c = await r.js.consumers.get("TEST", "test_consumer");
      for (let i = 0; i < 3; i++) {
        const m = await c.next({ expires: 2000 });
        expect(m).not.toBeNull();
        m!.ack();
      }
      const marker = await c.next({ expires: 5000 });
      expect(marker?.headers?.get("Nats-Marker-Reason")).toBe("MaxAge");
      expect(marker?.headers?.get("Nats-TTL")).toBe("1s");
    } finally {
      await r.stop();
    }
  });

  test("TestJetStreamCanNotEnableOnSystemAccount", async () => {
    const plugin = t.server.plugin<import("../../src/index.js").JetStreamPlugin>("jetstream")!;
    await expect(plugin.enableAccount(t.server.systemAccount)).rejects.toThrow();
  });
});
