import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as snappy from "snappyjs";
import { BodyCodec } from "../src/file/body-codec.js";
import { checksum64 } from "../src/file/checksum.js";
import { sealRecord, writeHeaderFields } from "../src/file/record.js";
import { decodeFrames, isFramed } from "../src/file/frames.js";
import { join } from "node:path";
import { afterEach, describe, expect, test, vi } from "vitest";
import { FileStore, fileStoreMsgSize, ManualClock, StoreError, type FileStoreConfig, type FileStoreOptions } from "../src/index.js";
import { prng, tempDir } from "./helpers.js";

const enc = (s: string) => Buffer.from(s);
const open: FileStore[] = [];

async function openStore(cfg: FileStoreConfig, opts?: FileStoreOptions): Promise<FileStore> {
  const s = await FileStore.open(cfg, opts);
  open.push(s);
  return s;
}

async function reopen(s: FileStore, cfg: FileStoreConfig, opts?: FileStoreOptions): Promise<FileStore> {
  await s.stop();
  return openStore(cfg, opts);
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.stop();
});

/** Go's testFileStoreAllPermutations: every cipher with and without compression. */
const permutations: [string, Partial<FileStoreConfig>][] = [
  ["plain", {}],
  ["s2", { compression: "s2" }],
  ["aes", { cipher: { algorithm: "aes-256-gcm", key: "s3cr3t" } }],
  ["aes-s2", { cipher: { algorithm: "aes-256-gcm", key: "s3cr3t" }, compression: "s2" }],
  ["chacha", { cipher: { algorithm: "chacha20-poly1305", key: "s3cr3t" } }],
  ["chacha-s2", { cipher: { algorithm: "chacha20-poly1305", key: "s3cr3t" }, compression: "s2" }],
];

/** True when a block file holds compressed frames (sealed with compression on). */
const isFramedFile = (path: string) => readFileSync(path).readUInt32LE(0) === 0x9a5c17f3;

/** A message record as versions before block compression wrote it with compression on. */
function legacyCompressedRecord(seq: number, subject: string, payload: Buffer): Buffer {
  return messageRecord(seq, subject, payload, true);
}

/** A plain message record, as the write block holds it. */
function plainRecord(seq: number, subject: string, payload: Buffer): Buffer {
  return messageRecord(seq, subject, payload, false);
}

function messageRecord(seq: number, subject: string, payload: Buffer, compressed: boolean): Buffer {
  const subj = Buffer.from(subject);
  const plain = Buffer.concat([subj, payload]);
  const body = compressed ? Buffer.from(snappy.compress(plain)) : plain;
  const rec = Buffer.alloc(36 + body.length + 8);
  rec.writeUInt32LE(rec.length, 0);
  rec[4] = 1; // message
  rec[5] = compressed ? 1 : 0;
  rec.writeUInt16LE(subj.length, 6);
  rec.writeUInt32LE(0, 8);
  rec.writeUInt32LE(payload.length, 12);
  rec.writeUInt32LE(seq, 16);
  rec.writeBigInt64LE(1_700_000_000_000_000_000n + BigInt(seq), 24);
  body.copy(rec, 36);
  rec.writeBigUInt64LE(checksum64(rec.subarray(0, rec.length - 8)), rec.length - 8);
  return rec;
}

const blockFiles = (dir: string) => readdirSync(join(dir, "msgs")).filter((f) => f.endsWith(".blk"));
const allBlockBytes = (dir: string) => Buffer.concat(blockFiles(dir).map((f) => readFileSync(join(dir, "msgs", f))));
/** The records of every block as stored, compressed blocks decompressed (stores without a cipher). */
const allRecordBytes = (dir: string) =>
  Buffer.concat(
    blockFiles(dir).map((f) => {
      const file = readFileSync(join(dir, "msgs", f));
      return isFramed(file) ? decodeFrames(file, new BodyCodec(true, undefined)).logical : file;
    }),
  );

