import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { FileStore, StoreError, type FileStoreConfig, type FsOps } from "../src/index.js";
import { defaultFsOps } from "../src/file/fs-ops.js";
import { prng } from "./helpers.js";
import { tempDir } from "./helpers.js";

const stores: FileStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.stop();
});
async function openStore(cfg: FileStoreConfig, fs?: FsOps): Promise<FileStore> {
  const s = await FileStore.open(cfg, { fs });
  stores.push(s);
  return s;
}

const blocks = (dir: string) =>
  readdirSync(join(dir, "msgs"))
    .filter((f) => f.endsWith(".blk"))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map((f) => join(dir, "msgs", f));

const body = (i: number) => Buffer.from(`message-${i}-`.padEnd(60, String.fromCharCode(97 + (i % 26))));

/** A store of 200 messages over several blocks, stopped cleanly. */
async function seeded(extra: Partial<FileStoreConfig> = {}): Promise<FileStoreConfig> {
  const cfg: FileStoreConfig = { dir: tempDir(), sync: "interval", block_size: 2048, ...extra };
  const s = await FileStore.open(cfg);
  for (let i = 1; i <= 200; i++) await s.storeMsg(`c.${i % 7}`, i % 4 === 0 ? Buffer.from("H:1") : null, body(i));
  await s.stop();
  return cfg;
}

/** Every message either loads with exactly its original bytes or fails; none is wrong. */
function checkNoWrongData(s: FileStore): { ok: number; failed: number[] } {
  let ok = 0;
  const failed: number[] = [];
  for (let i = 1; i <= 200; i++) {
    try {
      const m = s.loadMsg(i);
      expect(Buffer.from(m.msg).equals(body(i))).toBe(true);
      expect(m.subject).toBe(`c.${i % 7}`);
      ok++;
    } catch (e) {
      expect(e).toBeInstanceOf(StoreError);
      failed.push(i);
    }
  }
  return { ok, failed };
}

