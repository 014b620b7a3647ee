import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DiscardPolicy, StoreCompression, StorageType } from "@nats-io/jetstream";
import { startJs, type JsTestServer } from "../helpers.js";

describe("each stream config field has its effect", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("first_seq starts the stream at that sequence", async () => {
    await t.jsm.streams.add({ name: "FS", subjects: ["fs"], first_seq: 100 });
    expect((await t.js.publish("fs", "x")).seq).toBe(100);
    expect((await t.jsm.streams.info("FS")).state).toMatchObject({ first_seq: 100, last_seq: 100, messages: 1 });
  });

  test("max_age expires old messages", async () => {
    await t.jsm.streams.add({ name: "AGE", subjects: ["age"], max_age: 200e6 });
    await t.js.publish("age", "x");
    await t.js.publish("age", "y");
    const end = Date.now() + 3000;
    while ((await t.jsm.streams.info("AGE")).state.messages > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect((await t.jsm.streams.info("AGE")).state).toMatchObject({ messages: 0, first_seq: 3, last_seq: 2 });
  });

  test("max_bytes and max_msgs with discard old drop the oldest messages", async () => {
    await t.jsm.streams.add({ name: "OLD", subjects: ["old"], max_bytes: 1000, discard: DiscardPolicy.Old, storage: StorageType.Memory });
    for (let i = 0; i < 50; i++) await t.js.publish("old", Buffer.alloc(100, i));
    const st = (await t.jsm.streams.info("OLD")).state;
    expect(st.bytes).toBeLessThanOrEqual(1000);
    expect(st.last_seq).toBe(50);
    expect(st.first_seq).toBeGreaterThan(1);
    await t.jsm.streams.add({ name: "OLDN", subjects: ["oldn"], max_msgs: 3 });
    for (let i = 0; i < 5; i++) await t.js.publish("oldn", `${i}`);
    expect((await t.jsm.streams.info("OLDN")).state).toMatchObject({ messages: 3, first_seq: 3, last_seq: 5 });
  });

  test("description, metadata and compression are kept and reported", async () => {
    const si = await t.jsm.streams.add({
      name: "META",
      subjects: ["meta"],
      description: "orders of the day",
      metadata: { team: "payments" },
      compression: StoreCompression.S2,
    });
    expect(si.config.description).toBe("orders of the day");
    expect(si.config.metadata).toMatchObject({ team: "payments", "_nats.req.level": "0", "_nats.level": "1" });
    expect(si.config.compression).toBe("s2");
    const payload = Buffer.alloc(4096, "a");
    await t.js.publish("meta", payload);
    expect(Buffer.from((await t.jsm.streams.getMessage("META", { seq: 1 }))!.data)).toEqual(payload);
    // Server-set keys in a request are replaced, not stored.
    const up = await t.jsm.streams.update("META", { subjects: ["meta"], metadata: { team: "payments", "_nats.ver": "9.9.9" } });
    expect(up.config.metadata?.["_nats.ver"]).not.toBe("9.9.9");
  });

  test("memory storage streams work like file ones", async () => {
    await t.jsm.streams.add({ name: "MEMS", subjects: ["mems.*"], storage: StorageType.Memory, max_msgs_per_subject: 2 });
    for (let i = 0; i < 6; i++) await t.js.publish(`mems.${i % 2}`, `${i}`);
    const st = (await t.jsm.streams.info("MEMS")).state;
    expect(st).toMatchObject({ messages: 4, num_subjects: 2, last_seq: 6 });
  });
});