describe.each(permutations)("FileStore (%s)", (_name, extra) => {
  const cfgFor = (more: Partial<FileStoreConfig> = {}): FileStoreConfig => ({ dir: tempDir(), sync: "interval", ...extra, ...more });

  test("TestFileStoreBasicWriteMsgsAndRestore: messages survive a restart", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    for (let i = 1; i <= 100; i++) expect((await fs.storeMsg("foo", null, enc(`[${String(i).padStart(8, "0")}] Hello World!`))).seq).toBe(i);
    const size = 100 * fileStoreMsgSize(3, 0, enc("[00000022] Hello World!").length);
    expect(fs.state().bytes).toBe(size);
    await fs.stop();
    await expect(fs.storeMsg("foo", null, enc("no work"))).rejects.toThrow(StoreError);
    fs = await openStore(cfg);
    expect(fs.state()).toMatchObject({ msgs: 100, bytes: size });
    for (let i = 101; i <= 200; i++) expect((await fs.storeMsg("foo", null, enc(`[${String(i).padStart(8, "0")}] Hello World!`))).seq).toBe(i);
    fs = await reopen(fs, cfg);
    expect(fs.state()).toMatchObject({ msgs: 200, bytes: 2 * size });
    expect(Buffer.from(fs.loadMsg(150).msg).toString()).toBe("[00000150] Hello World!");
    // Purge and make sure the sequence survives.
    fs.purge();
    fs = await reopen(fs, cfg);
    expect(fs.state()).toMatchObject({ msgs: 0, bytes: 0, firstSeq: 201, lastSeq: 200 });
    expect((await fs.storeMsg("foo", null, null)).seq).toBe(201);
  });

  test("TestFileStoreEraseMsgDoesNotLoseTombstones: erasing a message keeps the tombstone written after it", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    await fs.storeMsg("foo", null, null);
    await fs.storeMsg("foo", null, null);
    await fs.storeMsg("foo", null, enc("secret!"));
    expect(fs.removeMsg(2)).toBe(true);
    await fs.storeMsg("foo", null, null);
    expect(fs.eraseMsg(3)).toBe(true);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 4, deleted: [2, 3] });
    expect(() => fs.loadMsg(2)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    expect(() => fs.loadMsg(3)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
    expect(() => fs.loadMsg(2)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    expect(() => fs.loadMsg(3)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    if (!extra.cipher) expect(allRecordBytes(cfg.dir).includes("secret!")).toBe(false);
  });

  test("TestFileStoreMessageTTLRecovered: per-message TTLs are rebuilt from the blocks and still expire", async () => {
    const clock = new ManualClock();
    const cfg = cfgFor({ allow_msg_ttl: true });
    let fs = await openStore(cfg, { clock });
    await fs.storeMsg("test", null, null);
    for (let i = 0; i < 9; i++) await fs.storeMsg("test", enc("NATS/1.0\r\nNats-TTL: 1\r\n\r\n"), null, 1);
    expect(fs.fastState()).toMatchObject({ firstSeq: 1, lastSeq: 10, msgs: 10 });
    fs = await reopen(fs, cfg, { clock });
    expect(fs.fastState()).toMatchObject({ firstSeq: 1, lastSeq: 10, msgs: 10 });
    clock.advance(2_000_000_000n);
    expect(fs.fastState()).toMatchObject({ firstSeq: 1, lastSeq: 10, msgs: 1 });
  });

  test("eraseMsg on a compressed sealed block rewrites the block without the message's bytes", async () => {
    const cfg = cfgFor({ block_size: 512 });
    let fs = await openStore(cfg);
    for (let i = 1; i <= 20; i++) await fs.storeMsg("foo", null, enc(`secret-${String(i).padStart(3, "0")}`));
    await fs.flushAllPending();
    expect(fs.eraseMsg(2)).toBe(true);
    await fs.flushAllPending();
    if (!extra.cipher) {
      expect(allRecordBytes(cfg.dir).includes("secret-001")).toBe(true);
      expect(allRecordBytes(cfg.dir).includes("secret-002")).toBe(false);
    }
    fs = await reopen(fs, cfg);
    expect(fs.state()).toMatchObject({ msgs: 19, firstSeq: 1, lastSeq: 20, deleted: [2] });
    for (const seq of [1, 3, 20]) expect(Buffer.from(fs.loadMsg(seq).msg).toString()).toBe(`secret-${String(seq).padStart(3, "0")}`);
  });

  for (const payloadSize of [1024, 1024 * 1024]) {
    test(`TestFileStoreRecoverAfterCompact: compact(4) of four ${payloadSize}-byte messages recovers the same state`, async () => {
      const cfg = cfgFor();
      let fs = await openStore(cfg);
      const payload = Buffer.alloc(payloadSize);
      for (let i = 0; i < 4; i++) await fs.storeMsg("foo", null, payload);
      const size = fileStoreMsgSize(3, 0, payloadSize);
      expect(fs.state()).toMatchObject({ msgs: 4, firstSeq: 1, lastSeq: 4, bytes: 4 * size });
      expect(fs.compact(4)).toBe(3);
      const before = fs.state();
      expect(before).toMatchObject({ msgs: 1, firstSeq: 4, lastSeq: 4, bytes: size });
      fs = await reopen(fs, cfg);
      expect(fs.state()).toEqual(before);
    });
  }

  test("TestFileStoreEmptyBlockContainsPriorTombstones: removing the last message of a block keeps every removal across a restart", async () => {
    // Room for exactly two empty messages per block (encrypted records carry a nonce and a tag).
    const cfg = cfgFor({ block_size: extra.cipher ? 160 : 100 });
    let fs = await openStore(cfg);
    for (let i = 0; i < 3; i++) await fs.storeMsg("foo", null, null);
    expect(blockFiles(cfg.dir).length).toBe(2);
    expect(fs.removeMsg(2)).toBe(true);
    expect(fs.removeMsg(3)).toBe(true);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 3, deleted: [2, 3] });
    expect(() => fs.loadMsg(2)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    expect(() => fs.loadMsg(3)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
    expect(() => fs.loadMsg(2)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    expect(() => fs.loadMsg(3)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    expect((await fs.storeMsg("foo", null, null)).seq).toBe(4);
    fs = await reopen(fs, cfg);
    expect(fs.state()).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 4, deleted: [2, 3] });
  });

  test("TestFileStoreLeftoverSkipMsgInDmap: a lone skipped sequence is not a deletion, also when recovered from the blocks alone", async () => {
    const cfg = cfgFor({ max_msgs_per_subject: 1 });
    const fs = await openStore(cfg);
    expect(fs.skipMsg(0)).toBe(1);
    expect(fs.state()).toMatchObject({ firstSeq: 2, lastSeq: 1, numDeleted: 0 });
    await fs.flushAllPending();
    // What a kill -9 leaves behind: no clean stop.
    const copy = tempDir();
    cpSync(cfg.dir, copy, { recursive: true });
    const again = await openStore({ ...cfg, dir: copy });
    expect(again.state()).toMatchObject({ firstSeq: 2, lastSeq: 1, numDeleted: 0, msgs: 0 });
  });

  test("TestFileStoreRecoverOnlyBlkFiles: stray files beside the blocks are ignored on recovery", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    await fs.storeMsg("foo", null, null);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 1 });
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
    await fs.stop();
    writeFileSync(join(cfg.dir, "msgs", "10.blk.random"), "");
    writeFileSync(join(cfg.dir, "msgs", "10.blk.tmp"), "");
    fs = await openStore(cfg);
    expect(fs.state()).toEqual(before);
    expect(fs.warnings).toEqual([]);
  });

  test("TestFileStoreCompactAllWithDanglingLMB: compacting up to a removed last message, then storing", async () => {
    const fs = await openStore(cfgFor());
    for (let i = 0; i < 100; i++) await fs.storeMsg("foo", null, enc("ZZ"));
    expect(fs.removeMsg(100)).toBe(true);
    expect(fs.compact(100)).toBe(99);
    expect((await fs.storeMsg("foo", null, enc("ZZ"))).seq).toBe(101);
    expect(fs.state()).toMatchObject({ msgs: 1, firstSeq: 101, lastSeq: 101 });
  });

  for (const sealed of [false, true]) {
    test(`TestFileStoreAtomicEraseMsg: erase in the ${sealed ? "sealed (compressed when configured)" : "write"} block survives a restart`, async () => {
      // Blocks of exactly three empty messages, so that a fourth one seals the first block.
      const cfg = cfgFor(sealed ? { block_size: extra.cipher ? 230 : 145 } : {});
      let fs = await openStore(cfg);
      for (let i = 0; i < 3; i++) await fs.storeMsg("foo", null, null);
      expect(fs.state()).toMatchObject({ msgs: 3, firstSeq: 1, lastSeq: 3, numDeleted: 0 });
      if (sealed) {
        expect((await fs.storeMsg("foo", null, null)).seq).toBe(4);
        await fs.flushAllPending();
      }
      expect(fs.eraseMsg(2)).toBe(true);
      expect(fs.state()).toMatchObject({ msgs: sealed ? 3 : 2, firstSeq: 1, lastSeq: sealed ? 4 : 3, numDeleted: 1 });
      if (!sealed) expect((await fs.storeMsg("foo", null, null)).seq).toBe(4);
      await fs.flushAllPending();
      const before = fs.state();
      const files = () => blockFiles(cfg.dir).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10)).map((f) => join(cfg.dir, "msgs", f));
      const validateCompressed = () => {
        const all = files();
        expect(isFramedFile(all.at(-1)!)).toBe(false);
        for (const f of all.slice(0, -1)) expect(isFramedFile(f)).toBe(extra.compression === "s2");
      };
      validateCompressed();
      fs = await reopen(fs, cfg);
      expect(fs.state()).toEqual(before);
      validateCompressed();
      expect(() => fs.loadMsg(2)).toThrow(expect.objectContaining({ code: "MsgNotFound" }));
    });
  }

  test("TestFileStoreRemovePartialRecovery: removed front half stays removed", async () => {
    const cfg = cfgFor({ block_size: 1024 });
    let fs = await openStore(cfg);
    for (let i = 0; i < 100; i++) await fs.storeMsg("foo", null, enc("Hello World"));
    for (let i = 1; i <= 50; i++) fs.removeMsg(i);
    const before = fs.state();
    expect(before.msgs).toBe(50);
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
  });

  test("TestFileStoreRemoveOutOfOrderRecovery: interior removals recovered from tombstones", async () => {
    const cfg = cfgFor({ block_size: 1024 });
    let fs = await openStore(cfg);
    for (let i = 0; i < 100; i++) await fs.storeMsg("foo", null, enc("Hello World"));
    for (let i = 2; i <= 100; i += 2) expect(fs.removeMsg(i)).toBe(true);
    const before = fs.state();
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
    for (let i = 1; i <= 100; i++) {
      if (i % 2 === 0) expect(() => fs.loadMsg(i)).toThrow(StoreError);
      else expect(Buffer.from(fs.loadMsg(i).msg).toString()).toBe("Hello World");
    }
  });

  test("TestFileStoreAndRetrieveMultiBlock: reads across many blocks after restart", async () => {
    const cfg = cfgFor({ block_size: 256 });
    let fs = await openStore(cfg);
    for (let i = 1; i <= 20; i++) await fs.storeMsg("zzz", null, enc(`[${i}] Hello World!`));
    expect(blockFiles(cfg.dir).length).toBeGreaterThanOrEqual(5);
    fs = await reopen(fs, cfg);
    for (let i = 1; i <= 20; i++) expect(Buffer.from(fs.loadMsg(i).msg).toString()).toBe(`[${i}] Hello World!`);
  });

  test("TestFileStoreEraseMsg: erased bytes are gone from disk", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    await fs.storeMsg("foo", null, enc("SECRET-PAYLOAD-1"));
    await fs.storeMsg("foo", null, enc("keep-me"));
    await fs.flushAllPending();
    expect(fs.eraseMsg(1)).toBe(true);
    await fs.flushAllPending();
    expect(allBlockBytes(cfg.dir).includes(enc("SECRET-PAYLOAD-1"))).toBe(false);
    fs = await reopen(fs, cfg);
    expect(() => fs.loadMsg(1)).toThrow(StoreError);
    expect(Buffer.from(fs.loadMsg(2).msg).toString()).toBe("keep-me");
    expect(fs.state()).toMatchObject({ msgs: 1, firstSeq: 2 });
  });

  test("TestFileStoreSelectNextFirst: first sequence skips a removed run across blocks", async () => {
    const cfg = cfgFor({ block_size: 256 });
    const fs = await openStore(cfg);
    for (let i = 0; i < 10; i++) await fs.storeMsg("zzz", null, enc("Hello World"));
    for (let i = 2; i <= 7; i++) fs.removeMsg(i);
    expect(fs.state()).toMatchObject({ msgs: 4, firstSeq: 1 });
    fs.removeMsg(1);
    expect(fs.state()).toMatchObject({ msgs: 3, firstSeq: 8 });
    const again = await reopen(fs, cfg);
    expect(again.state()).toMatchObject({ msgs: 3, firstSeq: 8, lastSeq: 10 });
  });

  test("TestFileStorePurgeExKeepOneBug: keep one across tiny blocks", async () => {
    const fs = await openStore(cfgFor({ block_size: 128 }));
    const fill = Buffer.alloc(128, 88);
    await fs.storeMsg("A", null, enc("META"));
    await fs.storeMsg("B", null, fill);
    await fs.storeMsg("A", null, enc("META"));
    await fs.storeMsg("B", null, fill);
    expect(fs.filteredState(1, "A").msgs).toBe(2);
    expect(fs.purgeEx("A", 0, 1)).toBe(1);
    expect(fs.filteredState(1, "A").msgs).toBe(1);
  });

  test("TestFileStoreRememberLastMsgTime: last time survives removal, purge and restart", async () => {
    const clock = new ManualClock();
    const cfg = cfgFor({ max_age: 1e9 });
    let fs = await openStore(cfg, { clock });
    const msg = Buffer.alloc(64 * 1024, 88);
    let { seq, ts } = await fs.storeMsg("foo", null, msg);
    expect(fs.removeMsg(seq)).toBe(true);
    expect(fs.state().lastTime).toBe(ts);
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state().lastTime).toBe(ts);
    clock.advance(1000n);
    ({ seq, ts } = await fs.storeMsg("foo", null, msg));
    fs.loadMsg(seq);
    fs.purge();
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state().lastTime).toBe(ts);
    clock.advance(1000n);
    await fs.storeMsg("foo", null, msg);
    clock.advance(1000n);
    ({ seq, ts } = await fs.storeMsg("foo", null, msg));
    expect(seq).toBe(4);
    clock.advance(2_000_000_000n);
    expect(fs.state().msgs).toBe(0);
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state().lastTime).toBe(ts);
    // The true last sequence's time is kept even when the last two messages are removed.
    clock.advance(1000n);
    await fs.storeMsg("foo", null, msg);
    clock.advance(1000n);
    ({ seq, ts } = await fs.storeMsg("foo", null, msg));
    expect(seq).toBe(6);
    expect(fs.removeMsg(seq)).toBe(true);
    expect(fs.removeMsg(seq - 1)).toBe(true);
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state()).toMatchObject({ lastSeq: 6, lastTime: ts });
  });

  test("a \"never\" TTL still outlives max_age after a restart", async () => {
    const clock = new ManualClock();
    const cfg = cfgFor({ max_age: 1e9, allow_msg_ttl: true });
    let fs = await openStore(cfg, { clock });
    await fs.storeMsg("keep", null, null, -1);
    await fs.storeMsg("old", null, null);
    fs = await reopen(fs, cfg, { clock });
    clock.advance(2_000_000_000n);
    expect(fs.state()).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 2 });
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state()).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 2 });
    expect(fs.loadMsg(1).subject).toBe("keep");
  });

  test("TestFileStorePreserveLastSeqAfterCompact: compact past the end is recovered", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    await fs.storeMsg("foo", null, null);
    fs.compact(2);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 0, firstSeq: 2, lastSeq: 1 });
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
  });

  test("TestFileStoreWriteExpireWrite: writes across a cold cache, then restart", async () => {
    const cfg = cfgFor({ cache_size: 0, block_size: 256 });
    let fs = await openStore(cfg);
    for (let i = 0; i < 10; i++) await fs.storeMsg("zzz", null, enc("Hello World!"));
    for (let i = 0; i < 10; i++) await fs.storeMsg("zzz", null, enc("Hello World! - 22"));
    expect(fs.state().msgs).toBe(20);
    fs = await reopen(fs, { ...cfg, cache_size: undefined });
    expect(fs.state().msgs).toBe(20);
    for (let i = 1; i <= 20; i++) {
      const m = fs.loadMsg(i);
      expect(m.subject).toBe("zzz");
      expect(Buffer.from(m.msg).toString()).toBe(i > 10 ? "Hello World! - 22" : "Hello World!");
    }
  });

  test("TestFileStoreMsgLimitBug: max_msgs 1 across a restart", async () => {
    const cfg = cfgFor({ max_msgs: 1 });
    let fs = await openStore(cfg);
    await fs.storeMsg("foo", null, enc("Hello World"));
    await fs.storeMsg("foo", null, enc("Hello World"));
    fs = await reopen(fs, cfg);
    await fs.storeMsg("foo", null, enc("Hello World"));
    expect(fs.state()).toMatchObject({ msgs: 1, firstSeq: 3, lastSeq: 3 });
  });

  test("TestFileStoreCompactMsgCountBug: compact counts only live messages", async () => {
    const fs = await openStore(cfgFor());
    for (let i = 0; i < 10; i++) await fs.storeMsg("foo", null, enc("Hello World"));
    for (const seq of [2, 3, 4]) fs.eraseMsg(seq);
    for (const seq of [7, 8, 9]) fs.removeMsg(seq);
    expect(fs.compact(6)).toBe(2);
    expect(fs.state().msgs).toBe(2);
  });

  test("TestFileStoreMaxMsgsAndMaxMsgsPerSubject: discard new on both limits", async () => {
    const fs = await openStore(cfgFor({ block_size: 128, discard: "new", max_msgs: 100, discard_new_per_subject: true, max_msgs_per_subject: 1 }));
    for (let i = 1; i <= 101; i++) {
      const p = fs.storeMsg(`kv.${i}`, null, enc("value"));
      if (i === 101) await expect(p).rejects.toThrow(StoreError);
      else await p;
    }
    for (let i = 1; i <= 100; i++) await expect(fs.storeMsg(`kv.${i}`, null, enc("value"))).rejects.toThrow(StoreError);
    const st = fs.state();
    expect(st).toMatchObject({ msgs: 100, firstSeq: 1, lastSeq: 100 });
    expect(st.deleted).toBeUndefined();
  });

  test("TestFileStoreDetectDeleteGapWithLastSkipMsg: trailing skips are recovered as deletes", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    await fs.storeMsg("foo", null, null);
    fs.skipMsgs(2, 3);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 4, numDeleted: 3 });
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
  });

  test("TestFileStoreEraseAndNoIndexRecovery: erased messages stay gone after restart", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    for (let i = 0; i < 100; i++) await fs.storeMsg("foo", null, enc("Hello World"));
    for (let i = 2; i <= 100; i += 2) expect(fs.eraseMsg(i)).toBe(true);
    expect(fs.state().msgs).toBe(50);
    fs = await reopen(fs, cfg);
    expect(fs.state().msgs).toBe(50);
    for (let i = 2; i <= 100; i += 2) expect(() => fs.loadMsg(i)).toThrow(StoreError);
  });

  test("TestFileStoreDetectDeleteGapWithOnlySkipMsg: only skips leave an empty store at the right sequence", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    expect(fs.skipMsg(1)).toBe(1);
    fs.skipMsgs(2, 3);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 0, firstSeq: 5, lastSeq: 4, numDeleted: 0 });
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
  });

  test("TestFileStoreFilteredPendingBug: nothing matches past a subject's last message", async () => {
    const fs = await openStore(cfgFor());
    for (const subj of ["foo", "bar", "baz"]) await fs.storeMsg(subj, null, enc("msg"));
    expect(fs.filteredState(3, "foo")).toEqual({ msgs: 0, first: 0, last: 0 });
  });

  test.each([
    ["None", () => {}, { msgs: 4, firstSeq: 1, lastSeq: 4 }],
    ["RemoveMsg", (fs: FileStore) => expect(fs.removeMsg(1)).toBe(true), { msgs: 3, firstSeq: 2, lastSeq: 4 }],
    ["EraseMsg", (fs: FileStore) => expect(fs.eraseMsg(1)).toBe(true), { msgs: 3, firstSeq: 2, lastSeq: 4 }],
    ["Purge", (fs: FileStore) => expect(fs.purge()).toBe(4), { msgs: 0, firstSeq: 5, lastSeq: 4 }],
    ["PurgeEx-0", (fs: FileStore) => expect(fs.purgeEx("foo.0", 0, 0)).toBe(2), { msgs: 2, firstSeq: 2, lastSeq: 4, numDeleted: 1 }],
    ["PurgeEx-1", (fs: FileStore) => expect(fs.purgeEx("foo.1", 0, 0)).toBe(2), { msgs: 2, firstSeq: 1, lastSeq: 4, numDeleted: 2 }],
    ["Compact", (fs: FileStore) => expect(fs.compact(3)).toBe(2), { msgs: 2, firstSeq: 3, lastSeq: 4 }],
    ["Truncate", (fs: FileStore) => fs.truncate(2), { msgs: 2, firstSeq: 1, lastSeq: 2 }],
  ] as const)("TestFileStoreRecoverAfterRemoveOperation (%s): state survives restart", async (_t, action, expected) => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    for (let i = 0; i < 4; i++) await fs.storeMsg(`foo.${i % 2}`, null, null);
    action(fs);
    const before = fs.state();
    expect(before).toMatchObject(expected);
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
  });

  test("TestFileStoreStreamTruncate: truncation is durable", async () => {
    const cfg = cfgFor({ block_size: 512 });
    let fs = await openStore(cfg);
    for (let i = 1; i <= 100; i++) await fs.storeMsg(i < 50 ? "foo" : "bar", null, enc("ok"));
    for (const seq of [10, 20, 30, 40]) fs.removeMsg(seq);
    fs.truncate(25);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 23, lastSeq: 25, deleted: [10, 20] });
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
    expect((await fs.storeMsg("baz", null, enc("next"))).seq).toBe(26);
    fs = await reopen(fs, cfg);
    expect(fs.state()).toMatchObject({ msgs: 24, lastSeq: 26 });
    expect(fs.subjectsTotals(">")).toEqual(new Map([["foo", 23], ["baz", 1]]));
  });
});