describe("corruption", () => {
  test("TestFileStoreBitRot: a flipped bit is detected, reported as lost, never served", async () => {
    const rnd = prng(99);
    for (let trial = 0; trial < 25; trial++) {
      const cfg = await seeded();
      const files = blocks(cfg.dir);
      const victim = files[rnd(files.length - 1)]; // a sealed block
      const buf = readFileSync(victim);
      const pos = rnd(buf.length);
      buf[pos] ^= 1 << rnd(8);
      writeFileSync(victim, buf);

      const s = await openStore(cfg);
      expect(s.warnings.some((w) => w.kind === "corrupt-record")).toBe(true);
      const { ok, failed } = checkNoWrongData(s);
      const lost = s.state().lost?.msgs ?? [];
      // The damaged record (and only records around it) are gone and reported.
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.length).toBeLessThanOrEqual(3);
      for (const f of failed) expect(lost).toContain(f);
      expect(ok + failed.length).toBe(200);
      expect(s.state().msgs).toBe(ok);
      // The store stays writable and the sequence continues.
      expect((await s.storeMsg("after", null, Buffer.from("x"))).seq).toBe(201);
      await s.stop();
    }
  });

  test("a flipped bit in a compressed block costs that frame's messages only: reported as lost, never served", async () => {
    const rnd = prng(42);
    for (let trial = 0; trial < 10; trial++) {
      const cfg = await seeded({ compression: "s2", ...(trial % 2 ? { cipher: { algorithm: "chacha20-poly1305", key: "k" } } : {}) });
      const files = blocks(cfg.dir);
      const sealed = files.slice(0, -1);
      expect(sealed.every((f) => readFileSync(f).readUInt32LE(0) === 0x9a5c17f3)).toBe(true);
      const victim = sealed[rnd(sealed.length)];
      const buf = readFileSync(victim);
      buf[rnd(buf.length)] ^= 1 << rnd(8);
      writeFileSync(victim, buf);

      const s = await openStore(cfg);
      expect(s.warnings.some((w) => w.kind === "corrupt-record")).toBe(true);
      const { ok, failed } = checkNoWrongData(s);
      // One block of 2 KiB is one frame: its messages (and nothing else) are gone, all reported.
      expect(failed.length).toBeGreaterThanOrEqual(1);
      expect(failed.length).toBeLessThanOrEqual(40);
      expect(failed.at(-1)! - failed[0]).toBe(failed.length - 1);
      expect(s.state().lost?.msgs).toEqual(expect.arrayContaining(failed));
      expect(s.state().msgs).toBe(ok);
      expect((await s.storeMsg("after", null, Buffer.from("x"))).seq).toBe(201);
      await s.stop();
    }
  });

  test("damage to a compressed block after open is caught when its frame is read", async () => {
    const cfg = await seeded({ compression: "s2", cache_size: 0 });
    const s = await openStore(cfg);
    const files = blocks(cfg.dir);
    const buf = readFileSync(files[0]);
    buf[buf.length >> 1] ^= 0x10;
    writeFileSync(files[0], buf);
    const { ok, failed } = checkNoWrongData(s);
    expect(failed.length).toBeGreaterThan(0);
    expect(failed[0]).toBe(1);
    expect(ok + failed.length).toBe(200);
  });

  test("truncating the last block at any point keeps every complete record", async () => {
    const rnd = prng(7);
    for (let trial = 0; trial < 15; trial++) {
      const cfg = await seeded();
      const files = blocks(cfg.dir);
      const last = files[files.length - 1];
      const size = statSync(last).size;
      truncateSync(last, rnd(size));
      const s = await openStore(cfg);
      const { ok, failed } = checkNoWrongData(s);
      // Only a suffix can be missing, and what is left is a contiguous prefix.
      expect(failed.every((f) => f > ok)).toBe(true);
      expect(s.state()).toMatchObject({ msgs: ok, firstSeq: 1, lastSeq: ok });
      expect((await s.storeMsg("after", null, Buffer.from("x"))).seq).toBe(ok + 1);
      await s.stop();
      const again = await openStore(cfg);
      expect(again.state()).toMatchObject({ msgs: ok + 1, lastSeq: ok + 1 });
      expect(again.warnings).toEqual([]);
      await again.stop();
    }
  });

  test("a truncated sealed block loses only its tail, reported", async () => {
    const cfg = await seeded();
    const files = blocks(cfg.dir);
    truncateSync(files[0], Math.floor(statSync(files[0]).size / 2));
    const s = await openStore(cfg);
    const { failed } = checkNoWrongData(s);
    expect(failed.length).toBeGreaterThan(0);
    expect(s.state().lost?.msgs).toEqual(failed);
    expect(s.warnings.some((w) => w.kind === "lost-messages")).toBe(true);
  });

  test("a block of random garbage is skipped and reported; other blocks are intact", async () => {
    const cfg = await seeded();
    const files = blocks(cfg.dir);
    const junk = Buffer.alloc(statSync(files[1]).size);
    const rnd = prng(5);
    for (let i = 0; i < junk.length; i++) junk[i] = rnd(256);
    writeFileSync(files[1], junk);
    const s = await openStore(cfg);
    const { ok, failed } = checkNoWrongData(s);
    expect(ok).toBeGreaterThan(100);
    expect(s.state().lost?.msgs).toEqual(failed);
  });

  test("damage after open is caught by the read-time checksum", async () => {
    const cfg = await seeded({ cache_size: 0 });
    const s = await openStore(cfg);
    const files = blocks(cfg.dir);
    const fd = openSync(files[0], "r+");
    writeSync(fd, Buffer.from("XXXX"), 0, 4, 100);
    closeSync(fd);
    const warnings: number[] = [];
    let corrupt = 0;
    for (let i = 1; i <= 200; i++) {
      try {
        expect(Buffer.from(s.loadMsg(i).msg).equals(body(i))).toBe(true);
      } catch (e) {
        expect((e as StoreError).code).toBe("CorruptState");
        corrupt++;
        warnings.push(i);
      }
    }
    expect(corrupt).toBe(1);
    expect(s.warnings.at(-1)?.lostSeqs).toEqual(warnings);
  });

  test("a damaged meta file is reported and recreated", async () => {
    const cfg = await seeded();
    writeFileSync(join(cfg.dir, "meta.json"), "{ not json");
    const s = await openStore(cfg);
    expect(s.warnings.some((w) => w.kind === "bad-index")).toBe(true);
    expect(checkNoWrongData(s).ok).toBe(200);
  });
});

describe("directory lock", () => {
  test("a stale lock from a dead process is taken over", async () => {
    const dir = tempDir();
    const s = await openStore({ dir, sync: "interval" });
    expect(readFileSync(join(dir, "LOCK"), "utf8")).toBe(String(process.pid));
    await s.stop();
    expect(existsSync(join(dir, "LOCK"))).toBe(false);
    const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
    writeFileSync(join(dir, "LOCK"), child.stdout.toString());
    const again = await openStore({ dir, sync: "interval" });
    await again.storeMsg("ok", null, null);
  });

  test("a lock held by a live process refuses the open", async () => {
    const dir = tempDir();
    const holder = spawn(process.execPath, ["-e", "setTimeout(() => {}, 20000)"]);
    try {
      writeFileSync(join(dir, "LOCK"), String(holder.pid));
      await expect(FileStore.open({ dir })).rejects.toThrow(/in use by process/);
    } finally {
      holder.kill("SIGKILL");
    }
  });
});

