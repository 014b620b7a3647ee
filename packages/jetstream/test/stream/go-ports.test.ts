import { describe, expect, test } from "vitest";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, DiscardPolicy, StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { apiRequest, rawPublish, sharedJs, startJs } from "../helpers.js";

const STORAGES = [StorageType.File, StorageType.Memory] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true or `ms` pass. */
async function eventually(fn: () => Promise<boolean>, ms = 4000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn()) && Date.now() < end) await sleep(50);
}

describe("ported jetstream_test.go stream tests", () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  sharedJs((t) => ({ nc, js, jsm } = t));

  test("TestJetStreamNegativeDupeWindow", async () => {
    const r = await apiRequest(nc, "$JS.API.STREAM.CREATE.NEG", { name: "NEG", retention: "workqueue", max_consumers: 1, discard: "new", duplicate_window: -1 });
    expect(r.error.description).toBe("duplicates window can not be negative");
  });

  test("TestJetStreamPublishExpectNoMsg", async () => {
    await jsm.streams.add({ name: "KVX", subjects: ["KVX.>"], max_msgs_per_subject: 5 });
    await js.publish("KVX.22", "hello world");
    await js.publish("KVX.33", "x", { expect: { lastSubjectSequence: 0 } });
    await expect(js.publish("KVX.22", "x", { expect: { lastSubjectSequence: 0 } })).rejects.toThrow();
    await jsm.streams.purge("KVX");
    await js.publish("KVX.22", "x", { expect: { lastSubjectSequence: 0 } });
  });

  test("TestJetStreamRollup", async () => {
    await jsm.streams.add({ name: "S", subjects: ["S.*"], allow_rollup_hdrs: true });
    for (let i = 1; i <= 10; i++) {
      await js.publish("S.A", `${i}`);
      await js.publish("S.B", `${i}`);
    }
    expect((await jsm.streams.info("S")).state.messages).toBe(20);
    let ci = await jsm.consumers.add("S", { durable_name: "DUR-A", filter_subject: "S.A", ack_policy: AckPolicy.Explicit });
    expect(ci.num_pending).toBe(10);
    const h = headers();
    h.set("Nats-Rollup", "sub");
    await js.publish("S.A", "", { headers: h });
    ci = await jsm.consumers.info("S", "DUR-A");
    expect(ci.num_pending).toBe(1);
    expect((await jsm.streams.info("S")).state.messages).toBe(11);
    ci = await jsm.consumers.add("S", { durable_name: "DUR-B", filter_subject: "S.B", ack_policy: AckPolicy.Explicit });
    expect(ci.num_pending).toBe(10);
  });

  test("TestJetStreamStreamRepublishHeadersOnly", async () => {
    await jsm.streams.add({ name: "RPC", storage: StorageType.Memory, subjects: ["foo", "bar", "baz"], republish: { dest: "RP.>", headers_only: true } as never });
    const sub = nc.subscribe("RP.>", { max: 100 });
    const msg = Buffer.alloc(512, "Z");
    await Promise.all(Array.from({ length: 100 }, () => js.publish("foo", msg)));
    let last = "0";
    for await (const m of sub) {
      expect(m.data.length).toBe(0);
      expect(m.headers?.get("Nats-Msg-Size")).toBe("512");
      expect(m.headers?.get("Nats-Last-Sequence")).toBe(last);
      last = m.headers!.get("Nats-Sequence");
    }
    expect(last).toBe("100");
  });

  test("TestJetStreamStreamRepublishSuppressesInvalidSubject", async () => {
    const r = await apiRequest(nc, "$JS.API.STREAM.CREATE.Stream1", {
      name: "Stream1",
      storage: "memory",
      subjects: ["one"],
      republish: { src: "one", dest: "uno\r\nPUB hijack.subject 8\r\nhijacked!\r\n" },
    });
    expect(r.error).toBeUndefined();
    const hijack = nc.subscribe("hijack.subject");
    const uno = nc.subscribe("uno");
    await js.publish("one", "payload");
    await nc.flush();
    await sleep(250);
    expect(hijack.getReceived()).toBe(0);
    expect(uno.getReceived()).toBe(0);
    hijack.unsubscribe();
    uno.unsubscribe();
  });

  test("TestJetStreamMaxMsgsPerSubjectWithDiscardNew", async () => {
    for (const storage of STORAGES) {
      const name = `MMPS_${storage}`;
      await jsm.streams.add({
        name,
        subjects: ["foo", "bar", "baz", "x"].map((s) => `${name}.${s}`),
        discard: DiscardPolicy.New,
        storage,
        max_msgs_per_subject: 4,
        max_msgs: 10,
        max_bytes: 500,
      });
      const pubAndCheck = async (subj: string, num: number, expected: number) => {
        for (let i = 0; i < num; i++) await js.publish(`${name}.${subj}`, "TSLA");
        expect((await jsm.streams.info(name)).state.messages).toBe(expected);
      };
      const pubExpectErr = async (subj: string, size: number) => {
        await expect(js.publish(`${name}.${subj}`, Buffer.alloc(size, "X"))).rejects.toThrow(/maximum (bytes|messages) exceeded/);
      };
      await pubAndCheck("foo", 1, 1);
      await pubAndCheck("foo", 4, 4);
      await pubAndCheck("bar", 8, 8);
      await pubAndCheck("baz", 2, 10);
      await pubAndCheck("foo", 1, 10);
      await pubAndCheck("bar", 1, 10);
      await pubExpectErr("bar", 300);
      await pubExpectErr("x", 2);
    }
  });

  test("TestJetStreamStreamInfoSubjectsDetails", async () => {
    for (const storage of STORAGES) {
      const name = `SD_${storage}`;
      await jsm.streams.add({ name, subjects: [`${name}.*`], storage });
      const counts: Record<string, number> = { foo: 22, bar: 33, baz: 44 };
      for (const [subj, n] of Object.entries(counts)) for (let i = 0; i < n; i++) await js.publish(`${name}.${subj}`, "ok");
      const info = async (filter: string) => (await apiRequest(nc, `$JS.API.STREAM.INFO.${name}`, { subjects_filter: filter })).state;
      const expected = Object.fromEntries(Object.entries(counts).map(([k, v]) => [`${name}.${k}`, v]));
      expect((await info(">")).subjects).toEqual(expected);
      expect((await info(`${name}.*`)).subjects).toEqual(expected);
      expect((await info(`${name}.foo`)).subjects).toEqual({ [`${name}.foo`]: 22 });
      expect((await info(">")).num_subjects).toBe(3);
    }
  });

  test("TestJetStreamGetNoHeaders", async () => {
    await jsm.streams.add({ name: "NOHDR", subjects: ["nohdr"], allow_direct: true });
    const h = headers();
    h.set("test", "something");
    await js.publish("nohdr", new Uint8Array([1, 2, 3, 4, 5]), { headers: h });
    for (const noHeaders of [false, true]) {
      const get = await apiRequest(nc, "$JS.API.STREAM.MSG.GET.NOHDR", { seq: 1, no_hdr: noHeaders });
      expect(Buffer.from(get.message.data, "base64")).toEqual(Buffer.from([1, 2, 3, 4, 5]));
      const hdrs = get.message.hdrs ? Buffer.from(get.message.hdrs, "base64").toString() : "";
      expect(hdrs.includes("test: something")).toBe(!noHeaders);
      for (const [subject, body] of [
        ["$JS.API.DIRECT.GET.NOHDR", { seq: 1, no_hdr: noHeaders }],
        ["$JS.API.DIRECT.GET.NOHDR.nohdr", { no_hdr: noHeaders }],
      ] as const) {
        const m = await nc.request(subject, JSON.stringify(body));
        expect(Buffer.from(m.data)).toEqual(Buffer.from([1, 2, 3, 4, 5]));
        expect(m.headers?.get("test") ?? "").toBe(noHeaders ? "" : "something");
        expect(m.headers?.get("Nats-Stream") ?? "").toBe(noHeaders ? "" : "NOHDR");
      }
    }
  });

  test("TestJetStreamPurgeExSeqSimple", async () => {
    for (const storage of STORAGES) {
      const name = `PX_${storage}`;
      await jsm.streams.add({ name, subjects: [`${name}`], storage });
      const data = Buffer.alloc(1024);
      for (let i = 0; i < 10_000; i += 500) await Promise.all(Array.from({ length: 500 }, () => js.publish(name, data)));
      expect((await jsm.streams.info(name)).state.messages).toBe(10_000);
      await jsm.streams.purge(name, { seq: 9_000 });
      const st = (await jsm.streams.info(name)).state;
      expect(st.messages).toBe(1_001);
      expect(st.num_deleted ?? 0).toBe(0);
      expect(st.first_seq).toBe(9_000);
      expect(st.last_seq).toBe(10_000);
    }
  });

  test("TestJetStreamStreamUpdateReplicasNotSupported", async () => {
    const r = await apiRequest(nc, "$JS.API.STREAM.CREATE.REPL", { name: "REPL", subjects: ["repl"], num_replicas: 3 });
    expect(r.error).toEqual({ code: 500, err_code: 10074, description: "replicas > 1 not supported in non-clustered mode" });
    expect((await jsm.streams.add({ name: "REPL", subjects: ["repl"], num_replicas: 1 })).config.num_replicas).toBe(1);
    await expect(jsm.streams.update("REPL", { subjects: ["repl"], num_replicas: 3 })).rejects.toThrow("replicas > 1 not supported in non-clustered mode");
    expect((await jsm.streams.info("REPL")).config.num_replicas).toBe(1);
    const si = await jsm.streams.update("REPL", { subjects: ["repl", "repl.bar"], num_replicas: 1 });
    expect(si.config.num_replicas).toBe(1);
    expect(si.config.subjects?.length).toBe(2);
  });

  test("TestJetStreamAllowDirectAfterUpdate", async () => {
    await jsm.streams.add({ name: "AD", subjects: ["ad.*"] });
    await js.publish("ad.foo", "msg");
    let si = await jsm.streams.update("AD", { subjects: ["ad.*"], allow_direct: true });
    expect(si.config.allow_direct).toBe(true);
    expect((await nc.request("$JS.API.DIRECT.GET.AD.ad.foo", "", { timeout: 500 })).string()).toBe("msg");
    si = await jsm.streams.update("AD", { subjects: ["ad.*"], allow_direct: false });
    expect(si.config.allow_direct).toBe(false);
    await expect(nc.request("$JS.API.DIRECT.GET.AD.ad.foo", "", { timeout: 200 })).rejects.toThrow();
  });

  test("TestJetStreamMessageTTL and TestJetStreamMessageTTLInvalid", async () => {
    await Promise.all(
      STORAGES.map(async (storage) => {
        const ttl = `TTL_${storage}`;
        await jsm.streams.add({ name: ttl, storage, subjects: [ttl], allow_msg_ttl: true });
        for (let i = 1; i <= 10; i++) expect((await rawPublish(nc, ttl, "", { "Nats-TTL": "1s" })).seq).toBe(i);
        expect((await jsm.streams.info(ttl)).state).toMatchObject({ messages: 10, first_seq: 1, last_seq: 10 });
        expect((await rawPublish(nc, ttl, "", { "Nats-TTL": "500ms" })).error.err_code).toBe(10165);
        expect((await rawPublish(nc, ttl, "", { "Nats-TTL": "something" })).error.err_code).toBe(10165);
        await eventually(async () => (await jsm.streams.info(ttl)).state.messages === 0);
        expect((await jsm.streams.info(ttl)).state).toMatchObject({ messages: 0, first_seq: 11, last_seq: 10 });
      }),
    );
  });

  test("TestJetStreamMessageTTLNeverExpire", async () => {
    await Promise.all(
      STORAGES.map(async (storage) => {
        const never = `NEVER_${storage}`;
        await jsm.streams.add({ name: never, storage, subjects: [never], allow_msg_ttl: true, max_age: 1e9 });
        await rawPublish(nc, never, "", { "Nats-TTL": "never" });
        for (let i = 1; i <= 10; i++) await js.publish(never, "");
        expect((await jsm.streams.info(never)).state).toMatchObject({ messages: 11, first_seq: 1, last_seq: 11 });
        await eventually(async () => (await jsm.streams.info(never)).state.messages <= 1);
        await sleep(200);
        expect((await jsm.streams.info(never)).state).toMatchObject({ messages: 1, first_seq: 1, last_seq: 11 });
      }),
    );
  });

  test("TestJetStreamSubjectDeleteMarkers", async () => {
    await Promise.all(
      STORAGES.map(async (storage) => {
        const name = `SDM_${storage}`;
        await jsm.streams.add({ name, storage, subjects: [name], max_age: 1e9, allow_msg_ttl: true, subject_delete_marker_ttl: 1e9 });
        await jsm.consumers.add(name, { durable_name: "d", ack_policy: AckPolicy.None });
        for (let i = 0; i < 3; i++) await js.publish(name, "");
        const c = await js.consumers.get(name, "d");
        const it = await c.consume();
        let n = 0;
        for await (const m of it) {
          n++;
          if (n <= 3) continue;
          expect(m.headers?.get("Nats-Marker-Reason")).toBe("MaxAge");
          expect(m.headers?.get("Nats-TTL")).toBe("1s");
          break;
        }
        it.stop();
      }),
    );
  });

  test("TestJetStreamRecoverSealedAfterServerRestart", async () => {
    const r = await startJs();
    try {
      await r.jsm.streams.add({ name: "foo" });
      await Promise.all(Array.from({ length: 100 }, () => r.js.publish("foo", "OK")));
      await r.jsm.streams.update("foo", { sealed: true } as Record<string, unknown>);
      await r.restart();
      const si = await r.jsm.streams.info("foo");
      expect(si.state.messages).toBe(100);
      expect(si.config.sealed).toBe(true);
    } finally {
      await r.stop();
    }
  });
});
