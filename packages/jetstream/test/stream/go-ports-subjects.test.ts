import { describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { apiRequest, sharedJs, startJs } from "../helpers.js";

const STORAGES = [StorageType.Memory, StorageType.File] as const;

describe("ported jetstream_test.go subject state tests", () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  sharedJs((t) => ({ nc, js, jsm } = t));

  test("TestJetStreamMemoryPurgeClearsSubjectsState", async () => {
    await jsm.streams.add({ name: "MPC", subjects: ["mpc"], storage: StorageType.Memory });
    expect((await js.publish("mpc", "")).seq).toBe(1);
    let si = await jsm.streams.info("MPC", { subjects_filter: ">" });
    expect(si.state.subjects).toEqual({ mpc: 1 });
    await jsm.streams.purge("MPC", { seq: 100 });
    si = await jsm.streams.info("MPC", { subjects_filter: ">" });
    expect(Object.keys(si.state.subjects ?? {}).length).toBe(0);
  });

  test("TestJetStreamMessagePerSubjectKeepBug", async () => {
    for (const storage of STORAGES) {
      for (const keep of [10, 1]) {
        const name = `KB_${storage}_${keep}`;
        await jsm.streams.add({ name, max_msgs_per_subject: keep, storage });
        for (let i = 0; i < 100; i++) await js.publish(name, `test ${i}`);
        expect((await jsm.streams.info(name)).state.messages).toBe(keep);
      }
    }
  });

  test("TestJetStreamStreamInfoSubjectsDetailsWithDeleteAndPurge", async () => {
    for (const storage of STORAGES) {
      const name = `SDP_${storage}`;
      await jsm.streams.add({ name, subjects: [`${name}.*`], storage });
      const s = (x: string) => `${name}.${x}`;
      const check = async (expected: Record<string, number>) => {
        const si = await apiRequest(nc, `$JS.API.STREAM.INFO.${name}`, { subjects_filter: ">" });
        const want = Object.fromEntries(Object.entries(expected).map(([k, v]) => [s(k), v]));
        expect(si.state.subjects ?? {}).toEqual(want);
        expect(si.state.num_subjects ?? 0).toBe(Object.keys(expected).length);
      };
      for (const x of ["foo", "foo", "bar", "baz", "baz", "bar", "bar"]) await js.publish(s(x), "ok");
      await check({ foo: 2, bar: 3, baz: 2 });
      await jsm.streams.deleteMessage(name, 6);
      await check({ foo: 2, bar: 2, baz: 2 });
      await jsm.streams.deleteMessage(name, 5);
      await js.publish(s("baz"), "ok");
      await check({ foo: 2, bar: 2, baz: 2 });
      await apiRequest(nc, `$JS.API.STREAM.PURGE.${name}`, { filter: s("bar") });
      await check({ foo: 2, baz: 2 });
      await jsm.streams.purge(name);
      await check({});
    }
  });

  test("TestJetStreamStreamLimitUpdate", async () => {
    const r = await startJs({ plugin: { accountLimits: { $G: { max_memory: 128, max_storage: 128, max_streams: 1 } } } });
    try {
      for (const storage of STORAGES) {
        const cfg = { name: "TEST", subjects: ["foo"], storage, max_bytes: 32 };
        await r.jsm.streams.add(cfg);
        // Creating again with the same config is idempotent and does not count against max_streams.
        await r.jsm.streams.add(cfg);
        await r.jsm.streams.update("TEST", { ...cfg, max_bytes: 16 });
        expect(await r.jsm.streams.delete("TEST")).toBe(true);
      }
    } finally {
      await r.stop();
    }
  });
});
