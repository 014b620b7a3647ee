import { mkdtemp, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { Wal } from "../src/runtime/wal.js";
import type { Entry, HardState } from "../src/core/types.js";

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "raft-wal-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

const e = (index: number, term: number, text = `e${index}`): Entry => ({ index, term, type: "normal", data: Buffer.from(text) });
const hs = (term: number, vote: string | null, commit: number): HardState => ({ term, vote, commit, recovering: false });
const text = (x: Entry): string => Buffer.from(x.data).toString();

describe("write-ahead log", () => {
  test("entries, hard state and snapshot survive a reopen", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1), e(3, 2)], hardState: hs(2, "b", 2) });
    await wal.close();
    const again = await Wal.open(dir);
    expect(again.state.corruption).toBeNull();
    expect(again.state.hardState).toEqual(hs(2, "b", 2));
    expect(again.state.entries.map(text)).toEqual(["e1", "e2", "e3"]);
    await again.close();
  });

  test("a commit-only change costs no sync: a crash forgets it, a clean close keeps it", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1)], hardState: hs(1, "a", 1) });
    await wal.save({ entries: [], hardState: hs(1, "a", 2) });
    const crashed = await Wal.open(dir);
    expect(crashed.state.hardState).toEqual(hs(1, "a", 1));
    await crashed.close();
    await wal.close();
    const clean = await Wal.open(dir);
    expect(clean.state.hardState).toEqual(hs(1, "a", 2));
    await clean.close();
  });

  test("TestNRGTruncateOnStartup: a torn last record is cut off on open; nothing acknowledged was lost", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1)], hardState: hs(1, "a", 2) });
    await wal.close();
    const size = (await stat(join(dir, "log"))).size;
    await truncate(join(dir, "log"), size - 3);
    const again = await Wal.open(dir);
    expect(again.state.corruption).toMatchObject({ reason: "truncated record", tornWrite: true });
    expect(again.state.entries.map((x) => x.index)).toEqual([1]);
    // A write interrupted before its fsync was never acknowledged: no recovery mode.
    expect(again.state.hardState).toEqual({ term: 1, vote: "a", commit: 2, recovering: false });
    // New writes continue cleanly after the cut.
    await again.save({ entries: [e(2, 3, "new")] });
    await again.close();
    const third = await Wal.open(dir);
    expect(third.state.corruption).toBeNull();
    expect(third.state.entries.map(text)).toEqual(["e1", "new"]);
    await third.close();
  });

  test("a zero-filled tail (file grown, data never written) counts as a torn write", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1)] });
    await wal.close();
    const buf = await readFile(join(dir, "log"));
    await writeFile(join(dir, "log"), Buffer.concat([buf, Buffer.alloc(4096)]));
    const again = await Wal.open(dir);
    expect(again.state.corruption?.tornWrite).toBe(true);
    expect(again.state.entries.map((x) => x.index)).toEqual([1, 2]);
    expect(again.state.hardState?.recovering ?? false).toBe(false);
    await again.close();
  });

  test("without fsync even a torn tail puts the node in recovery", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir, { fsync: false });
    await wal.save({ entries: [e(1, 1), e(2, 1)], hardState: hs(1, null, 0) });
    await wal.close();
    const size = (await stat(join(dir, "log"))).size;
    await truncate(join(dir, "log"), size - 1);
    const again = await Wal.open(dir, { fsync: false });
    expect(again.state.corruption?.tornWrite).toBe(true);
    expect(again.state.hardState?.recovering).toBe(true);
    await again.close();
  });

  test("a flipped bit mid-log fails its checksum: that record and everything after are dropped", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1), e(3, 1)] });
    await wal.close();
    const buf = await readFile(join(dir, "log"));
    const recordSize = buf.length / 3;
    buf[recordSize + 12] ^= 0x10;
    await writeFile(join(dir, "log"), buf);
    const again = await Wal.open(dir);
    expect(again.state.corruption).toMatchObject({ reason: "checksum mismatch", tornWrite: false });
    expect(again.state.entries.map((x) => x.index)).toEqual([1]);
    // Intact records after the damage: acknowledged entries were lost, recover before voting.
    expect(again.state.hardState?.recovering).toBe(true);
    await again.close();
    expect((await stat(join(dir, "log"))).size).toBe(recordSize);
  });

  test("TestNRGWALEntryWithoutQuorumMustTruncate: a conflicting tail is replaced, also after a restart", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1), e(3, 1)] });
    await wal.save({ entries: [e(2, 2, "x"), e(3, 2, "y"), e(4, 2, "z")] });
    await wal.close();
    const again = await Wal.open(dir);
    expect(again.state.entries.map(text)).toEqual(["e1", "x", "y", "z"]);
    expect(again.state.entries.map((x) => x.term)).toEqual([1, 2, 2, 2]);
    await again.close();
  });

  test("a torn hard state write falls back to the previous slot", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [], hardState: hs(3, "a", 0) });
    await wal.save({ entries: [], hardState: hs(4, null, 0) });
    await wal.close();
    const buf = await readFile(join(dir, "hardstate"));
    // The newest write went to slot 0 (sequence 2); damage it.
    buf[10] ^= 0xff;
    await writeFile(join(dir, "hardstate"), buf);
    const again = await Wal.open(dir);
    expect(again.state.hardState).toEqual(hs(3, "a", 0));
    await again.close();
  });

  test("TestNRGSnapshotRecovery: a snapshot compacts the log and reloads with the entries after it", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1), e(3, 1), e(4, 2)] });
    const membership = { voters: ["a", "b"], observers: [] };
    await wal.saveSnapshot({ meta: { index: 2, term: 1, membership }, data: Buffer.from("state@2") });
    await wal.save({ entries: [e(5, 2)] });
    await wal.close();
    const again = await Wal.open(dir);
    expect(again.state.snapshot?.meta).toEqual({ index: 2, term: 1, membership });
    expect(Buffer.from(again.state.snapshot!.data).toString()).toBe("state@2");
    expect(again.state.entries.map((x) => x.index)).toEqual([3, 4, 5]);
    await again.close();
  });

  test("an installed snapshot from the leader replaces the whole log", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1)] });
    const snapshot = { meta: { index: 10, term: 3, membership: { voters: ["a"], observers: [] } }, data: Buffer.from("s") };
    await wal.save({ snapshot, entries: [e(11, 3)] });
    await wal.close();
    const again = await Wal.open(dir);
    expect(again.state.snapshot?.meta.index).toBe(10);
    expect(again.state.entries.map((x) => x.index)).toEqual([11]);
    await again.close();
  });

  test("a crash between storing a snapshot and compacting the log leaves a log that still appends cleanly", async () => {
    const withLog = await tempDir();
    const wal = await Wal.open(withLog);
    await wal.save({ entries: [e(1, 1), e(2, 1), e(3, 1)] });
    await wal.close();
    const withSnapshot = await tempDir();
    const other = await Wal.open(withSnapshot);
    await other.save({ snapshot: { meta: { index: 5, term: 2, membership: { voters: ["a"], observers: [] } }, data: Buffer.from("s") }, entries: [] });
    await other.close();
    // The snapshot landed, the log rewrite did not.
    await writeFile(join(withLog, "snapshot"), await readFile(join(withSnapshot, "snapshot")));
    const reopened = await Wal.open(withLog);
    expect(reopened.state.corruption).toBeNull();
    expect(reopened.state.entries).toEqual([]);
    await reopened.save({ entries: [e(6, 2)] });
    await reopened.close();
    const again = await Wal.open(withLog);
    expect(again.state.corruption).toBeNull();
    expect(again.state.entries.map((x) => x.index)).toEqual([6]);
    await again.close();
  });

  test("a corrupt snapshot is discarded and the node recovers from the leader", async () => {
    const dir = await tempDir();
    const wal = await Wal.open(dir);
    await wal.save({ entries: [e(1, 1), e(2, 1), e(3, 1)], hardState: hs(1, null, 3) });
    await wal.saveSnapshot({ meta: { index: 2, term: 1, membership: { voters: ["a"], observers: [] } }, data: Buffer.from("snap") });
    await wal.close();
    const buf = await readFile(join(dir, "snapshot"));
    buf[buf.length - 1] ^= 1;
    await writeFile(join(dir, "snapshot"), buf);
    const again = await Wal.open(dir);
    expect(again.state.snapshot).toBeNull();
    expect(again.state.entries).toEqual([]);
    expect(again.state.hardState?.recovering).toBe(true);
    expect(again.state.corruption?.reason).toMatch(/snapshot/);
    await again.close();
  });
});