describe("FileStore", () => {
  const cfgFor = (more: Partial<FileStoreConfig> = {}): FileStoreConfig => ({ dir: tempDir(), sync: "interval", ...more });

  test("TestFileStoreKeepWithDeletedMsgsBug: purgeEx keep counts only live messages", async () => {
    const fs = await openStore(cfgFor());
    const msg = Buffer.alloc(19, 65);
    for (let i = 0; i < 5; i++) {
      await fs.storeMsg("A", null, msg);
      await fs.storeMsg("B", null, msg);
    }
    expect(fs.purgeEx("A", 0, 0)).toBe(5);
    expect(fs.purgeEx("", 0, 2)).toBe(3);
  });

  test("TestFileStoreNumPendingLastBySubject: last-per-subject counts over many blocks", async () => {
    const fs = await openStore(cfgFor({ block_size: 1024 }));
    const rnd = prng(77);
    const msg = Buffer.from("ABC".repeat(25));
    for (let i = 1; i <= 1000; i++) await fs.storeMsg(`foo.${rnd(20) + 1}.${i}`, null, msg);
    expect(fs.numPending(0, "foo.*.*", true).total).toBe(1000);
    for (const filter of ["foo.10.*", "*.22.*", "*.*.222", "foo.5.999", "*.2.*"]) {
      const sseq = rnd(250) + 200;
      const last = new Map<string, number>();
      for (let seq = sseq; seq <= 1000; seq++) {
        const subj = fs.loadMsg(seq).subject;
        const [, a, b] = subj.split(".");
        const [, fa, fb] = filter.split(".");
        if ((fa === "*" || fa === a) && (fb === "*" || fb === b) && (filter.startsWith("*") || subj.startsWith("foo."))) last.set(subj, seq);
      }
      expect(fs.numPending(sseq, filter, true).total, filter).toBe(last.size);
    }
  });

  test("TestFileStoreLoadLastWildcard: wildcard last message across many blocks", async () => {
    const cfg = cfgFor({ block_size: 512 });
    let fs = await openStore(cfg);
    await fs.storeMsg("foo.22.baz", null, enc("hello"));
    await fs.storeMsg("foo.22.bar", null, enc("hello"));
    for (let i = 0; i < 1000; i++) await fs.storeMsg("foo.11.foo", null, enc("hello"));
    expect(fs.loadLastMsg("foo.22.*").seq).toBe(2);
    fs = await reopen(fs, cfg);
    expect(fs.loadLastMsg("foo.22.*").seq).toBe(2);
    expect(fs.loadLastMsg("foo.*.foo").seq).toBe(1002);
  });

  test("TestFileStoreRemoveMsgBlockFirst: a store whose only block vanished opens empty", async () => {
    const dir = tempDir();
    let fs = await openStore({ dir, sync: "interval" });
    await fs.storeMsg("test", null, null);
    expect(fs.fastState()).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 1 });
    await fs.stop();
    for (const f of blockFiles(dir)) rmSync(join(dir, "msgs", f));
    fs = await openStore({ dir, sync: "interval", allow_msg_ttl: true });
    expect(fs.fastState()).toMatchObject({ msgs: 0, firstSeq: 0, lastSeq: 0 });
  });

  test("TestFileStoreConsumerStoreEncodeAfterRestart: consumer update survives a restart", async () => {
    const dir = tempDir();
    let fs = await openStore({ dir, sync: "interval" });
    let o = fs.consumerStore("o22", { ack_policy: "explicit" });
    const state = { delivered: { consumer: 22, stream: 22 }, ackFloor: { consumer: 11, stream: 11 }, pending: new Map(), redelivered: new Map() };
    o.update(state);
    fs = await reopen(fs, { dir, sync: "interval" });
    o = fs.consumerStore("o22", { ack_policy: "explicit" });
    expect(o.state().delivered).toEqual(state.delivered);
    expect(o.state().ackFloor).toEqual(state.ackFloor);
  });

  test("TestFileStoreReloadAndLoseLastSequence: skipped sequences survive restarts", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    for (let i = 0; i < 22; i++) fs.skipMsg(0);
    for (let i = 0; i < 5; i++) {
      fs = await reopen(fs, cfg);
      expect(fs.fastState()).toMatchObject({ firstSeq: 23, lastSeq: 22 });
    }
  });

  test("TestFileStoreReloadAndLoseLastSequenceWithSkipMsgs: skipMsgs survives restarts", async () => {
    const cfg = cfgFor();
    let fs = await openStore(cfg);
    await fs.storeMsg("foo.A", null, null);
    fs.skipMsgs(2, 21);
    for (let i = 0; i < 3; i++) {
      fs = await reopen(fs, cfg);
      expect(fs.fastState()).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 22 });
    }
    expect((await fs.storeMsg("foo.B", null, null)).seq).toBe(23);
  });

  test("TestFileStoreCompactLastPlusOne: compact past the end empties the store", async () => {
    const cfg = cfgFor({ block_size: 8192 });
    let fs = await openStore(cfg);
    const msg = Buffer.alloc(1000);
    await Promise.all(Array.from({ length: 1000 }, () => fs.storeMsg("foo", null, msg)));
    expect(fs.state().msgs).toBe(1000);
    expect(fs.compact(1001)).toBe(1000);
    expect(fs.state().msgs).toBe(0);
    await fs.storeMsg("foo", null, msg);
    expect(fs.state().msgs).toBe(1);
    fs = await reopen(fs, cfg);
    expect(fs.state()).toMatchObject({ msgs: 1, firstSeq: 1001, lastSeq: 1001 });
  });

  test("TestFileStoreRecoverWithEmptyMessageBlock: a block left with only tombstones recovers", async () => {
    const rec = 36 + 3 + 8;
    const cfg = cfgFor({ block_size: rec * 4 });
    let fs = await openStore(cfg);
    for (let i = 0; i < 5; i++) await fs.storeMsg("foo", null, null);
    expect(blockFiles(cfg.dir).length).toBe(2);
    // Block 2 gets tombstones for block 1's messages, then loses its own message.
    expect(fs.removeMsg(2)).toBe(true);
    expect(fs.removeMsg(3)).toBe(true);
    expect(fs.removeMsg(5)).toBe(true);
    await fs.storeMsg("foo", null, null);
    await fs.flushAllPending();
    expect(blockFiles(cfg.dir).length).toBe(3);
    const before = fs.state();
    expect(before).toMatchObject({ msgs: 3, firstSeq: 1, lastSeq: 6, deleted: [2, 3, 5] });
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(before);
  });

  test("TestFileStoreExpireMsgsOnStart: max_age applies to recovered messages", async () => {
    const clock = new ManualClock();
    const cfg = cfgFor({ max_age: 1e9 });
    let fs = await openStore(cfg, { clock });
    for (let i = 0; i < 10; i++) await fs.storeMsg("foo", null, enc("x"));
    clock.advance(500_000_000n);
    for (let i = 0; i < 10; i++) await fs.storeMsg("bar", null, enc("x"));
    await fs.stop();
    clock.advance(600_000_000n);
    fs = await openStore(cfg, { clock });
    expect(fs.state()).toMatchObject({ msgs: 10, firstSeq: 11, numSubjects: 1 });
    clock.advance(500_000_000n);
    expect(fs.state()).toMatchObject({ msgs: 0, firstSeq: 21, lastSeq: 20 });
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state()).toMatchObject({ msgs: 0, firstSeq: 21, lastSeq: 20 });
  });

  test("TestFileStoreAgeLimitRecovery: messages past max_age while stopped expire on open", async () => {
    const clock = new ManualClock();
    const cfg = cfgFor({ max_age: 1e9, cache_size: 0 });
    let fs = await openStore(cfg, { clock });
    for (let i = 0; i < 100; i++) await fs.storeMsg("foo", null, enc("Hello World"));
    expect(fs.state().msgs).toBe(100);
    await fs.stop();
    clock.advance(1_000_000_001n);
    fs = await openStore(cfg, { clock });
    expect(fs.state()).toMatchObject({ msgs: 0, bytes: 0 });
  });

  test("TestFileStoreMessageTTLRestart: TTL schedule rebuilt on recovery", async () => {
    const clock = new ManualClock();
    const cfg = cfgFor({ allow_msg_ttl: true });
    let fs = await openStore(cfg, { clock });
    for (let i = 0; i < 5; i++) await fs.storeMsg("ttl", null, null, 2);
    for (let i = 0; i < 5; i++) await fs.storeMsg("keep", null, null);
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state().msgs).toBe(10);
    clock.advance(1_500_000_000n);
    expect(fs.state().msgs).toBe(10);
    clock.advance(1_000_000_000n);
    expect(fs.state()).toMatchObject({ msgs: 5, firstSeq: 6 });
    fs = await reopen(fs, cfg, { clock });
    expect(fs.state()).toMatchObject({ msgs: 5, firstSeq: 6 });
  });

  test("TestFileStoreSparseCompaction: sparse blocks are rewritten and space reclaimed", async () => {
    const cfg = cfgFor({ block_size: 4096 });
    let fs = await openStore(cfg);
    for (let i = 0; i < 1000; i++) await fs.storeMsg(`kv.${i % 10}`, null, Buffer.alloc(64, i));
    const before = fs.utilization().total;
    for (let seq = 1; seq <= 1000; seq++) if (seq % 10 !== 0) fs.removeMsg(seq);
    await fs.flushAllPending();
    const after = fs.utilization().total;
    expect(after).toBeLessThan(before / 3);
    const state = fs.state();
    expect(state.msgs).toBe(100);
    fs = await reopen(fs, cfg);
    expect(fs.state()).toEqual(state);
    for (let seq = 10; seq <= 1000; seq += 10) expect(fs.loadMsg(seq).msg[0]).toBe((seq - 1) & 0xff);
  });

  test("TestFileStoreMaxMsgsPerSubject: per-subject limit holds across restart", async () => {
    const cfg = cfgFor({ block_size: 1024, max_msgs_per_subject: 2 });
    let fs = await openStore(cfg);
    for (let i = 0; i < 100; i++) await fs.storeMsg(`kv.${i % 5}`, null, enc(String(i)));
    expect(fs.state().msgs).toBe(10);
    fs = await reopen(fs, cfg);
    expect(fs.state().msgs).toBe(10);
    expect(Buffer.from(fs.loadLastMsg("kv.3").msg).toString()).toBe("98");
    expect(fs.filteredState(1, "kv.3")).toEqual({ msgs: 2, first: 94, last: 99 });
  });

  test("TestFileStoreEncrypted: ciphertext on disk, key checked on open", async () => {
    const dir = tempDir();
    const cfg: FileStoreConfig = { dir, sync: "interval", cipher: { algorithm: "chacha20-poly1305", key: "right" } };
    let fs = await openStore(cfg);
    await fs.storeMsg("secret.subject", enc("H: secret-header"), enc("plaintext-payload"));
    fs = await reopen(fs, cfg);
    await fs.stop();
    const bytes = allBlockBytes(dir);
    for (const s of ["secret.subject", "secret-header", "plaintext-payload"]) expect(bytes.includes(enc(s))).toBe(false);
    await expect(FileStore.open({ ...cfg, cipher: { algorithm: "chacha20-poly1305", key: "wrong" } })).rejects.toMatchObject({ code: "BadKey" });
    await expect(FileStore.open({ dir, sync: "interval" })).rejects.toMatchObject({ code: "NoEncryptionKey" });
    await expect(FileStore.open({ ...cfg, cipher: { algorithm: "aes-256-gcm", key: "right" } })).rejects.toMatchObject({ code: "BadKey" });
    fs = await openStore(cfg);
    expect(Buffer.from(fs.loadMsg(1).msg).toString()).toBe("plaintext-payload");
    await fs.stop();
    // Without the meta file the key is still checked by the records themselves, and the right
    // key still reads everything.
    rmSync(join(dir, "meta.json"));
    await expect(FileStore.open({ ...cfg, cipher: { algorithm: "chacha20-poly1305", key: "wrong" } })).rejects.toMatchObject({ code: "BadKey" });
    fs = await openStore(cfg);
    expect(Buffer.from(fs.loadMsg(1).msg).toString()).toBe("plaintext-payload");
  });

  for (const [action, remove] of [
    ["RemoveMsg", (fs: FileStore, seq: number) => fs.removeMsg(seq)],
    ["EraseMsg", (fs: FileStore, seq: number) => fs.eraseMsg(seq)],
  ] as const) {
    test.each(permutations)(`TestFileStoreCompressionAfterTruncate: ${action} then truncate with a sealed block (%s)`, async (_name, extra) => {
      // Room for exactly two empty messages (encrypted records carry a nonce and a tag).
      const cfg: FileStoreConfig = { dir: tempDir(), sync: "interval", block_size: extra.cipher ? 160 : 100, ...extra };
      const fs = await openStore(cfg);
      const compressed = extra.compression === "s2";
      for (let i = 0; i < 2; i++) await fs.storeMsg("foo", null, null);
      const first = join(cfg.dir, "msgs", "1.blk");
      expect(isFramedFile(first)).toBe(false);
      // The third message does not fit: the first block is sealed, and compressed if configured.
      await fs.storeMsg("foo", null, null);
      await fs.flushAllPending();
      expect(blockFiles(cfg.dir).length).toBe(2);
      expect(isFramedFile(first)).toBe(compressed);
      expect(remove(fs, 2)).toBe(true);
      expect(fs.state()).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 3, numDeleted: 1 });
      fs.truncate(2);
      expect(fs.state()).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 2, numDeleted: 1 });
      await fs.flushAllPending();
      const files = blockFiles(cfg.dir).sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
      expect(isFramedFile(join(cfg.dir, "msgs", files.at(-1)!))).toBe(false);
      expect(isFramedFile(first)).toBe(compressed);
      const again = await reopen(fs, cfg);
      expect(again.state()).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 2, numDeleted: 1 });
      expect(again.loadMsg(1).subject).toBe("foo");
      expect(() => again.loadMsg(2)).toThrow();
    });
  }

  test.each(permutations)("TestFileStoreCompactHeadReclaimRecompressedBlock: compacting compressed blocks keeps the tail readable across a restart (%s)", async (_name, extra) => {
    const cfg: FileStoreConfig = { dir: tempDir(), sync: "interval", block_size: 256 * 1024, ...extra };
    let fs = await openStore(cfg);
    // Incompressible payloads: frames that do not shrink are stored as they are.
    const msgs = Array.from({ length: 20 }, () => randomBytes(64 * 1024));
    for (const m of msgs) await fs.storeMsg("zzz", null, m);
    await fs.flushAllPending();
    expect(fs.compact(15)).toBe(14);
    for (let seq = 15; seq <= 20; seq++) expect(Buffer.from(fs.loadMsg(seq).msg).equals(msgs[seq - 1])).toBe(true);
    fs = await reopen(fs, cfg);
    expect(fs.fastState().msgs).toBe(6);
    for (let seq = 15; seq <= 20; seq++) expect(Buffer.from(fs.loadMsg(seq).msg).equals(msgs[seq - 1])).toBe(true);
  });

  test("sealed blocks are compressed; switching compression and encryption on and off keeps every message readable", async () => {
    const dir = tempDir();
    const cipher = { algorithm: "aes-256-gcm", key: "k" } as const;
    const payload = (i: number) => Buffer.alloc(500, 97 + (i % 26));
    const phases: Partial<FileStoreConfig>[] = [{}, { compression: "s2", cipher }, { compression: "none", cipher }, { compression: "s2", cipher }];
    let fs: FileStore | undefined;
    let seq = 0;
    for (const phase of phases) {
      const cfg: FileStoreConfig = { dir, sync: "interval", block_size: 2048, ...phase };
      fs = fs ? await reopen(fs, cfg) : await openStore(cfg);
      for (let i = 0; i < 30; i++) await fs.storeMsg(`s.${i % 3}`, i % 4 ? null : enc("H:1"), payload(++seq));
      await fs.flushAllPending();
      for (let i = 1; i <= seq; i++) expect(Buffer.from(fs.loadMsg(i).msg).equals(payload(i)), `seq ${i}`).toBe(true);
    }
    // Every block sealed while compression was on (and rewritten since) is framed, and the
    // compressible payloads take far less space than written.
    expect(blockFiles(dir).map((f) => isFramedFile(join(dir, "msgs", f))).filter(Boolean).length).toBeGreaterThan(3);
    expect(fs!.utilization().total).toBeLessThan(seq * 500);
    fs = await reopen(fs!, { dir, sync: "interval", block_size: 2048, compression: "s2", cipher });
    expect(fs.warnings).toEqual([]);
    expect(fs.state()).toMatchObject({ msgs: seq, firstSeq: 1, lastSeq: seq });
    for (let i = 1; i <= seq; i++) expect(Buffer.from(fs.loadMsg(i).msg).equals(payload(i))).toBe(true);
    // Reads that walk a compressed block decompress frame by frame and hit the same answers.
    expect(fs.loadNextMsg("s.1", false, 1).seq).toBe(2);
    expect(fs.loadLastMsg("s.2").seq).toBe(seq);
  });

  for (const [title, seqs, msgs, deleted] of [
    ["Unordered", [1, 3, 2, 4], 3, 1],
    ["Duplicated", [1, 2, 2, 3], 3, 0],
  ] as const) {
    test(`TestFileStoreCorruptedNonOrderedSequences: ${title} records in a block are recovered in order`, async () => {
      const dir = tempDir();
      mkdirSync(join(dir, "msgs"), { recursive: true });
      writeFileSync(join(dir, "msgs", "1.blk"), Buffer.concat(seqs.map((seq) => plainRecord(seq, "foo", Buffer.alloc(0)))));
      const fs = await openStore({ dir, sync: "interval" });
      expect(fs.state()).toMatchObject({ msgs, numDeleted: deleted, firstSeq: 1, lastSeq: seqs.at(-1) });
      expect(fs.warnings.some((w) => w.message.includes("out of order"))).toBe(true);
    });
  }

  test("stores written with per-record compression (older format) open, read and migrate without loss", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "msgs"), { recursive: true });
    // Two sealed-looking blocks whose message bodies are snappy-compressed record by record.
    const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(300, 65 + i));
    for (const [id, seqs] of [[1, [1, 2, 3]], [2, [4, 5, 6]]] as const) {
      const recs = seqs.map((seq) => legacyCompressedRecord(seq, "legacy", bodies[seq - 1]));
      writeFileSync(join(dir, "msgs", `${id}.blk`), Buffer.concat(recs));
    }
    let fs = await openStore({ dir, sync: "interval", compression: "s2" });
    expect(fs.warnings).toEqual([]);
    expect(fs.state()).toMatchObject({ msgs: 6, firstSeq: 1, lastSeq: 6 });
    await fs.storeMsg("legacy", null, bodies[0]);
    await fs.flushAllPending();
    for (let seq = 1; seq <= 6; seq++) expect(Buffer.from(fs.loadMsg(seq).msg).equals(bodies[seq - 1])).toBe(true);
    // The older of the two blocks was sealed and uncompressed: it was compressed at open.
    expect(isFramedFile(join(dir, "msgs", "1.blk"))).toBe(true);
    fs = await reopen(fs, { dir, sync: "interval", compression: "none" });
    expect(fs.warnings).toEqual([]);
    for (let seq = 1; seq <= 6; seq++) expect(Buffer.from(fs.loadMsg(seq).msg).equals(bodies[seq - 1])).toBe(true);
    expect(fs.state().msgs).toBe(7);
  });

  test("stores written with per-record compression and encryption (older format) open and migrate to encrypted frames without loss", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "msgs"), { recursive: true });
    const cipher = { algorithm: "chacha20-poly1305", key: "legacy-key" } as const;
    // What versions before block compression wrote: each body compressed, then encrypted, with
    // the record header's sequence, timestamp and TTL as associated data.
    const legacy = new BodyCodec(true, cipher);
    const bodies = Array.from({ length: 6 }, (_, i) => Buffer.alloc(400, 97 + i));
    const record = (seq: number) => {
      const plain = Buffer.concat([Buffer.from("enc"), bodies[seq - 1]]);
      const head = Buffer.alloc(36);
      writeHeaderFields(head, 0, 0, 1, 0, 3, 0, bodies[seq - 1].length, seq, 1_700_000_000_000_000_000n + BigInt(seq), 0);
      const { body, flags } = legacy.encode(plain, head.subarray(16, 36));
      expect(flags).toBe(3);
      const rec = Buffer.alloc(36 + body.length + 8);
      head.copy(rec);
      rec.writeUInt32LE(rec.length, 0);
      rec[5] = flags;
      body.copy(rec, 36);
      sealRecord(rec, 0, rec.length);
      return rec;
    };
    writeFileSync(join(dir, "msgs", "1.blk"), Buffer.concat([1, 2, 3].map(record)));
    writeFileSync(join(dir, "msgs", "2.blk"), Buffer.concat([4, 5, 6].map(record)));
    let fs = await openStore({ dir, sync: "interval", compression: "s2", cipher });
    expect(fs.warnings).toEqual([]);
    await fs.flushAllPending();
    expect(isFramedFile(join(dir, "msgs", "1.blk"))).toBe(true);
    expect(readFileSync(join(dir, "msgs", "1.blk")).includes(Buffer.alloc(50, 97))).toBe(false);
    for (let seq = 1; seq <= 6; seq++) expect(Buffer.from(fs.loadMsg(seq).msg).equals(bodies[seq - 1])).toBe(true);
    fs = await reopen(fs, { dir, sync: "interval", cipher });
    expect(fs.warnings).toEqual([]);
    expect(fs.state()).toMatchObject({ msgs: 6, firstSeq: 1, lastSeq: 6 });
    for (let seq = 1; seq <= 6; seq++) expect(Buffer.from(fs.loadMsg(seq).msg).equals(bodies[seq - 1])).toBe(true);
    await fs.stop();
    await expect(FileStore.open({ dir, sync: "interval" })).rejects.toMatchObject({ code: "NoEncryptionKey" });
  });

  test("file settings out of range are refused with BadConfig (block size above Go's 8 MB, NaN sizes, compact ratio outside 0..1)", async () => {
    for (const bad of [{ block_size: 8 * 1024 * 1024 + 1 }, { block_size: Number.POSITIVE_INFINITY }, { cache_size: Number.NaN }, { compact_ratio: 2 }, { compact_ratio: Number.NaN }]) {
      await expect(FileStore.open({ dir: tempDir(), ...bad })).rejects.toMatchObject({ code: "BadConfig" });
    }
    await expect(FileStore.open({ dir: tempDir(), block_size: 8 * 1024 * 1024 + 1 })).rejects.toThrow("filestore max block size is 8.00 MB");
    const fs = await openStore({ dir: tempDir(), sync: "interval", sync_interval: Number.POSITIVE_INFINITY, block_size: 1000.5 });
    expect((await fs.storeMsg("a", null, enc("x"))).seq).toBe(1);
  });

  test("sync always: concurrent writers share fsyncs (group commit)", async () => {
    let syncs = 0;
    const { defaultFsOps } = await import("../src/file/fs-ops.js");
    const fsOps = { ...defaultFsOps, fdatasync: (fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => { syncs++; defaultFsOps.fdatasync(fd, cb); } };
    const fs = await openStore({ dir: tempDir(), sync: "always" }, { fs: fsOps });
    const acks = await Promise.all(Array.from({ length: 256 }, (_, i) => fs.storeMsg(`w.${i}`, null, enc("x"))));
    expect(acks.map((a) => a.seq)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThanOrEqual(4);
    // A lone writer still gets its own fsync before the ack.
    const before = syncs;
    await fs.storeMsg("solo", null, enc("y"));
    expect(syncs).toBeGreaterThan(before);
  });

  test("sync always: removals are fsynced with the next group commit; flushAllPending resolves after that fsync", async () => {
    const { defaultFsOps } = await import("../src/file/fs-ops.js");
    const events: string[] = [];
    const fsOps = {
      ...defaultFsOps,
      write: (fd: number, b: Uint8Array, o: number, l: number, p: number, cb: (e: NodeJS.ErrnoException | null, n: number) => void) =>
        defaultFsOps.write(fd, b, o, l, p, (e, n) => {
          events.push(`write ${fd}`);
          cb(e, n);
        }),
      fdatasync: (fd: number, cb: (e: NodeJS.ErrnoException | null) => void) =>
        defaultFsOps.fdatasync(fd, (e) => {
          events.push(`sync ${fd}`);
          cb(e);
        }),
    };
    // Every write since the removal is followed by an fsync of the same file.
    const synced = () => events.every((e, i) => !e.startsWith("write") || events.slice(i + 1).includes(e.replace("write", "sync")));
    const dir = tempDir();
    const fs = await openStore({ dir, sync: "always" }, { fs: fsOps });
    for (let i = 1; i <= 6; i++) await fs.storeMsg("foo", null, enc(`secret-${i}`));

    for (const remove of [() => fs.removeMsg(2), () => fs.eraseMsg(3), () => fs.removeMsg(1)]) {
      events.length = 0;
      expect(remove()).toBe(true);
      const flushed = fs.flushAllPending();
      expect(events).toEqual([]);
      await flushed;
      expect(events.some((e) => e.startsWith("write"))).toBe(true);
      expect(synced()).toBe(true);
    }
    // Nobody waiting: the removal's own commit cycle still writes and fsyncs it.
    events.length = 0;
    fs.removeMsg(5);
    await vi.waitFor(() => expect(events.some((e) => e.startsWith("sync"))).toBe(true));
    expect(synced()).toBe(true);

    // What is on disk now (what a kill -9 leaves) has the removals and not the erased bytes.
    const copy = tempDir();
    cpSync(dir, copy, { recursive: true });
    expect(allBlockBytes(copy).includes("secret-3")).toBe(false);
    const recovered = await openStore({ dir: copy, sync: "always" });
    expect(recovered.state()).toMatchObject({ msgs: 2, firstSeq: 4, lastSeq: 6, deleted: [5] });
    for (const seq of [1, 2, 3, 5]) expect(() => recovered.loadMsg(seq)).toThrow();
  });

  test("TestFileStoreSyncIntervals: interval mode fsyncs in the background, off the event loop", async () => {
    let syncs = 0;
    const { defaultFsOps } = await import("../src/file/fs-ops.js");
    const fsOps = {
      ...defaultFsOps,
      fsyncSync: () => {
        throw new Error("blocking fsync while running");
      },
      fdatasync: (fd: number, cb: (e: NodeJS.ErrnoException | null) => void) => {
        syncs++;
        defaultFsOps.fdatasync(fd, cb);
      },
    };
    const fs = await openStore({ dir: tempDir(), sync: "interval", sync_interval: 20e6 }, { fs: fsOps });
    await fs.storeMsg("foo", null, enc("x"));
    expect(syncs).toBe(0);
    await new Promise((r) => setTimeout(r, 120));
    expect(syncs).toBeGreaterThan(0);
  });

  test("reads from sealed blocks are verified and cached after repeated use", async () => {
    const cfg = cfgFor({ block_size: 2048 });
    let fs = await openStore(cfg);
    for (let i = 1; i <= 300; i++) await fs.storeMsg(`s.${i % 3}`, null, enc(`m${i}`));
    fs = await reopen(fs, cfg);
    for (let round = 0; round < 3; round++) for (let i = 1; i <= 300; i++) expect(Buffer.from(fs.loadMsg(i).msg).toString()).toBe(`m${i}`);
    expect(fs.loadNextMsg("s.2", false, 100).seq).toBe(101);
    expect(fs.loadLastMsg("s.1").seq).toBe(298);
  });
});

