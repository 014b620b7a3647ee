import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamPlugin } from "../../src/index.js";
import { ApiError } from "../../src/index.js";
import { apiRequest, startJs, type JsTestServer } from "../helpers.js";

describe("ported jetstream_test.go config, overlap, republish and direct get tests", () => {
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

  test("TestJetStreamAddStreamCanonicalNames", async () => {
    const jsa = t.server.plugin<JetStreamPlugin>("jetstream")!.account("$G")!;
    for (const name of ["foo.bar", "foo.bar.", "foo.*", "foo.>", "*", ">", "*>"]) {
      const err = await jsa.createStream({ name }, false).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiError);
      expect((err as ApiError).errCode).toBe(10052);
    }
  });

  test("TestJetStreamProperErrorDueToOverlapSubjects", async () => {
    await jsm.streams.add({ name: "OVTEST", subjects: ["ovl.*"] });
    const r = await apiRequest(nc, "$JS.API.STREAM.CREATE.OVTEST2", { name: "OVTEST2", subjects: ["ovl.>"] });
    expect(r.error.err_code).toBe(10065);
  });

  test("TestJetStreamStreamSubjectsOverlap", async () => {
    await expect(jsm.streams.add({ name: "SO", subjects: ["so.*", "so.A"] })).rejects.toThrow("overlaps");
    await jsm.streams.add({ name: "SO", subjects: ["so.*"] });
    await expect(jsm.streams.update("SO", { subjects: ["so.*", "so.A"] })).rejects.toThrow("overlaps");
    await expect(jsm.streams.update("SO", { subjects: ["so.bar.*", "so.*.bar"] })).rejects.toThrow("overlaps");
  });

  test("TestJetStreamStreamUpdateSubjectsOverlapOthers", async () => {
    await jsm.streams.add({ name: "UO", subjects: ["UO"] });
    await jsm.streams.update("UO", { subjects: ["UO", "uo.a"] });
    await jsm.streams.add({ name: "UO2", subjects: ["UO2"] });
    await expect(jsm.streams.update("UO2", { subjects: ["UO2", "uo.*"] })).rejects.toThrow("overlap");
  });

  test("TestJetStreamStreamRepublishCycle", async () => {
    const cfg = { name: "RPCY", storage: "memory", subjects: ["foo.>", "bar.*", "baz"] };
    for (const republish of [
      { src: "foo.>", dest: "foo.>" },
      { src: "bar.bar", dest: "foo.bar" },
      { src: "baz", dest: "bar.bar" },
    ]) {
      const r = await apiRequest(nc, "$JS.API.STREAM.CREATE.RPCY", { ...cfg, republish });
      expect(r.type).toBe("io.nats.jetstream.api.v1.stream_create_response");
      expect(r.error.description).toContain("republish destination forms a cycle");
    }
  });

  const republishCase = async (name: string, subjects: string[], republish: Record<string, unknown>, publishTo: string, listen: string, expected: number) => {
    await jsm.streams.add({ name, storage: StorageType.Memory, subjects, republish: republish as never });
    const sub = nc.subscribe(listen);
    const msg = Buffer.alloc(512, "Z");
    await Promise.all(Array.from({ length: 100 }, () => js.publish(publishTo, msg)));
    await nc.flush();
    await new Promise((r) => setTimeout(r, 50));
    expect(sub.getReceived()).toBe(expected);
    sub.unsubscribe();
    await jsm.streams.delete(name);
  };

  test("TestJetStreamStreamRepublishOneTokenMatch", async () => {
    await republishCase("RP1", ["one", "four"], { src: "one", dest: "uno", headers_only: false }, "one", "uno", 100);
  });

  test("TestJetStreamStreamRepublishMultiTokenMatch", async () => {
    await republishCase("RP2", ["one.>", "four.>"], { src: "one.two.>", dest: "uno.dos.>" }, "one.two.three", "uno.dos.>", 100);
  });

  test("TestJetStreamStreamRepublishAnySubjectMatch", async () => {
    await republishCase("RP3", ["one.>", "four.>"], { dest: "uno.dos.>" }, "one.two.three", "uno.dos.>", 100);
  });

  test("TestJetStreamStreamRepublishMultiTokenNoMatch", async () => {
    await republishCase("RP4", ["one.>", "four.>"], { src: "one.two.>", dest: "uno.dos.>", headers_only: true }, "four.five.six", "uno.dos.>", 0);
  });

  test("TestJetStreamStreamRepublishOneTokenNoMatch", async () => {
    await republishCase("RP5", ["one", "four"], { src: "one", dest: "uno", headers_only: true }, "four", "uno", 0);
  });

  test("TestJetStreamDirectMsgGetNext", async () => {
    await jsm.streams.add({ name: "DSMG", storage: StorageType.Memory, subjects: ["dsmg.foo", "dsmg.bar", "dsmg.baz"], allow_direct: true });
    await js.publish("dsmg.foo", "foo");
    for (let i = 0; i < 10; i++) await js.publish("dsmg.bar", "bar");
    for (let i = 0; i < 10; i++) await js.publish("dsmg.baz", "baz");
    await js.publish("dsmg.foo", "foo");
    const get = async (seq: number, subj: string) => {
      const m = await nc.request("$JS.API.DIRECT.GET.DSMG", JSON.stringify({ seq, next_by_subj: `dsmg.${subj}` }));
      return [m.headers?.get("Nats-Sequence"), m.headers?.get("Nats-Subject")];
    };
    expect(await get(0, "foo")).toEqual(["1", "dsmg.foo"]);
    expect(await get(1, "foo")).toEqual(["1", "dsmg.foo"]);
    expect(await get(2, "foo")).toEqual(["22", "dsmg.foo"]);
    expect(await get(2, "bar")).toEqual(["2", "dsmg.bar"]);
    expect(await get(5, "baz")).toEqual(["12", "dsmg.baz"]);
    expect(await get(14, "baz")).toEqual(["14", "dsmg.baz"]);
  });
});
