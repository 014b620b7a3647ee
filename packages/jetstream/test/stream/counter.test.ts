import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRequest, rawPublish, serverStream, startJs, type JsTestServer } from "../helpers.js";

describe("message counters", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestJetStreamAllowMsgCounter: R1", async () => {
    const cfg = { name: "TEST", subjects: ["foo"], storage: "file", allow_msg_counter: false, num_replicas: 1 };
    await apiRequest(t.nc, "$JS.API.STREAM.CREATE.TEST", cfg);
    expect((await rawPublish(t.nc, "foo", "", { Key: "Value" })).seq).toBe(1);
    expect((await rawPublish(t.nc, "foo", "", { "Nats-Incr": "1" })).error.err_code).toBe(10168);
    const enable = await apiRequest(t.nc, "$JS.API.STREAM.UPDATE.TEST", { ...cfg, allow_msg_counter: true });
    expect(enable.error.description).toBe("stream configuration update can not change message counter setting");
    await t.jsm.streams.delete("TEST");
    const created = await apiRequest(t.nc, "$JS.API.STREAM.CREATE.TEST", { ...cfg, allow_msg_counter: true });
    expect(created.config.metadata["_nats.req.level"]).toBe("2");

    expect((await rawPublish(t.nc, "foo", "")).error.err_code).toBe(10169);
    expect((await rawPublish(t.nc, "foo", "", { Key: "Value" })).error.err_code).toBe(10169);
    expect((await rawPublish(t.nc, "foo", "data", { Key: "Value", "Nats-Incr": "1" })).error.err_code).toBe(10170);
    expect((await rawPublish(t.nc, "foo", "", { "Nats-Incr": "bogus" })).error.err_code).toBe(10171);

    const validateTotal = async (seq: number, total: string) => {
      const m = await t.jsm.streams.getMessage("TEST", { last_by_subj: "foo" });
      expect(m?.seq).toBe(seq);
      expect(m?.json<{ val: string }>().val).toBe(total);
    };
    const increment = async (incr: string, seq: number, total: string) => {
      const pa = await rawPublish(t.nc, "foo", "", { "Nats-Incr": incr });
      expect(pa).toEqual({ stream: "TEST", seq, val: total });
      await validateTotal(seq, total);
    };
    await increment("1", 1, "1");
    await increment("2", 2, "3");
    await increment("-3", 3, "0");
    await increment("1", 4, "1");
    await increment("-1", 5, "0");

    const first = await rawPublish(t.nc, "foo", "", { "Nats-Incr": "1", "Nats-Msg-Id": "dedupe" });
    expect(first).toEqual({ stream: "TEST", seq: 6, val: "1" });
    await validateTotal(6, "1");
    const again = await rawPublish(t.nc, "foo", "", { "Nats-Incr": "1", "Nats-Msg-Id": "dedupe" });
    expect(again).toEqual({ stream: "TEST", seq: 6, duplicate: true });
    await validateTotal(6, "1");

    for (const header of ["Nats-Rollup", "Nats-Expected-Last-Sequence", "Nats-Expected-Last-Subject-Sequence", "Nats-Expected-Last-Subject-Sequence-Subject", "Nats-Expected-Last-Msg-Id"]) {
      expect((await rawPublish(t.nc, "foo", "", { "Nats-Incr": "1", [header]: "1" })).error.err_code).toBe(10171);
    }
    const { seq } = await serverStream(t, "TEST")!.store.storeMsg("foo", null, null);
    expect(seq).toBe(7);
    expect((await rawPublish(t.nc, "foo", "", { "Nats-Incr": "1" })).error).toEqual({ code: 400, err_code: 10172, description: "message counter is broken" });
  });

  test("TestJetStreamAllowMsgCounterIncompatibleSettings", async () => {
    const create = (extra: Record<string, unknown>) => apiRequest(t.nc, "$JS.API.STREAM.CREATE.CI", { name: "CI", subjects: ["ci"], allow_msg_counter: true, ...extra });
    expect((await create({ discard: "new" })).error.description).toBe("counter stream cannot use discard new");
    expect((await create({ allow_msg_ttl: true })).error.description).toBe("counter stream cannot use message TTLs");
    expect((await create({ allow_msg_schedules: true })).error.description).toBe("counter stream cannot use message schedules");
    for (const retention of ["interest", "workqueue"]) {
      expect((await create({ retention })).error.description).toBe("counter stream can only use limits retention");
    }
  });
});
