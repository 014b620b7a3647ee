import { describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { apiRequest, rawPublish, sharedJs } from "../helpers.js";

const STORAGES = [StorageType.Memory, StorageType.File] as const;

describe("ported jetstream_test.go limits and last-sequence tests", () => {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  sharedJs((t) => ({ nc, js, jsm } = t));

  test("TestJetStreamStateTimestamps", async () => {
    for (const storage of STORAGES) {
      const name = `TS_${storage}`;
      await jsm.streams.add({ name, storage, subjects: [`${name}.*`] });
      const start = Date.now();
      await js.publish(`${name}.bar`, "Hello World!");
      await new Promise((r) => setTimeout(r, 250));
      const second = Date.now();
      await js.publish(`${name}.bar`, "Hello World Again!");
      const st = (await jsm.streams.info(name)).state;
      // The store's nanosecond clock and Date.now() may disagree by a millisecond or so.
      const skew = 5;
      expect(Date.parse(st.first_ts)).toBeGreaterThanOrEqual(start - skew);
      expect(Date.parse(st.last_ts)).toBeGreaterThanOrEqual(second - skew);
      expect(Date.parse(st.last_ts) - Date.parse(st.first_ts)).toBeGreaterThanOrEqual(240);
    }
  });

  test("TestJetStreamMaxMsgsPerSubject", async () => {
    for (const storage of STORAGES) {
      const name = `MPS_${storage}`;
      await jsm.streams.add({ name, subjects: [`${name}.foo`, `${name}.bar`, `${name}.baz.*`], storage, max_msgs_per_subject: 5 });
      const pubAndCheck = async (subj: string, num: number, expected: number) => {
        for (let i = 0; i < num; i++) await js.publish(`${name}.${subj}`, "TSLA");
        expect((await jsm.streams.info(name)).state.messages).toBe(expected);
      };
      await pubAndCheck("foo", 1, 1);
      await pubAndCheck("foo", 4, 5);
      await pubAndCheck("foo", 2, 5);
      await pubAndCheck("baz.22", 5, 10);
      await pubAndCheck("baz.33", 5, 15);
      await pubAndCheck("baz.22", 5, 15);
      await pubAndCheck("baz.33", 5, 15);
      await jsm.streams.purge(name);
      await pubAndCheck("foo", 1, 1);
      await pubAndCheck("foo", 4, 5);
      await pubAndCheck("baz.22", 5, 10);
      await pubAndCheck("baz.33", 5, 15);
    }
  });

  test("TestJetStreamDefaultMaxMsgsPer", async () => {
    const si = await jsm.streams.add({ name: "DMP", subjects: ["dmp.*"], storage: StorageType.Memory, max_msgs: 10 });
    expect(si.config.max_msgs_per_subject).toBe(-1);
  });

  test("TestJetStreamChangeMaxMessagesPerSubject", async () => {
    await jsm.streams.add({ name: "CMP", subjects: ["one.>"], max_msgs_per_subject: 5 });
    for (let i = 0; i < 10; i++) await js.publish("one.data", "data");
    expect((await jsm.streams.info("CMP")).state.messages).toBe(5);
    const si = await jsm.streams.update("CMP", { subjects: ["one.>"], max_msgs_per_subject: 3 });
    expect(si.config.max_msgs_per_subject).toBe(3);
    expect(si.state.messages).toBe(3);
    for (let i = 0; i < 10; i++) await js.publish("one.data", "data");
    expect((await jsm.streams.info("CMP")).state.messages).toBe(3);
  });

  test("TestJetStreamGetLastMsgBySubjectAfterUpdate", async () => {
    await jsm.streams.add({ name: "GLU", subjects: ["glu.foo"] });
    await jsm.streams.update("GLU", { subjects: ["glu.foo", "glu.bar", "glu.baz"] });
    await js.publish("glu.foo", "OK1");
    await js.publish("glu.bar", "OK1");
    await js.publish("glu.foo", "OK2");
    await js.publish("glu.bar", "OK2");
    const last = async (subject: string) => (await apiRequest(nc, "$JS.API.STREAM.MSG.GET.GLU", { last_by_subj: subject })).message;
    expect(await last("glu.foo")).toMatchObject({ seq: 3, subject: "glu.foo" });
    expect(await last("glu.bar")).toMatchObject({ seq: 4, subject: "glu.bar" });
    expect((await last("glu.*")).seq).toBe(4);
  });

  test("TestJetStreamLastSequenceBySubjectWithSubject", async () => {
    for (const storage of STORAGES) {
      const name = `LSS_${storage}`;
      const p = name.toLowerCase();
      await jsm.streams.add({ name, subjects: [`${p}.>`], storage, max_msgs_per_subject: 1 });
      await Promise.all(
        [
          ["1.foo", "1:1"],
          ["1.bar", "1:2"],
          ["2.foo", "2:1"],
          ["3.bar", "3:1"],
          ["1.baz", "1:3"],
          ["1.bar", "1:4"],
          ["2.baz", "2:2"],
        ].map(([s, d]) => js.publish(`${p}.${s}`, d)),
      );
      const pubAndCheck = async (subj: string, filter: string, seq: string, ok: boolean) => {
        const r = await rawPublish(nc, `${p}.${subj}`, "HELLO", {
          "Nats-Expected-Last-Subject-Sequence": seq,
          "Nats-Expected-Last-Subject-Sequence-Subject": `${p}.${filter}`,
        });
        expect(r.error === undefined).toBe(ok);
      };
      await pubAndCheck("1.foo", "1.*", "0", false);
      await pubAndCheck("1.bar", "1.*", "0", false);
      await pubAndCheck("1.xxx", "1.*", "0", false);
      await pubAndCheck("1.foo", "1.*", "1", false);
      await pubAndCheck("1.bar", "1.*", "1", false);
      await pubAndCheck("1.xxx", "1.*", "1", false);
      await pubAndCheck("2.foo", "2.*", "1", false);
      await pubAndCheck("2.bar", "2.*", "1", false);
      await pubAndCheck("2.xxx", "2.*", "1", false);
      await pubAndCheck("1.bar", "1.*", "2", false);
      await pubAndCheck("1.bar", "1.*", "3", false);
      await pubAndCheck("1.bar", "1.*", "4", false);
      await pubAndCheck("1.bar", "1.*", "5", false);
      await pubAndCheck("1.bar", "1.*", "6", true);
      await pubAndCheck("1.baz", "1.*", "2", false);
      await pubAndCheck("1.bar", "1.*", "7", false);
      await pubAndCheck("1.xxx", "1.*", "8", true);
      await pubAndCheck("2.foo", "2.*", "2", false);
      await pubAndCheck("2.foo", "2.*", "7", true);
      await pubAndCheck("xxx", "*", "0", true);
      await pubAndCheck("xxx", "*.*", "0", false);
      await pubAndCheck("3.xxx", "3.*", "4", true);
      await pubAndCheck("3.xyz", "3.*", "12", true);
      const missing = await rawPublish(nc, `${p}.invalid`, "HELLO", { "Nats-Expected-Last-Subject-Sequence-Subject": `${p}.invalid` });
      expect(missing.error.err_code).toBe(10193);
    }
  });
});
