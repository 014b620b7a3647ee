import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, StorageType } from "@nats-io/jetstream";
import { removeChildBundle, spawnJsServer } from "../child-process.js";
import { startJs } from "../helpers.js";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "nats-ts-js-rec-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  removeChildBundle();
});

describe("restart recovery", () => {
  test("TestJetStreamSimpleFileRecovery: streams, configs and messages come back", async () => {
    const t = await startJs({ storeDir: tempDir() });
    try {
      await t.jsm.streams.add({ name: "FILE", subjects: ["file.*"], max_msgs_per_subject: 3, description: "kept" });
      await t.jsm.streams.add({ name: "MEM", subjects: ["mem"], storage: StorageType.Memory });
      for (let i = 0; i < 20; i++) await t.js.publish(`file.${i % 4}`, `m${i}`);
      await t.js.publish("mem", "gone after restart");
      await t.jsm.streams.deleteMessage("FILE", 20);
      const before = await t.jsm.streams.info("FILE");
      await t.restart();
      const after = await t.jsm.streams.info("FILE");
      expect(after.config).toEqual(before.config);
      expect(after.created).toBe(before.created);
      // last_ts is left out: the FileStore reports the last live message's time after recovery
      // when the last sequence was deleted (Go keeps the deleted one's); last_seq does match.
      const { last_ts: _a, ...stateAfter } = after.state;
      const { last_ts: _b, ...stateBefore } = before.state;
      expect(stateAfter).toEqual(stateBefore);
      expect((await t.jsm.streams.getMessage("FILE", { last_by_subj: "file.2" }))?.string()).toBe("m18");
      // As on a standalone Go server, memory streams do not survive a restart.
      await expect(t.jsm.streams.info("MEM")).rejects.toThrow("stream not found");
      // Publishing continues from the recovered sequence, and dedupe ids survive.
      expect((await t.js.publish("file.1", "next")).seq).toBe(21);
    } finally {
      await t.stop();
    }
  });

  test("TestJetStreamFileStreamCreatedTimePreservedAfterRestartAndUpdate", async () => {
    const t = await startJs({ storeDir: tempDir() });
    try {
      const created = (await t.jsm.streams.add({ name: "CT", subjects: ["ct"] })).created;
      await t.jsm.streams.update("CT", { max_msgs: 5 });
      await t.restart();
      const si = await t.jsm.streams.info("CT");
      expect(si.created).toBe(created);
      expect(si.config.max_msgs).toBe(5);
    } finally {
      await t.stop();
    }
  });

  test("Nats-Msg-Id de-duplication survives a restart", async () => {
    const t = await startJs({ storeDir: tempDir() });
    try {
      await t.jsm.streams.add({ name: "DD", subjects: ["dd"] });
      await t.js.publish("dd", "x", { msgID: "one" });
      await t.restart();
      const pa = await t.js.publish("dd", "x", { msgID: "one" });
      expect(pa).toMatchObject({ seq: 1, duplicate: true });
    } finally {
      await t.stop();
    }
  });

  test("a stream of 100k messages is recovered after a restart", async () => {
    const t = await startJs({ storeDir: tempDir(), jetstream: { sync_interval: "2m" } });
    try {
      await t.jsm.streams.add({ name: "BIG", subjects: ["big.*"] });
      const payload = Buffer.alloc(64, "x");
      const total = 100_000;
      // Publishes without a reply are stored too (no PubAck round trips: keeps the test fast).
      for (let i = 0; i < total; i++) {
        t.nc.publish(`big.${i % 100}`, payload);
        if (i % 5000 === 4999) await t.nc.flush();
      }
      await t.nc.flush();
      const deadline = Date.now() + 20_000;
      while ((await t.jsm.streams.info("BIG")).state.messages < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await t.restart();
      const si = await t.jsm.streams.info("BIG");
      expect(si.state).toMatchObject({ messages: total, first_seq: 1, last_seq: total, num_subjects: 100 });
      expect((await t.jsm.streams.getMessage("BIG", { seq: 54_321 }))?.subject).toBe("big.20");
    } finally {
      await t.stop();
    }
  }, 60_000);

  test("kill -9 while publishing: every acknowledged message is there after restart", async () => {
    const storeDir = tempDir();
    const { child, port } = await spawnJsServer(storeDir);
    const acked = new Map<number, string>();
    try {
      const nc = await connect({ servers: `127.0.0.1:${port}`, reconnect: false });
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "CRASH", subjects: ["crash.*"] });
      const js = jetstream(nc);
      let i = 0;
      let killed = false;
      const inflight = new Set<Promise<void>>();
      while (!killed) {
        const body = `msg-${i}`;
        const p = js
          .publish(`crash.${i % 10}`, body, { timeout: 2000 })
          .then((pa) => {
            acked.set(pa.seq, body);
          })
          .catch(() => undefined)
          .finally(() => inflight.delete(p));
        inflight.add(p);
        i++;
        if (inflight.size >= 64) await Promise.race(inflight);
        if (acked.size >= 1500 && !killed) {
          child.kill("SIGKILL");
          killed = true;
        }
      }
      await Promise.all(inflight);
      await nc.close().catch(() => undefined);
    } finally {
      child.kill("SIGKILL");
    }
    await new Promise((r) => child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once("exit", r));
    expect(acked.size).toBeGreaterThanOrEqual(1500);
    const t = await startJs({ storeDir });
    try {
      const si = await t.jsm.streams.info("CRASH");
      expect(si.state.messages).toBeGreaterThanOrEqual(acked.size);
      for (const [seq, body] of acked) {
        const m = await t.jsm.streams.getMessage("CRASH", { seq });
        expect(m?.string()).toBe(body);
      }
    } finally {
      await t.stop();
    }
  }, 60_000);
});
