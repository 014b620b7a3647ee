import { describe, expect, test } from "vitest";
import { AckPolicy, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { apiRequest, rawPublish, startJs } from "../helpers.js";

describe("ported jetstream_test.go usage tracking tests", () => {
  test("TestJetStreamStreamStorageTrackingAndLimits", async () => {
    const t = await startJs({ plugin: { accountLimits: { $G: { max_memory: 8192, max_storage: -1, max_streams: -1, max_consumers: -1 } } } });
    try {
      const usage = async () => (await apiRequest(t.nc, "$JS.API.INFO")) as { memory: number; streams: number };
      await t.jsm.streams.add({ name: "LIMITS", storage: StorageType.Memory, retention: RetentionPolicy.Workqueue });
      for (let i = 0; i < 100; i++) await t.js.publish("LIMITS", "Hello World!");
      const state = (await t.jsm.streams.info("LIMITS")).state;
      let u = await usage();
      expect(u.memory).toBe(state.bytes);
      expect(u.streams).toBe(1);

      await t.jsm.streams.add({ name: "NUM22", storage: StorageType.Memory, retention: RetentionPolicy.Workqueue });
      for (let i = 0; i < 100; i++) await t.js.publish("NUM22", "Hello World!");
      const state2 = (await t.jsm.streams.info("NUM22")).state;
      expect((await usage()).memory).toBe(state.bytes + state2.bytes);
      await t.jsm.streams.delete("NUM22");
      expect((await usage()).memory).toBe(state.bytes);

      // Drain the work queue: acknowledged messages leave and take their bytes with them.
      await t.jsm.consumers.add("LIMITS", { durable_name: "WQ", ack_policy: AckPolicy.Explicit });
      const c = await t.js.consumers.get("LIMITS", "WQ");
      for (let i = 0; i < 100; i++) {
        const m = await c.next({ expires: 2000 });
        await m!.ackAck();
      }
      const end = Date.now() + 2000;
      while ((u = await usage()).memory !== 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 15));
      expect(u.memory).toBe(0);

      let errSeen: string | undefined;
      for (let i = 0; i < 200 && errSeen === undefined; i++) {
        errSeen = (await rawPublish(t.nc, "LIMITS", "The quick brown fox jumped over the...")).error?.description;
      }
      expect(errSeen).toBe("resource limits exceeded for account");
      expect((await usage()).memory).toBeLessThanOrEqual(8192);
    } finally {
      await t.stop();
    }
  });
});