describe("FileStore snapshots", () => {
  test("TestFileStoreSnapshot: snapshot and restore messages and consumers", async () => {
    const dir = tempDir();
    const fs = await openStore({ dir, sync: "interval", block_size: 1024 });
    for (let i = 1; i <= 300; i++) await fs.storeMsg(`snap.${i % 5}`, i % 2 ? enc("H:v") : null, enc(`payload-${i}`));
    for (let i = 10; i <= 300; i += 10) fs.removeMsg(i);
    const o = fs.consumerStore("dlc", { ack_policy: "explicit" });
    o.updateDelivered(1, 1, 1, 1_000_000_000n);
    o.updateDelivered(2, 2, 1, 2_000_000_000n);
    o.updateAcks(1, 1);
    const pending = fs.storeMsg("snap.late", null, enc("late"));
    const snap = await fs.snapshot();
    await pending;
    expect(snap.state.msgs).toBe(271);
    const target = join(tempDir(), "restored");
    const restored = await FileStore.restore({ dir: target, sync: "interval" }, snap.data);
    open.push(restored);
    expect(restored.state()).toEqual({ ...snap.state, consumers: 0 });
    for (let i = 1; i <= 300; i++) {
      if (i % 10 === 0) expect(() => restored.loadMsg(i)).toThrow(StoreError);
      else expect(Buffer.from(restored.loadMsg(i).msg).toString()).toBe(`payload-${i}`);
    }
    expect(Buffer.from(restored.loadMsg(301).msg).toString()).toBe("late");
    const ro = restored.consumerStore("dlc", { ack_policy: "explicit" });
    expect(ro.state().ackFloor).toEqual({ consumer: 1, stream: 1 });
    expect([...ro.state().pending.keys()]).toEqual([2]);
  });

  test("damaged or hostile snapshots are refused without writing anything", async () => {
    const fs = await openStore({ dir: tempDir(), sync: "interval" });
    await fs.storeMsg("a", null, enc("1"));
    const { data } = await fs.snapshot();
    const flipped = Buffer.from(data);
    flipped[20] ^= 1;
    const target = join(tempDir(), "t1");
    await expect(FileStore.restore({ dir: target }, flipped)).rejects.toMatchObject({ code: "CorruptStreamState" });
    await expect(FileStore.restore({ dir: target }, data.subarray(0, data.length - 3))).rejects.toMatchObject({ code: "CorruptStreamState" });
    await expect(FileStore.restore({ dir: target }, Buffer.from("hello"))).rejects.toMatchObject({ code: "CorruptStreamState" });
    expect(existsSync(target)).toBe(false);
    // An archive naming a path outside the target directory.
    const { checksum64 } = await import("../src/file/checksum.js");
    const name = Buffer.from("../evil");
    const head = Buffer.alloc(2 + name.length + 8);
    head.writeUInt16LE(name.length, 0);
    name.copy(head, 2);
    head.writeBigUInt64LE(1n, 2 + name.length);
    const body = Buffer.concat([Buffer.from("NTSSNAP1"), head, Buffer.from("x")]);
    const sum = Buffer.alloc(8);
    sum.writeBigUInt64LE(checksum64(body));
    await expect(FileStore.restore({ dir: join(tempDir(), "t2") }, Buffer.concat([body, sum]))).rejects.toMatchObject({ code: "CorruptStreamState" });
  });
});
