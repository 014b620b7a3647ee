import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { allocHashable, checksum64, hashesInPlace, sealRuns } from "../src/file/checksum.js";
import { EMPTY_RECORD_LEN, recordIsValid, sealRecords } from "../src/file/record.js";
import { FileStore, StoreError } from "../src/index.js";
import { tempDir } from "./helpers.js";

/** Lays out runs of the given lengths (length prefix, filler bytes, room for the checksum). */
function layOut(buf: Buffer, lens: number[], seed: number): number {
  let off = 0;
  for (const len of lens) {
    buf.writeUInt32LE(len, off);
    for (let i = 4; i < len; i++) buf[off + i] = (seed + off + i * 31) & 0xff;
    off += len;
  }
  return off;
}

describe("sealRuns: checksums of a run of records in one call", () => {
  test("the WebAssembly sealer is in use on this platform", () => {
    expect(hashesInPlace).toBe(true);
  });

  test("in-place and copying paths write xxhash64 of each record's bytes before its checksum", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: EMPTY_RECORD_LEN, max: 3000 }), { maxLength: 40 }), fc.nat(), (lens, seed) => {
        const inPlace = allocHashable(1 << 17);
        const end = layOut(inPlace, lens, seed);
        const plain = Buffer.alloc(end);
        layOut(plain, lens, seed);
        // Records start anywhere, not only at the buffer's start.
        expect(sealRuns(inPlace, 0, end, EMPTY_RECORD_LEN)).toBe(end);
        expect(sealRuns(plain, 0, end, EMPTY_RECORD_LEN)).toBe(end);
        let off = 0;
        for (const len of lens) {
          const expected = checksum64(plain.subarray(off, off + len - 8));
          expect(plain.readBigUInt64LE(off + len - 8)).toBe(expected);
          expect(inPlace.readBigUInt64LE(off + len - 8)).toBe(expected);
          off += len;
        }
        expect(inPlace.subarray(0, end).equals(plain)).toBe(true);
      }),
      { numRuns: 100 },
    );
  });

  test("a sub-range is sealed alone and a view with an offset seals at the right place", () => {
    const buf = allocHashable(4096);
    const end = layOut(buf, [100, 60, 200], 3);
    const before = Buffer.from(buf.subarray(0, 100));
    expect(sealRuns(buf, 100, end, EMPTY_RECORD_LEN)).toBe(end);
    expect(buf.subarray(0, 100).equals(before)).toBe(true);
    const view = buf.subarray(100, end);
    view.fill(0, 52, 60);
    expect(sealRuns(view, 0, 60, EMPTY_RECORD_LEN)).toBe(60);
    expect(buf.readBigUInt64LE(152)).toBe(checksum64(buf.subarray(100, 152)));
  });

  test("stops at a length below the minimum or past the end, for both paths", () => {
    for (const buf of [allocHashable(4096), Buffer.alloc(4096)]) {
      const end = layOut(buf, [100, 60, 200], 9);
      buf.writeUInt32LE(10, 100);
      expect(sealRuns(buf, 0, end, EMPTY_RECORD_LEN)).toBe(100);
      buf.writeUInt32LE(60, 100);
      buf.writeUInt32LE(201, 160);
      expect(sealRuns(buf, 0, end, EMPTY_RECORD_LEN)).toBe(160);
      expect(sealRuns(buf, 0, 0, EMPTY_RECORD_LEN)).toBe(0);
    }
  });

  test("sealRecords makes valid records and refuses a run that is not whole records", () => {
    const buf = allocHashable(4096);
    const end = layOut(buf, [EMPTY_RECORD_LEN, EMPTY_RECORD_LEN], 1);
    // Marker-shaped records (kind 3, no body) pass recordIsValid once sealed.
    for (const off of [0, EMPTY_RECORD_LEN]) {
      buf.fill(0, off + 4, off + EMPTY_RECORD_LEN);
      buf[off + 4] = 3;
    }
    expect(recordIsValid(buf, 0, end)).toBe(false);
    sealRecords(buf, 0, end);
    expect(recordIsValid(buf, 0, end)).toBe(true);
    expect(recordIsValid(buf, EMPTY_RECORD_LEN, end)).toBe(true);
    expect(() => sealRecords(buf, 0, end - 1)).toThrow(StoreError);
  });
});

describe("FileStore: records checksummed per commit cycle", () => {
  const body = (i: number) => Buffer.alloc(60 + (i % 50), i & 0xff);

  test("records appended in one turn are sealed before blocks rotate, truncate, snapshot or stop", async () => {
    const dir = tempDir();
    const cfg = { dir, sync: "interval" as const, block_size: 2048 };
    const s = await FileStore.open(cfg);
    // 300 stores without yielding: many rotations before any commit cycle runs.
    const acks = Array.from({ length: 300 }, (_, i) => s.storeMsg(`d.${i % 9}`, null, body(i)));
    // Sealed blocks are read with checksum verification, still in the same turn.
    for (const seq of [1, 50, 150, 299]) expect(s.loadMsg(seq).msg).toEqual(body(seq - 1));
    s.truncate(280);
    const more = Array.from({ length: 20 }, (_, i) => s.storeMsg("d.x", null, body(1000 + i)));
    const snap = await s.snapshot();
    await Promise.all([...acks.slice(0, 280), ...more]);
    expect(s.warnings).toEqual([]);
    await s.stop();

    for (const reopened of [await FileStore.open(cfg), await FileStore.restore({ dir: join(tempDir(), "r"), sync: "interval" }, snap.data)]) {
      expect(reopened.warnings).toEqual([]);
      expect(reopened.state()).toMatchObject({ msgs: 300, firstSeq: 1, lastSeq: 300 });
      for (let seq = 1; seq <= 280; seq++) expect(reopened.loadMsg(seq).msg).toEqual(body(seq - 1));
      for (let seq = 281; seq <= 300; seq++) expect(reopened.loadMsg(seq).msg).toEqual(body(1000 + seq - 281));
      await reopened.stop();
    }
  });
});
