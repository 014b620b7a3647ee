import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { apiRequest, startJs, type JsTestServer } from "../helpers.js";

describe("streams over the real clients", () => {
  let t: JsTestServer;
  beforeAll(async () => {
    t = await startJs();
  });
  afterAll(async () => {
    await t.stop();
  });

  test("TestJetStreamAddStream: create, publish, info", async () => {
    const si = await t.jsm.streams.add({ name: "ORDERS", subjects: ["orders.*"] });
    expect(si.config.name).toBe("ORDERS");
    expect(si.config.max_msgs).toBe(-1);
    expect(si.config.duplicate_window).toBe(120_000_000_000);
    const ack = await t.js.publish("orders.1", "hello");
    expect(ack).toMatchObject({ stream: "ORDERS", seq: 1, duplicate: false });
    const info = await t.jsm.streams.info("ORDERS");
    expect(info.state.messages).toBe(1);
    expect(info.state.last_seq).toBe(1);
    const m = await t.jsm.streams.getMessage("ORDERS", { seq: 1 });
    expect(m?.string()).toBe("hello");
  });

  test("account info", async () => {
    const ai = await t.jsm.getAccountInfo();
    expect(ai.streams).toBeGreaterThanOrEqual(1);
    expect(ai.limits.max_streams).toBe(-1);
  });

  test("unknown stream gives Go's error", async () => {
    const r = await apiRequest(t.nc, "$JS.API.STREAM.INFO.NOPE");
    expect(r).toEqual({ type: "io.nats.jetstream.api.v1.stream_info_response", error: { code: 404, err_code: 10059, description: "stream not found" } });
  });
});
