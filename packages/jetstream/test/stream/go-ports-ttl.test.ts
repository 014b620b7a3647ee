import { describe, expect, test } from "vitest";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { ApiError } from "../../src/index.js";
import { checkStreamConfig, type StreamConfigContext } from "../../src/stream/config.js";
import { apiRequest, rawPublish, sharedJs } from "../helpers.js";

const ctx: StreamConfigContext = { lookup: () => undefined, maxBytesLimits: () => ({ required: false, limit: -1 }), duplicatesLimit: 0 };

function configError(cfg: Record<string, unknown>, pedantic = false): string | undefined {
  try {
    checkStreamConfig(cfg, ctx, pedantic);
    return undefined;
  } catch (e) {
    return (e as ApiError).description;
  }
}

describe("ported jetstream_test.go TTL, marker and config-value tests", () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  sharedJs((t) => ({ nc, js, jsm } = t));

  test("TestJetStreamMessageTTLNotUpdatable", async () => {
    await jsm.streams.add({ name: "TTLNU", subjects: ["ttlnu"], allow_msg_ttl: true });
    const r = await apiRequest(nc, "$JS.API.STREAM.UPDATE.TTLNU", { name: "TTLNU", subjects: ["ttlnu"], allow_msg_ttl: false });
    expect(r.error.description).toBe("message TTL status can not be disabled");
  });

  test("TestJetStreamMessageTTLDisabled", async () => {
    for (const storage of [StorageType.File, StorageType.Memory]) {
      await jsm.streams.add({ name: `TTLD_${storage}`, storage, subjects: [`ttld.${storage}`] });
      expect((await rawPublish(nc, `ttld.${storage}`, "", { "Nats-TTL": "1s" })).error.err_code).toBe(10166);
    }
  });

  test("TestJetStreamCreateStreamWithSubjectDeleteMarkersOptions", async () => {
    const create = (cfg: Record<string, unknown>, pedantic: boolean) => apiRequest(nc, `$JS.API.STREAM.CREATE.${cfg.name}`, { ...cfg, pedantic });
    const cfg: Record<string, unknown> = { name: "PEDANTIC", storage: "file", subjects: ["pedantic"], subject_delete_marker_ttl: -1e6 };
    expect((await create(cfg, true)).error.description).toBe("subject delete marker TTL must not be negative");
    cfg.subject_delete_marker_ttl = 1e6;
    expect((await create(cfg, true)).error.description).toBe("subject delete marker TTL must be at least 1 second");
    cfg.subject_delete_marker_ttl = 1e9;
    expect((await create(cfg, true)).error.description).toBe("subject delete marker cannot be set if message TTLs are disabled");
    cfg.allow_msg_ttl = true;
    expect((await create(cfg, true)).error.description).toBe("subject delete marker cannot be set if roll-ups are disabled");
    cfg.allow_rollup_hdrs = true;
    cfg.deny_purge = true;
    expect((await create(cfg, true)).error.description).toBe("roll-ups require the purge permission");
    cfg.deny_purge = false;
    expect((await create(cfg, true)).error).toBeUndefined();

    const auto = await create({ name: "AUTO", storage: "file", subjects: ["auto"], subject_delete_marker_ttl: 1e9 }, false);
    expect(auto.config).toMatchObject({ subject_delete_marker_ttl: 1e9, allow_msg_ttl: true, allow_rollup_hdrs: true, deny_purge: false });

    const upd = await create({ name: "UPDATE", storage: "file", subjects: ["update"] }, false);
    expect(upd.config).toMatchObject({ allow_msg_ttl: false, allow_rollup_hdrs: false, deny_purge: false });
    const updated = await apiRequest(nc, "$JS.API.STREAM.UPDATE.UPDATE", { name: "UPDATE", storage: "file", subjects: ["update"], subject_delete_marker_ttl: 1e9 });
    expect(updated.config).toMatchObject({ subject_delete_marker_ttl: 1e9, allow_msg_ttl: true, allow_rollup_hdrs: true, deny_purge: false });
    const { subject_delete_marker_ttl: _sdm, ...rest } = updated.config;
    const disable = await apiRequest(nc, "$JS.API.STREAM.UPDATE.UPDATE", { ...rest, allow_msg_ttl: false, pedantic: true });
    expect(disable.error.description).toBe("message TTL status can not be disabled");
  });

  test("config values: bad enums are invalid JSON, limits below -1 are pedantic errors or become -1", async () => {
    // Enum values outside Go's set cannot even be decoded from JSON here; the numeric limits follow checkStreamCfg.
    expect((await apiRequest(nc, "$JS.API.STREAM.CREATE.INV", { name: "INV", retention: "bogus" })).error.err_code).toBe(10025);
    expect((await apiRequest(nc, "$JS.API.STREAM.CREATE.INV", { name: "INV", discard: "bogus" })).error.err_code).toBe(10025);
    expect((await apiRequest(nc, "$JS.API.STREAM.CREATE.INV", { name: "INV", storage: "bogus" })).error.err_code).toBe(10025);
    expect((await apiRequest(nc, "$JS.API.STREAM.CREATE.INV", { name: "INV", compression: "bogus" })).error.err_code).toBe(10025);
    expect(configError({ name: "TEST", max_age: -1e9 })).toBe("max age can not be negative");
    for (const field of ["max_msgs", "max_msgs_per_subject", "max_bytes", "max_msg_size", "max_consumers"]) {
      expect(configError({ name: "TEST", [field]: -10 }, true)).toBe(`pedantic mode: ${field} must be set to -1`);
      expect(checkStreamConfig({ name: "TEST", [field]: 0 }, ctx, true)[field as "max_msgs"]).toBe(-1);
      expect(checkStreamConfig({ name: "TEST", [field]: -10 }, ctx, false)[field as "max_msgs"]).toBe(-1);
    }
  });

  test("TestJetStreamMsgIDHeaderCollision", async () => {
    await jsm.streams.add({ name: "COLL", subjects: ["ORDERS.*"] });
    const send = async (h: Record<string, string>) => {
      const hh = headers();
      for (const [k, v] of Object.entries(h)) hh.append(k, v);
      await js.publish("ORDERS.test", "ok", { headers: hh });
    };
    await send({ "Nats-Msg-Id": "1" });
    await send({ "Orig-Nats-Msg-Id": "1" });
    await send({ "Original-Nats-Msg-Id": "1" });
    await send({ "Original-Nats-Msg-Id": "1", "Really-Original-Nats-Msg-Id": "1" });
    await send({ X: "Nats-Msg-Id:1" });
    expect((await jsm.streams.info("COLL")).state.messages).toBe(5);
  });
});
