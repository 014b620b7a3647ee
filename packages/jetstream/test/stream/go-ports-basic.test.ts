import { describe, expect, test } from "vitest";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { apiRequest, sharedJs, startJs } from "../helpers.js";

const STORAGES = [StorageType.Memory, StorageType.File] as const;

describe("ported jetstream_test.go basics and usage tests", () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  sharedJs((t) => ({ nc, js, jsm } = t));

  test("TestJetStreamBasicAckPublish", async () => {
    for (const storage of STORAGES) {
      const name = `BAP_${storage}`;
      await jsm.streams.add({ name, storage, subjects: [`${name}.*`] });
      for (let i = 0; i < 50; i++) await js.publish(`${name}.bar`, "Hello World!");
      expect((await jsm.streams.info(name)).state.messages).toBe(50);
    }
  });

  test("TestJetStreamMsgHeaders: headers are stored byte for byte", async () => {
    for (const storage of STORAGES) {
      const name = `MH_${storage}`;
      await jsm.streams.add({ name, storage, max_age: 3600e9 });
      const h = headers();
      h.append("Accept-Encoding", "json");
      h.append("Authorization", "s3cr3t");
      nc.publish(name, "Hello JetStream Headers - #1!", { headers: h });
      await nc.flush();
      const end = Date.now() + 2000;
      while ((await jsm.streams.info(name)).state.messages !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const st = (await jsm.streams.info(name)).state;
      expect(st.messages).toBe(1);
      expect(st.bytes).toBeGreaterThan(0);
      const raw = await apiRequest(nc, `$JS.API.STREAM.MSG.GET.${name}`, { seq: 1 });
      expect(Buffer.from(raw.message.hdrs, "base64").toString()).toBe("NATS/1.0\r\nAccept-Encoding: json\r\nAuthorization: s3cr3t\r\n\r\n");
      expect(Buffer.from(raw.message.data, "base64").toString()).toBe("Hello JetStream Headers - #1!");
    }
  });

  test("TestJetStreamInfoAPIWithHeaders", async () => {
    const h = headers();
    h.append("Accept-Encoding", "json");
    h.append("Authorization", "s3cr3t");
    const resp = await nc.request("$JS.API.INFO", "HELLO-JS!", { headers: h, timeout: 2000 });
    const info = resp.json<Record<string, unknown>>();
    expect(info.error).toBeUndefined();
    expect(info.type).toBe("io.nats.jetstream.api.v1.account_info_response");
  });

  test("TestJetStreamUsageNoReservation and TestJetStreamUsageReservationNegativeMaxBytes", async () => {
    const r = await startJs();
    try {
      await r.jsm.streams.add({ name: "FILE", storage: StorageType.File });
      await r.jsm.streams.add({ name: "MEM", storage: StorageType.Memory });
      let ai = await r.jsm.getAccountInfo();
      expect([ai.reserved_storage, ai.reserved_memory]).toEqual([0, 0]);
      const reserved = async (total: number) => {
        const a = await apiRequest(r.nc, "$JS.API.INFO");
        expect([a.reserved_storage, a.reserved_memory]).toEqual([total, total]);
      };
      for (const [bytes, expected] of [
        [1024, 1024],
        [0, 0],
        [512, 512],
        [-1, 0],
      ]) {
        await r.jsm.streams.update("FILE", { max_bytes: bytes });
        await r.jsm.streams.update("MEM", { max_bytes: bytes });
        await reserved(expected);
      }
      ai = await r.jsm.getAccountInfo();
      expect(ai.streams).toBe(2);
    } finally {
      await r.stop();
    }
  });
});