describe("injected file system errors", () => {
  function failingFs(): FsOps & { failWrites: boolean; failSync: boolean } {
    const ops = {
      ...defaultFsOps,
      failWrites: false,
      failSync: false,
      writeSync(fd: number, b: Uint8Array, o: number, l: number, p: number): number {
        if (ops.failWrites) {
          // A partial write then ENOSPC, like a disk filling up mid-write.
          defaultFsOps.writeSync(fd, b, o, Math.min(l, 7), p);
          throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
        }
        return defaultFsOps.writeSync(fd, b, o, l, p);
      },
      write(fd: number, b: Uint8Array, o: number, l: number, p: number, cb: (e: NodeJS.ErrnoException | null, n: number) => void): void {
        if (!ops.failWrites) return defaultFsOps.write(fd, b, o, l, p, cb);
        defaultFsOps.write(fd, b, o, Math.min(l, 7), p, () => cb(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }), 0));
      },
      fdatasync(fd: number, cb: (e: NodeJS.ErrnoException | null) => void): void {
        if (ops.failSync) cb(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
        else defaultFsOps.fdatasync(fd, cb);
      },
    };
    return ops;
  }

  test("TestFileStoreWriteFailures: disk full fails the write cleanly and keeps stored data", async () => {
    const fs = failingFs();
    const cfg: FileStoreConfig = { dir: tempDir(), sync: "always", block_size: 4096 };
    let s = await openStore(cfg, fs);
    for (let i = 1; i <= 50; i++) await s.storeMsg("ok", null, body(i));
    fs.failWrites = true;
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.storeMsg("full", null, body(100 + i))));
    expect(results.every((r) => r.status === "rejected" && (r.reason as StoreError).code === "Io")).toBe(true);
    // Memory agrees with disk: the failed messages are not visible.
    expect(s.state()).toMatchObject({ msgs: 50, lastSeq: 50 });
    expect(s.subjectsTotals(">")).toEqual(new Map([["ok", 50]]));
    expect(s.warnings.some((w) => w.kind === "io")).toBe(true);
    fs.failWrites = false;
    expect((await s.storeMsg("ok", null, body(51))).seq).toBe(51);
    await s.stop();
    s = await openStore(cfg);
    expect(s.warnings).toEqual([]);
    expect(s.state()).toMatchObject({ msgs: 51, lastSeq: 51 });
    for (let i = 1; i <= 51; i++) expect(Buffer.from(s.loadMsg(i).msg).equals(body(i))).toBe(true);
  });

  test("a failed consumer state write is reported by flush and retried on the next change", async () => {
    let failRenames = true;
    const fsOps: FsOps = { ...defaultFsOps, renameSync: (a, b) => (failRenames && a.endsWith("o.dat.tmp") ? (() => { throw new Error("EIO: rename"); })() : defaultFsOps.renameSync(a, b)) };
    const dir = tempDir();
    const s = await openStore({ dir, sync: "interval" }, fsOps);
    const o = s.consumerStore("c", { ack_policy: "explicit" });
    o.updateDelivered(1, 1, 1, 0n);
    await expect(o.flush()).rejects.toMatchObject({ code: "Io" });
    expect(o.state().delivered).toEqual({ consumer: 1, stream: 1 });
    failRenames = false;
    o.updateDelivered(2, 2, 1, 0n);
    await o.flush();
    await s.stop();
    const again = await openStore({ dir, sync: "interval" });
    expect(again.consumerStore("c", { ack_policy: "explicit" }).state().delivered).toEqual({ consumer: 2, stream: 2 });
  });

  test("a failed fsync rejects the waiting writers", async () => {
    const fs = failingFs();
    const s = await openStore({ dir: tempDir(), sync: "always" }, fs);
    await s.storeMsg("ok", null, body(1));
    fs.failSync = true;
    await expect(s.storeMsg("ok", null, body(2))).rejects.toMatchObject({ code: "Io" });
    fs.failSync = false;
    await s.storeMsg("ok", null, body(3));
  });

  test("opening a directory that cannot be created fails with an error, not a crash", async () => {
    const file = join(tempDir(), "plain-file");
    writeFileSync(file, "x");
    await expect(FileStore.open({ dir: join(file, "sub") })).rejects.toThrow();
    await expect(FileStore.open({ dir: "" })).rejects.toMatchObject({ code: "BadConfig" });
  });
});
