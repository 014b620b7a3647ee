// One behavioural suite that both stores must pass (run for each at the bottom). Tests ported from Go carry the Go name
// of the variant that exists for the store under test (TestMemStore* / TestFileStore*), or
// the shared TestStore* name for tests Go runs against both stores.
import { afterEach, describe, expect, test } from "vitest";
import { FileStore, fileStoreMsgSize, ManualClock, MemStore, StoreError, type StoreOptions, type StreamStore, type StreamStoreConfig } from "../src/index.js";
import { prng, tempDir } from "./helpers.js";

interface StoreHarness {
  kind: "MemStore" | "FileStore";
  open(cfg?: StreamStoreConfig, opts?: StoreOptions): Promise<StreamStore>;
  msgSize(subject: string, hdr: Uint8Array | null, msg: Uint8Array | null): number;
}

const enc = (s: string) => Buffer.from(s);

function expectStoreError(fn: () => unknown, code: string): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
}

async function expectRejects(p: Promise<unknown>, code: string): Promise<void> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
}

function storeConformance(h: StoreHarness): void {
  const stores: StreamStore[] = [];
  const open = async (cfg: StreamStoreConfig = {}, opts: StoreOptions = {}) => {
    const s = await h.open(cfg, opts);
    stores.push(s);
    return s;
  };
  // Go test name for this store, or a neutral title when only the other store has it.
  const go = (mem: string | null, file: string | null) => (h.kind === "MemStore" ? mem : file) ?? `${h.kind}`;

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.stop().catch(() => undefined);
  });

  describe(`${h.kind} conformance`, () => {
    test(`${go("TestMemStoreBasics", "TestFileStoreBasics")}: store, state and load round trip`, async () => {
      const s = await open();
      const before = BigInt(Date.now()) * 1_000_000n;
      const { seq, ts } = await s.storeMsg("foo", null, enc("Hello World"));
      expect(seq).toBe(1);
      expect(ts >= before - 1_000_000n && ts < before + 5_000_000_000n).toBe(true);
      const st = s.state();
      expect(st.msgs).toBe(1);
      expect(st.bytes).toBe(h.msgSize("foo", null, enc("Hello World")));
      const m = s.loadMsg(1);
      expect(m.subject).toBe("foo");
      expect(Buffer.from(m.msg).toString()).toBe("Hello World");
      expect(m.ts).toBe(ts);
    });

    test(`${go("TestMemStoreMsgHeaders", "TestFileStoreMsgHeaders")}: headers kept apart from payload, erasable`, async () => {
      const s = await open();
      await s.storeMsg("foo", enc("name:derek"), enc("Hello World"));
      const m = s.loadMsg(1);
      expect(Buffer.from(m.hdr).toString()).toBe("name:derek");
      expect(Buffer.from(m.msg).toString()).toBe("Hello World");
      expect(s.state().bytes).toBe(h.msgSize("foo", enc("name:derek"), enc("Hello World")));
      expect(s.eraseMsg(1)).toBe(true);
      expectStoreError(() => s.loadMsg(1), "MsgNotFound");
    });

    test(`${go("TestMemStoreMsgLimit", "TestFileStoreMsgLimit")}: max_msgs discards oldest`, async () => {
      const s = await open({ max_msgs: 10 });
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, enc("Hello World"));
      expect(s.state().msgs).toBe(10);
      await s.storeMsg("foo", null, enc("Hello World"));
      const st = s.state();
      expect(st.msgs).toBe(10);
      expect(st.lastSeq).toBe(11);
      expect(st.firstSeq).toBe(2);
      expectStoreError(() => s.loadMsg(1), "MsgNotFound");
    });

    test(`${go("TestMemStoreBytesLimit", "TestFileStoreBytesLimit")}: max_bytes discards oldest`, async () => {
      const msg = Buffer.alloc(512);
      const size = h.msgSize("foo", null, msg);
      const s = await open({ max_bytes: size * 1024 });
      for (let i = 0; i < 1024; i++) await s.storeMsg("foo", null, msg);
      expect(s.state().bytes).toBe(size * 1024);
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, msg);
      const st = s.state();
      expect(st.msgs).toBe(1024);
      expect(st.bytes).toBe(size * 1024);
      expect(st.firstSeq).toBe(11);
      expect(st.lastSeq).toBe(1034);
    });

    test(`${go("TestMemStoreBytesLimitWithDiscardNew", "TestFileStoreBytesLimitWithDiscardNew")}: discard new rejects with ErrMaxBytes`, async () => {
      const msg = Buffer.alloc(7);
      const size = h.msgSize("tiny", null, msg);
      const s = await open({ max_bytes: size * 3 + 1, discard: "new" });
      for (let i = 0; i < 10; i++) {
        if (i < 3) await s.storeMsg("tiny", null, msg);
        else await expectRejects(s.storeMsg("tiny", null, msg), "MaxBytes");
      }
      expect(s.state().msgs).toBe(3);
      expect(s.state().bytes).toBe(size * 3);
    });

    test("TestStoreDiscardNew: max_msgs, max_bytes and per-subject limits with discard new", async () => {
      const s = await open({ max_msgs: 2, discard: "new" });
      await s.storeMsg("a", null, null);
      await s.storeMsg("b", null, null);
      await expectRejects(s.storeMsg("c", null, null), "MaxMsgs");
      const p = await open({ max_msgs_per_subject: 1, discard: "new", discard_new_per_subject: true });
      await p.storeMsg("a", null, null);
      await expectRejects(p.storeMsg("a", null, null), "MaxMsgsPerSubject");
      await p.storeMsg("b", null, null);
      // Without discard_new_per_subject the per-subject limit replaces instead of rejecting.
      const r = await open({ max_msgs: 1, max_msgs_per_subject: 1, discard: "new" });
      await r.storeMsg("a", null, enc("1"));
      await r.storeMsg("a", null, enc("2"));
      expect(Buffer.from(r.loadLastMsg("a").msg).toString()).toBe("2");
      expect(r.state().msgs).toBe(1);
    });

    test(`${go("TestMemStoreAgeLimit", "TestFileStoreAgeLimit")}: max_age expires messages and re-arms`, async () => {
      const clock = new ManualClock();
      const s = await open({ max_age: 10_000_000 }, { clock });
      for (let i = 0; i < 100; i++) await s.storeMsg("foo", null, enc("Hello World"));
      expect(s.state().msgs).toBe(100);
      clock.advance(20_000_000n);
      expect(s.state().msgs).toBe(0);
      expect(s.state().bytes).toBe(0);
      for (let i = 0; i < 100; i++) await s.storeMsg("foo", null, enc("Hello World"));
      expect(s.state().msgs).toBe(100);
      clock.advance(5_000_000n);
      expect(s.state().msgs).toBe(100);
      clock.advance(6_000_000n);
      expect(s.state().msgs).toBe(0);
    });

    test(`${go("TestMemStoreTimeStamps", "TestFileStoreTimeStamps")}: timestamps strictly increase`, async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, enc("Hello World"));
      let last = 0n;
      for (let seq = 1; seq <= 10; seq++) {
        const ts = s.loadMsg(seq).ts;
        expect(ts > last).toBe(true);
        last = ts;
      }
    });

    test(`${go("TestMemStorePurge", "TestFileStorePurge")}: purge removes all and keeps sequence`, async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, enc("Hello World"));
      expect(s.purge()).toBe(10);
      const st = s.state();
      expect(st.msgs).toBe(0);
      expect(st.bytes).toBe(0);
      expect(st.firstSeq).toBe(11);
      expect(st.lastSeq).toBe(10);
      expect((await s.storeMsg("foo", null, null)).seq).toBe(11);
    });

    test(`${go("TestMemStoreCompact", "TestFileStoreCompact")}: compact below seq, and past the end`, async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, enc("Hello World"));
      expect(s.compact(6)).toBe(5);
      expect(s.state().msgs).toBe(5);
      expect(s.state().firstSeq).toBe(6);
      expect(s.compact(100)).toBe(5);
      expect(s.state().firstSeq).toBe(100);
      expect(s.state().lastSeq).toBe(99);
      expect((await s.storeMsg("foo", null, null)).seq).toBe(100);
    });

    test(`${go("TestMemStoreEraseMsg", "TestFileStoreEraseMsg")}: erase removes the message`, async () => {
      const s = await open();
      await s.storeMsg("foo", null, enc("Hello World"));
      await s.storeMsg("foo", null, enc("Hello World 2"));
      expect(Buffer.from(s.loadMsg(1).msg).toString()).toBe("Hello World");
      expect(s.eraseMsg(1)).toBe(true);
      expect(s.eraseMsg(1)).toBe(false);
      expectStoreError(() => s.loadMsg(1), "MsgNotFound");
      expect(Buffer.from(s.loadMsg(2).msg).toString()).toBe("Hello World 2");
    });

    test(`${go("TestMemStoreStreamStateDeleted", "TestFileStoreStreamStateDeleted")}: deleted list tracks interior deletes`, async () => {
      const s = await open();
      for (let i = 1; i <= 10; i++) await s.storeMsg("foo", null, enc(`[${i}] Hello World!`));
      expect(s.state().deleted).toBeUndefined();
      const expected: number[] = [];
      for (let seq = 2; seq < 10; seq += 2) {
        s.removeMsg(seq);
        expected.push(seq);
      }
      expect(s.state().deleted).toEqual(expected);
      s.removeMsg(1);
      s.removeMsg(3);
      expect(s.state().deleted).toEqual(expected.slice(2));
      expect(s.state().firstSeq).toBe(5);
      s.purge();
      expect(s.state().deleted).toBeUndefined();
    });

    test("state() lists every interior deleted sequence, as Go does, even past a million", async () => {
      const s = await open();
      await s.storeMsg("foo", null, enc("first"));
      s.skipMsgs(0, 1_500_000);
      await s.storeMsg("foo", null, enc("last"));
      s.removeMsg(1_500_002);
      await s.storeMsg("foo", null, enc("after"));
      const st = s.state();
      expect(st.numDeleted).toBe(1_500_001);
      expect(st.deleted).toHaveLength(1_500_001);
      expect(st.deleted![0]).toBe(2);
      expect(st.deleted![1_499_999]).toBe(1_500_001);
      expect(st.deleted![1_500_000]).toBe(1_500_002);
    });

    test(`${go("TestMemStoreStreamTruncate", "TestFileStoreStreamTruncate")}: truncate with interior deletes`, async () => {
      const s = await open();
      for (let i = 1; i < 50; i++) await s.storeMsg("foo", null, enc("ok"));
      for (let i = 50; i <= 100; i++) await s.storeMsg("bar", null, enc("ok"));
      s.truncate(50);
      expect(s.state().msgs).toBe(50);
      for (const seq of [10, 20, 30, 40]) s.removeMsg(seq);
      s.truncate(25);
      const st = s.state();
      expect(st.msgs).toBe(23);
      expect(st.numSubjects).toBe(1);
      expect(st.deleted).toEqual([10, 20]);
      expect(st.lastSeq).toBe(25);
    });

    test(`${go("TestMemStoreStreamTruncateReset", "TestFileStoreStreamTruncateResetMultiBlock")}: truncate(0) resets everything`, async () => {
      const s = await open();
      for (let i = 0; i < 1000; i++) await s.storeMsg("foo", null, enc("Hello World"));
      s.truncate(0);
      let st = s.state();
      expect([st.msgs, st.bytes, st.firstSeq, st.lastSeq, st.numSubjects, st.numDeleted]).toEqual([0, 0, 0, 0, 0, 0]);
      for (let i = 0; i < 1000; i++) await s.storeMsg("foo", null, enc("Hello World"));
      st = s.state();
      expect([st.msgs, st.firstSeq, st.lastSeq, st.numSubjects, st.numDeleted]).toEqual([1000, 1, 1000, 1, 0]);
      expect(st.bytes).toBe(1000 * h.msgSize("foo", null, enc("Hello World")));
    });

    test(`${go("TestMemStorePurgeExWithSubject", "TestFileStorePurgeExWithSubject")}: purgeEx by subject`, async () => {
      const s = await open();
      for (let i = 0; i < 100; i++) await s.storeMsg("foo", null, null);
      await s.storeMsg("bar", null, null);
      expect(s.purgeEx("foo", 0, 0)).toBe(100);
      expect(s.state().msgs).toBe(1);
      expect(s.state().firstSeq).toBe(101);
    });

    test(`${go("TestMemStorePurgeExWithDeletedMsgs", null)}: purgeEx up to a deleted sequence`, async () => {
      const s = await open();
      for (let i = 1; i <= 10; i++) await s.storeMsg("foo", null, enc("abc"));
      s.removeMsg(2);
      s.removeMsg(9);
      expect(s.purgeEx("", 9, 0)).toBe(7);
      const st = s.fastState();
      expect([st.firstSeq, st.lastSeq, st.msgs]).toEqual([10, 10, 1]);
    });

    test("TestStorePurgeExKeepWithInteriorDeletes: keep counts live messages only", async () => {
      const s = await open();
      for (let i = 0; i < 50; i++) await s.storeMsg("foo", null, null);
      for (let seq = 2; seq <= 50; seq += 2) s.removeMsg(seq);
      expect(s.state()).toMatchObject({ msgs: 25, firstSeq: 1, lastSeq: 50 });
      expect(s.purgeEx("", 0, 5)).toBe(20);
      expect(s.state()).toMatchObject({ msgs: 5, firstSeq: 41, lastSeq: 50 });
    });

    test("purgeEx keep applies to the whole filter, not to each subject (Go's PurgeEx)", async () => {
      const s = await open();
      for (let i = 0; i < 12; i++) await s.storeMsg(`foo.${i % 3}`, null, null);
      expect(s.purgeEx("", 0, 4)).toBe(8);
      expect(s.state()).toMatchObject({ msgs: 4, firstSeq: 9, lastSeq: 12 });
      for (let i = 0; i < 6; i++) await s.storeMsg(`foo.${i % 2}`, null, null);
      // Wildcard filter with keep and a sequence bound: at most total - keep, all below the bound.
      expect(s.purgeEx("foo.*", 14, 3)).toBe(5);
      expect(s.state()).toMatchObject({ msgs: 5, firstSeq: 14, lastSeq: 18 });
      expect(s.purgeEx("foo.*", 0, 3)).toBe(2);
      expect(s.state()).toMatchObject({ msgs: 3, firstSeq: 16, lastSeq: 18 });
    });

    test("TestStorePurgeExZero / TestStorePurgeExSequenceOne: edge sequences", async () => {
      const s = await open();
      for (let i = 0; i < 5; i++) await s.storeMsg("foo", null, null);
      expect(s.purgeEx("foo", 1, 0)).toBe(0);
      expect(s.state().msgs).toBe(5);
      expect(s.purgeEx("", 0, 0)).toBe(5);
      expect(s.state().firstSeq).toBe(6);
    });

    test(`${go("TestMemStoreUpdateMaxMsgsPerSubject", "TestFileStoreUpdateMaxMsgsPerSubject")}: raising and lowering the per-subject limit`, async () => {
      const s = await open({ max_msgs_per_subject: 10 });
      s.updateConfig({ max_msgs_per_subject: 50 });
      for (let i = 0; i < 22; i++) await s.storeMsg("foo", null, null);
      expect(s.subjectsState("foo").get("foo")!.msgs).toBe(22);
      s.updateConfig({ max_msgs_per_subject: 10 });
      expect(s.subjectsState("foo").get("foo")).toEqual({ msgs: 10, first: 13, last: 22 });
    });

    test(`${go("TestMemStoreStreamCompactMultiBlockSubjectInfo", "TestFileStoreStreamCompactMultiBlockSubjectInfo")}: compact drops subjects`, async () => {
      const s = await open();
      for (let i = 0; i < 1000; i++) await s.storeMsg(`foo.${i}`, null, enc("Hello World"));
      expect(s.compact(501)).toBe(500);
      expect(s.state().numSubjects).toBe(500);
    });

    test(`${go("TestMemStoreSubjectsTotals", "TestFileStoreSubjectsTotals")}: totals by literal and wildcard`, async () => {
      const s = await open();
      const fmap = new Map<number, number>();
      const bmap = new Map<number, number>();
      const rnd = prng(7);
      for (let i = 0; i < 10_000; i++) {
        const [ft, m] = rnd(2) === 0 ? ["foo", fmap] as const : ["bar", bmap] as const;
        const dt = rnd(100);
        m.set(dt, (m.get(dt) ?? 0) + 1);
        await s.storeMsg(`${ft}.${dt}`, null, enc("Hello World"));
      }
      for (const [dt, total] of fmap) expect(s.subjectsTotals(`foo.${dt}`).get(`foo.${dt}`)).toBe(total);
      const sum = (m: Map<unknown, number>) => [...m.values()].reduce((a, b) => a + b, 0);
      expect(s.subjectsTotals("foo.*").size).toBe(fmap.size);
      expect(sum(s.subjectsTotals("foo.*"))).toBe(sum(fmap));
      expect(sum(s.subjectsTotals("bar.*"))).toBe(sum(bmap));
      expect(s.subjectsTotals("*.*").size).toBe(fmap.size + bmap.size);
    });

    test(`${go("TestMemStoreNumPending", null)}: numPending against a brute-force count`, async () => {
      const s = await open();
      const subjects = ["foo.foo", "foo.bar", "foo.baz", "foo.zzz", "bar.foo", "bar.bar", "bar.baz", "bar.zzz"];
      const rnd = prng(3);
      for (let i = 0; i < 2000; i++) await s.storeMsg(subjects[rnd(subjects.length)], null, enc("x"));
      for (let i = 0; i < 300; i++) s.removeMsg(1 + rnd(2000));
      const brute = (sseq: number, filter: string, lastPer: boolean) => {
        const last = new Map<string, number>();
        let n = 0;
        for (let seq = sseq; seq <= 2000; seq++) {
          let subj: string;
          try {
            subj = s.subjectForSeq(seq);
          } catch {
            continue;
          }
          const re = new RegExp(`^${filter.replace(/\./g, "\\.").replace(/\*/g, "[^.]+").replace(/>/g, ".+")}$`);
          if (!re.test(subj)) continue;
          n++;
          last.set(subj, seq);
        }
        return lastPer ? last.size : n;
      };
      for (const filter of ["foo.*", "bar.>", "foo.bar", "*.baz", ">"]) {
        for (const sseq of [1, 500, 1500, 1999]) {
          for (const lastPer of [false, true]) {
            expect(s.numPending(sseq, filter, lastPer).total, `${filter} ${sseq} ${lastPer}`).toBe(brute(sseq, filter, lastPer));
          }
          const fs = s.filteredState(sseq, filter);
          expect(fs.msgs).toBe(brute(sseq, filter, false));
        }
      }
      expect(s.numPending(1, ">", false).validThrough).toBe(2000);
    });

    test(`${go("TestMemStoreInitialFirstSeq", "TestFileStoreInitialFirstSeq")}: first_seq starts a new store`, async () => {
      const s = await open({ first_seq: 1000 });
      expect((await s.storeMsg("A", null, enc("OK"))).seq).toBe(1000);
      expect((await s.storeMsg("B", null, enc("OK"))).seq).toBe(1001);
      const st = s.fastState();
      expect([st.msgs, st.firstSeq, st.lastSeq]).toEqual([2, 1000, 1001]);
    });

    test(`${go("TestMemStoreDeleteBlocks", "TestFileStoreDeleteBlocks")}: random deletes are counted exactly`, async () => {
      const s = await open();
      for (let i = 0; i < 10_000; i++) await s.storeMsg("A", null, enc("OK"));
      const del = new Set<number>();
      const rnd = prng(11);
      while (del.size < 5000) del.add(1 + rnd(10_000));
      for (const seq of del) s.removeMsg(seq);
      const st = s.state();
      expect(st.msgs).toBe(5000);
      expect(st.numDeleted).toBe(st.lastSeq - st.firstSeq + 1 - 5000);
      expect(st.deleted!.length).toBe(st.numDeleted);
    });

    test(`${go("TestMemStoreGetSeqFromTimeWithLastDeleted", null)}: getSeqFromTime with trailing deletes`, async () => {
      const clock = new ManualClock();
      const s = await open({}, { clock });
      let mark = 0n;
      for (let i = 1; i <= 1000; i++) {
        clock.advance(1000n);
        await s.storeMsg("A", null, enc("OK"));
        if (i === 500) {
          clock.advance(100_000_000n);
          mark = clock.now();
        }
      }
      for (let seq = 900; seq <= 1000; seq++) s.removeMsg(seq);
      expect(s.getSeqFromTime(mark)).toBe(501);
      expect(s.getSeqFromTime(0n)).toBe(1);
      expect(s.getSeqFromTime(clock.now() + 1n)).toBe(1001);
    });

    test("TestStoreGetSeqFromTimeWithInteriorDeletesGap: binary search skips deleted runs", async () => {
      const clock = new ManualClock();
      const s = await open({}, { clock });
      const ts: bigint[] = [0n];
      for (let i = 1; i <= 100; i++) {
        clock.advance(1000n);
        ts.push((await s.storeMsg("A", null, null)).ts);
      }
      for (let seq = 20; seq <= 70; seq++) s.removeMsg(seq);
      expect(s.getSeqFromTime(ts[30])).toBe(71);
      expect(s.getSeqFromTime(ts[19])).toBe(19);
      expect(s.getSeqFromTime(ts[19] + 1n)).toBe(71);
      expect(s.getSeqFromTime(ts[85])).toBe(85);
    });

    test(`${go("TestMemStoreSkipMsgs", "TestFileStoreSkipMsgs")}: skipMsgs on empty and non-empty stores`, async () => {
      const s = await open();
      expectStoreError(() => s.skipMsgs(10, 100), "SequenceMismatch");
      s.skipMsgs(1, 100);
      expect([s.state().firstSeq, s.state().lastSeq]).toEqual([101, 100]);
      s.skipMsgs(101, 100_000);
      expect([s.state().firstSeq, s.state().lastSeq]).toEqual([100_101, 100_100]);
      const t = await open();
      await t.storeMsg("foo", null, null);
      t.skipMsgs(2, 10);
      const st = t.state();
      expect([st.firstSeq, st.lastSeq, st.msgs, st.numDeleted, st.deleted!.length]).toEqual([1, 11, 1, 10, 10]);
      const fast = t.fastState();
      expect([fast.firstSeq, fast.lastSeq, fast.msgs, fast.numDeleted]).toEqual([1, 11, 1, 10]);
    });

    test(`${go(null, "TestFileStoreSkipMsg")}: skipMsg advances the sequence`, async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) expect(s.skipMsg(0)).toBe(i + 1);
      expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 11, lastSeq: 10 });
      expect((await s.storeMsg("zzz", null, enc("Hello"))).seq).toBe(11);
      expect(s.skipMsg(12)).toBe(12);
      expectStoreError(() => s.skipMsg(99), "SequenceMismatch");
      await s.storeMsg("zzz", null, enc("World"));
      expect(s.state()).toMatchObject({ msgs: 2, firstSeq: 11, lastSeq: 13, numDeleted: 1 });
      expectStoreError(() => s.loadMsg(12), "MsgNotFound");
      expectStoreError(() => s.loadMsg(14), "StoreEOF");
    });

    test(`${go("TestMemStoreMultiLastSeqs", "TestFileStoreMultiLastSeqs")}: last sequences per filter`, async () => {
      const s = await open();
      for (let i = 0; i < 33; i++) for (const t of ["foo", "bar", "baz"]) await s.storeMsg(`foo.${t}`, null, enc("abc"));
      for (let i = 0; i < 33; i++) for (const t of ["foo", "bar", "baz"]) await s.storeMsg(`bar.${t}`, null, enc("abc"));
      expect(s.multiLastSeqs(["foo.*"], 3, -1)).toEqual([1, 2, 3]);
      expect(s.multiLastSeqs(["foo.*"], 0, -1)).toEqual([97, 98, 99]);
      expect(s.multiLastSeqs(["bar.*"], 0, -1)).toEqual([196, 197, 198]);
      expect(s.multiLastSeqs(["bar.*"], 99, -1)).toEqual([]);
      expect(s.multiLastSeqs(["foo.foo", "foo.bar", "foo.baz"], 3, -1)).toEqual([1, 2, 3]);
      expect(s.multiLastSeqs(["foo.foo"], 3, -1)).toEqual([1]);
      expect(s.multiLastSeqs(["foo.*", "foo.bar"], 3, -1)).toEqual([1, 2, 3]);
      expect(s.multiLastSeqs(["bar.>", "bar.bar", "bar.baz"], 0, -1)).toEqual([196, 197, 198]);
      expect(s.multiLastSeqs([">"], 0, -1)).toEqual([97, 98, 99, 196, 197, 198]);
      expect(s.multiLastSeqs([">"], 99, -1)).toEqual([97, 98, 99]);
    });

    test(`${go("TestMemStoreMultiLastSeqsMaxAllowed", "TestFileStoreMultiLastSeqsMaxAllowed")}: too many results`, async () => {
      const s = await open();
      for (let i = 1; i <= 100; i++) await s.storeMsg(`foo.${i}`, null, enc("abc"));
      expectStoreError(() => s.multiLastSeqs(["foo.*"], 0, 10), "TooManyResults");
    });

    test(`${go("TestMemStoreDeleteAllFirstSequenceCheck", null)}: all deleted means first = last + 1`, async () => {
      const s = await open();
      for (let i = 1; i <= 10; i++) await s.storeMsg("foo", null, enc("abc"));
      for (let seq = 10; seq >= 1; seq--) s.removeMsg(seq);
      const st = s.fastState();
      expect([st.firstSeq, st.lastSeq, st.msgs]).toEqual([11, 10, 0]);
    });

    test(`${go("TestMemStoreAllLastSeqs", "TestFileStoreAllLastSeqs")}: allLastSeqs sorted`, async () => {
      const s = await open();
      const subjs = ["foo.foo", "foo.bar", "foo.baz", "bar.foo", "bar.bar", "bar.baz"];
      const rnd = prng(5);
      for (let i = 0; i < 1000; i++) await s.storeMsg(subjs[rnd(6)], null, null);
      const expected = subjs.map((x) => s.loadLastMsg(x).seq).sort((a, b) => a - b);
      expect(s.allLastSeqs()).toEqual(expected);
    });

    test(`${go("TestMemStoreSubjectForSeq", "TestFileStoreSubjectForSeq")}: subject lookup by sequence`, async () => {
      const s = await open();
      await s.storeMsg("foo.bar", null, null);
      expectStoreError(() => s.subjectForSeq(0), "MsgNotFound");
      expect(s.subjectForSeq(1)).toBe("foo.bar");
      expectStoreError(() => s.subjectForSeq(2), "MsgNotFound");
    });

    test(`${go("TestMemStoreMessageTTL", "TestFileStoreMessageTTL")}: per-message TTL expires messages`, async () => {
      const clock = new ManualClock();
      const s = await open({ allow_msg_ttl: true }, { clock });
      for (let i = 1; i <= 10; i++) await s.storeMsg("test", null, null, 1);
      expect(s.state()).toMatchObject({ msgs: 10, firstSeq: 1, lastSeq: 10 });
      clock.advance(2_000_000_000n);
      expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 11, lastSeq: 10 });
    });

    test("removed or truncated TTL messages never expire their successors", async () => {
      const clock = new ManualClock();
      const s = await open({ allow_msg_ttl: true }, { clock });
      for (let i = 0; i < 3; i++) await s.storeMsg("t", null, null, 1);
      s.truncate(1);
      await s.storeMsg("keep", null, null);
      await s.storeMsg("keep", null, null);
      expect(s.removeMsg(1)).toBe(true);
      await s.storeMsg("short", null, null, 1);
      clock.advance(2_000_000_000n);
      expect(s.state()).toMatchObject({ msgs: 2, firstSeq: 2, lastSeq: 4 });
      expect(s.subjectsTotals(">")).toEqual(new Map([["keep", 2]]));
    });

    test("TestJetStreamMessageTTLNeverExpire (store level): a \"never\" TTL outlives max_age", async () => {
      const clock = new ManualClock();
      const s = await open({ allow_msg_ttl: true, max_age: 1_000_000_000 }, { clock });
      await s.storeMsg("test", null, null, -1);
      for (let i = 1; i <= 10; i++) await s.storeMsg("test", null, null);
      expect(s.state()).toMatchObject({ msgs: 11, firstSeq: 1, lastSeq: 11 });
      clock.advance(2_000_000_000n);
      expect(s.state()).toMatchObject({ msgs: 1, firstSeq: 1, lastSeq: 11 });
      // Later messages still age out past the one that never does.
      await s.storeMsg("test", null, null, -1);
      await s.storeMsg("test", null, null);
      clock.advance(500_000_000n);
      await s.storeMsg("test", null, null);
      clock.advance(600_000_000n);
      expect(s.state()).toMatchObject({ msgs: 3, firstSeq: 1, lastSeq: 14 });
      expect(s.loadNextMsg("test", false, 2).seq).toBe(12);
      clock.advance(500_000_000n);
      expect(s.state()).toMatchObject({ msgs: 2, firstSeq: 1, lastSeq: 14 });
      expect(s.removeMsg(1)).toBe(true);
      expect(s.state()).toMatchObject({ msgs: 1, firstSeq: 12, lastSeq: 14 });
    });

    test("TestStoreUpdateConfigTTLState: TTLs are ignored unless allowed", async () => {
      const clock = new ManualClock();
      const s = await open({}, { clock });
      await s.storeMsg("test", null, null, 1);
      clock.advance(2_000_000_000n);
      expect(s.state().msgs).toBe(1);
    });

    test(`${go("TestMemStoreNextWildcardMatch", null)}: loadNextMsg with wildcard and literal filters`, async () => {
      const s = await open();
      const seqs = new Map<string, number[]>();
      for (let i = 1; i <= 300; i++) {
        const subj = `foo.${i % 7}.${i % 3 === 0 ? "x" : "y"}`;
        await s.storeMsg(subj, null, null);
        seqs.set(subj, [...(seqs.get(subj) ?? []), i]);
      }
      const r = s.loadNextMsg("foo.*.x", true, 1);
      expect(r.seq).toBe(3);
      expect(r.msg.subject).toBe("foo.3.x");
      expect(s.loadNextMsg("foo.*.x", true, 4).seq).toBe(6);
      expect(s.loadNextMsg("foo.2.y", false, 3).seq).toBe(seqs.get("foo.2.y")!.find((x) => x >= 3));
      expect(s.loadNextMsg(">", true, 0).seq).toBe(1);
      expect(s.loadNextMsg("", false, 150).seq).toBe(150);
      let err: StoreError | undefined;
      try {
        s.loadNextMsg("nope.>", true, 1);
      } catch (e) {
        err = e as StoreError;
      }
      expect(err?.code).toBe("StoreEOF");
      expect(err?.skip).toBe(300);
      expectStoreError(() => s.loadNextMsg("foo.>", true, 301), "StoreEOF");
    });

    test("TestStoreLoadNextMsgWildcardStartBeforeFirstMatch: start before any match", async () => {
      const s = await open();
      for (let i = 0; i < 100; i++) await s.storeMsg("bar", null, null);
      await s.storeMsg("foo.1", null, null);
      expect(s.loadNextMsg("foo.*", true, 1).seq).toBe(101);
    });

    test("TestStoreMsgLoadNextMsgMulti: any of several filters", async () => {
      const s = await open();
      for (let i = 0; i < 1000; i++) await s.storeMsg(`foo.${i}`, null, enc("ok"));
      for (let i = 0; i < 1000; i++) await s.storeMsg(`bar.${i}`, null, enc("ok"));
      expect(s.loadNextMsgMulti(["foo.7", "bar.2"], 1).seq).toBe(8);
      expect(s.loadNextMsgMulti(["foo.7", "bar.2"], 9).seq).toBe(1003);
      expect(s.loadNextMsgMulti(["baz.*", "bar.99"], 1).seq).toBeGreaterThan(0);
      expectStoreError(() => s.loadNextMsgMulti(["foo.7"], 9), "StoreEOF");
    });

    test("TestStoreMsgLoadPrevMsg: backwards by filter", async () => {
      const s = await open();
      for (let i = 1; i <= 100; i++) await s.storeMsg(i % 2 ? "odd" : "even", null, null);
      expect(s.loadPrevMsg("odd", false, 100).seq).toBe(99);
      expect(s.loadPrevMsg("even", false, 100).seq).toBe(100);
      expect(s.loadPrevMsg(">", true, 1000).seq).toBe(100);
      expect(s.loadPrevMsg("*", true, 50).seq).toBe(50);
      s.removeMsg(99);
      expect(s.loadPrevMsg("odd", false, 100).seq).toBe(97);
      expectStoreError(() => s.loadPrevMsg("even", false, 1), "StoreEOF");
    });

    test("TestStoreSubjectStateConsistency: per-subject first/last follow removals", async () => {
      const s = await open();
      for (let i = 0; i < 3; i++) await s.storeMsg("foo", null, null);
      await s.storeMsg("bar", null, null);
      expect(s.subjectsState("foo").get("foo")).toEqual({ msgs: 3, first: 1, last: 3 });
      s.removeMsg(1);
      expect(s.subjectsState("foo").get("foo")).toEqual({ msgs: 2, first: 2, last: 3 });
      s.removeMsg(3);
      expect(s.subjectsState("foo").get("foo")).toEqual({ msgs: 1, first: 2, last: 2 });
      expect(s.loadLastMsg("foo").seq).toBe(2);
      s.removeMsg(2);
      expect(s.subjectsState("foo").size).toBe(0);
      expectStoreError(() => s.loadLastMsg("foo"), "MsgNotFound");
      expect(s.loadLastMsg("*").seq).toBe(4);
    });

    test("TestStoreMaxMsgsPerUpdateBug: lowering max_msgs_per_subject trims every subject", async () => {
      const s = await open();
      for (let i = 0; i < 5; i++) for (const x of ["a", "b"]) await s.storeMsg(x, null, null);
      s.updateConfig({ max_msgs_per_subject: 1 });
      expect(s.state().msgs).toBe(2);
      expect(s.loadLastMsg("a").seq).toBe(9);
      expect(s.loadLastMsg("b").seq).toBe(10);
    });

    test("TestStoreCompactCleansUpDmap / TestStoreTruncateCleansUpDmap: no stale deletes", async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, null);
      s.removeMsg(3);
      s.removeMsg(8);
      s.compact(5);
      expect(s.state()).toMatchObject({ firstSeq: 5, msgs: 5, numDeleted: 1, deleted: [8] });
      s.truncate(7);
      expect(s.state()).toMatchObject({ firstSeq: 5, lastSeq: 7, msgs: 3, numDeleted: 0 });
      expect(s.state().deleted).toBeUndefined();
    });

    test("TestStoreStreamInteriorDeleteAccounting: removing first and interior", async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, enc("x"));
      s.removeMsg(5);
      s.removeMsg(1);
      const st = s.fastState();
      expect([st.firstSeq, st.msgs, st.numDeleted, st.bytes]).toEqual([2, 8, 1, 8 * h.msgSize("foo", null, enc("x"))]);
    });

    test("TestStoreMaxMsgsPerUpdateToOneRemoveNewest: lowering to one keeps the newest live message", async () => {
      const s = await open({ max_msgs_per_subject: -1 });
      await s.storeMsg("foo.0", null, null);
      const msg = Buffer.alloc(8 * 1024);
      const fill = async () => {
        for (let i = 1; i <= 9; i++) await s.storeMsg(`foo.${i}`, null, msg);
      };
      await fill();
      const nseq = (await s.storeMsg("foo.0", null, null)).seq;
      await fill();
      const lseq = (await s.storeMsg("foo.0", null, null)).seq;
      expect(s.removeMsg(lseq)).toBe(true);
      s.updateConfig({ max_msgs_per_subject: 1 });
      expect(s.subjectsState("foo.0").get("foo.0")).toEqual({ msgs: 1, first: nseq, last: nseq });
      expect(s.loadLastMsg("foo.0").seq).toBe(nseq);
      expect(s.loadNextMsg("foo.0", false, 0).seq).toBe(nseq);
    });

    test("TestStoreCompactFullyDeletedRange: compacting over deleted messages empties the store", async () => {
      const s = await open();
      for (let i = 0; i < 3; i++) await s.storeMsg("foo", null, null);
      s.removeMsg(2);
      s.removeMsg(3);
      expect(s.state()).toMatchObject({ firstSeq: 1, lastSeq: 3 });
      s.compact(2);
      expect(s.state()).toMatchObject({ msgs: 0, lastSeq: 3, firstSeq: 4, firstTime: 0n });
    });

    test("TestStoreSkipMsgsCarryForwardLastTime: skips keep the last message time", async () => {
      const s = await open();
      const old = (BigInt(Date.now()) - 30n * 86_400_000n) * 1_000_000n;
      await s.storeRawMsg("foo", null, null, 1, old);
      expect(s.fastState()).toMatchObject({ lastSeq: 1, lastTime: old });
      s.skipMsgs(2, 10);
      expect(s.fastState()).toMatchObject({ lastSeq: 11, lastTime: old });
      expect(s.skipMsg(12)).toBe(12);
      s.skipMsgs(13, 5);
      expect(s.fastState()).toMatchObject({ lastSeq: 17, lastTime: old });
      const newer = old + 15n * 86_400_000_000_000n;
      await s.storeRawMsg("foo", null, null, 18, newer);
      expect(s.getSeqFromTime(old)).toBe(1);
      expect(s.getSeqFromTime(old + 5n * 86_400_000_000_000n)).toBe(18);
      expect(s.getSeqFromTime(newer)).toBe(18);
    });

    test("TestStoreSkipMsgsCarryForwardLastTimeFromEmpty: first skip sets the last time once", async () => {
      const clock = new ManualClock(5_000_000_000n);
      const s = await open({}, { clock });
      expect(s.fastState()).toMatchObject({ lastSeq: 0, lastTime: 0n });
      s.skipMsgs(1, 5);
      expect(s.fastState()).toMatchObject({ lastSeq: 5, lastTime: 5_000_000_000n });
      clock.advance(1_000_000_000n);
      expect(s.skipMsg(0)).toBe(6);
      expect(s.fastState()).toMatchObject({ lastSeq: 6, lastTime: 5_000_000_000n });
    });

    test("TestStoreGetSeqFromTimeWithTrailingDeletes: time lookup ignores removed tail", async () => {
      const s = await open();
      const ts: bigint[] = [];
      for (let i = 0; i < 3; i++) ts.push((await s.storeMsg("foo", null, null)).ts);
      s.removeMsg(3);
      expect(s.getSeqFromTime(ts[1])).toBe(2);
    });

    test("TestStoreNumPendingLastPerSubjectExcludeOvercount: last-per-subject counts each subject once", async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) await s.storeMsg("foo.A", null, enc("x"));
      await s.storeMsg("foo.B", null, enc("x"));
      await s.storeMsg("foo.C", null, enc("x"));
      s.skipMsgs(13, 87);
      await s.storeMsg("foo.B", null, enc("x"));
      s.skipMsgs(101, 899);
      await s.storeMsg("foo.C", null, enc("x"));
      expect(s.numPending(13, "foo.*", true).total).toBe(2);
    });

    test(`${go("TestMemStoreNumPendingBug", null)}: numPending from an interior sequence`, async () => {
      const s = await open();
      for (const subj of ["foo.foo", "foo.bar", "foo.baz", "foo.zzz"]) {
        await s.storeMsg("foo.aaa", null, null);
        await s.storeMsg(subj, null, null);
        await s.storeMsg(subj, null, null);
      }
      expect(s.numPending(4, "foo.*", false).total).toBe(9);
    });

    test(`${go("TestMemStorePurgeLeaksDmap", null)}: purge clears interior deletes`, async () => {
      const s = await open();
      for (let i = 0; i < 10; i++) await s.storeMsg("foo", null, null);
      for (let i = 2; i <= 9; i++) s.removeMsg(i);
      expect(s.state().deleted).toHaveLength(8);
      expect(s.purge()).toBe(2);
      expect(s.state().deleted).toBeUndefined();
      expect(s.state().numDeleted).toBe(0);
    });

    test(`${go("TestMemStoreMultiLastSeqsDoesNotUseStaleLastValue", null)}: last sequence follows removals`, async () => {
      const s = await open();
      for (const x of ["foo", "bar", "foo", "baz", "foo", "foo", "bar", "foo", "bar", "baz"]) await s.storeMsg(x, null, null);
      expect(s.multiLastSeqs(["foo", "bar"], 0, 0)).toEqual([8, 9]);
      expect(s.removeMsg(8)).toBe(true);
      expect(s.multiLastSeqs(["foo", "bar"], 0, 0)).toEqual([6, 9]);
    });

    test("TestStoreMsgLoadPrevMsgMulti: backwards over several filters", async () => {
      const s = await open();
      for (let i = 1; i <= 1000; i++) await s.storeMsg(`foo.${i}`, null, enc("ZZZ"));
      const filters = ["foo.5", "foo.15", "foo.105"];
      let count = 0;
      for (let seq = s.fastState().lastSeq; seq > 5; seq--) {
        const r = s.loadPrevMsgMulti(filters, seq);
        expect(r.msg.subject).toBe(`foo.${r.seq}`);
        seq = r.seq;
        count++;
      }
      expectStoreError(() => s.loadPrevMsgMulti(filters, 4), "StoreEOF");
      expect(count).toBe(3);
    });

    test("TestStoreMsgLoadPrevMsgMultiFullWildcardSkip: full wildcard walks every message back", async () => {
      const s = await open();
      for (let i = 1; i <= 10; i++) await s.storeMsg(`foo.${i}`, null, enc("ZZZ"));
      const got: number[] = [];
      for (let seq = 10; ; ) {
        let r;
        try {
          r = s.loadPrevMsgMulti([">"], seq);
        } catch (e) {
          expect((e as StoreError).code).toBe("StoreEOF");
          expect((e as StoreError).skip).toBe(1);
          break;
        }
        got.push(r.seq);
        seq = r.seq - 1;
      }
      expect(got).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    });

    test("TestStoreMultiLastMsgs: last message per subject with bounds and early stop", async () => {
      const s = await open();
      for (let r = 0; r < 3; r++) for (let i = 0; i < 10; i++) await s.storeMsg(`foo.${i}`, null, null);
      const load = (filters: string[], minSeq: number, maxSeq: number, maxAllowed: number, stopAfter: number) => {
        const msgs: [number, number][] = [];
        const res = s.multiLastMsgs(filters, minSeq, maxSeq, maxAllowed, (m, np) => {
          msgs.push([m.seq, np]);
          return stopAfter === 0 || msgs.length < stopAfter;
        });
        return { msgs, ...res };
      };
      let r = load(["foo.*"], 0, 0, -1, 0);
      expect([r.total, r.numPending]).toEqual([10, 0]);
      expect(r.msgs).toEqual(Array.from({ length: 10 }, (_, i) => [21 + i, 9 - i]));
      r = load(["foo.*"], 26, 0, -1, 0);
      expect([r.total, r.numPending]).toEqual([10, 0]);
      expect(r.msgs).toEqual(Array.from({ length: 5 }, (_, i) => [26 + i, 4 - i]));
      r = load(["foo.*"], 0, 25, -1, 0);
      expect(r.msgs.map(([seq]) => seq)).toEqual(Array.from({ length: 10 }, (_, i) => 16 + i));
      r = load(["foo.*"], 0, 0, -1, 3);
      expect([r.total, r.numPending, r.msgs.length]).toEqual([10, 7, 3]);
      expectStoreError(() => load(["foo.*"], 0, 0, 5, 0), "TooManyResults");
      r = load(["bar.>"], 0, 0, -1, 0);
      expect([r.total, r.msgs.length]).toEqual([0, 0]);
    });

    test("TestStoreSkipMsgNoInterestAdvancesLastTime: no-interest skips move the last time", async () => {
      const clock = new ManualClock();
      const s = await open({}, { clock });
      expect(s.skipMsgNoInterest(0)).toBe(1);
      const first = s.fastState().lastTime;
      expect(s.fastState()).toMatchObject({ msgs: 0, lastSeq: 1 });
      clock.advance(1_000_000n);
      expect(s.skipMsgNoInterest(0)).toBe(2);
      expect(s.fastState()).toMatchObject({ msgs: 0, lastSeq: 2 });
      expect(s.fastState().lastTime > first).toBe(true);
    });

    test(`${go("TestMemStoreNumPendingMulti", null)}: numPendingMulti against a scan`, async () => {
      const s = await open();
      const rnd = prng(31);
      const subjects = Array.from({ length: 500 }, (_, i) => `ev.${i}`);
      for (let i = 0; i < 5000; i++) await s.storeMsg(subjects[rnd(subjects.length)], null, null);
      const filters = Array.from({ length: 50 }, () => subjects[rnd(subjects.length)]);
      const wanted = new Set(filters);
      const start = 1000 + rnd(3000);
      let expected = 0;
      const lastSeen = new Set<string>();
      for (let seq = start; seq <= 5000; seq++) {
        const subj = s.subjectForSeq(seq);
        if (wanted.has(subj)) {
          expected++;
          lastSeen.add(subj);
        }
      }
      expect(s.numPendingMulti(start, filters, false).total).toBe(expected);
      expect(s.numPendingMulti(start, filters, true).total).toBe(lastSeen.size);
    });

    test("TestStoreSubjectStateConsistencyOptimization: subject state stays exact through removals", async () => {
      const s = await open();
      const fill = async (n: number) => {
        for (let i = 0; i < n; i++) await s.storeMsg("foo", null, null);
      };
      const remove = (...seqs: number[]) => seqs.forEach((q) => expect(s.removeMsg(q)).toBe(true));
      const expectSeq = (seq: number) => {
        expect(s.loadNextMsg("foo", false, 0).seq).toBe(seq);
        expect(s.loadLastMsg("foo").seq).toBe(seq);
        expect(s.subjectsState("foo").get("foo")).toEqual({ msgs: 1, first: seq, last: seq });
      };
      await fill(3);
      remove(2, 1);
      expectSeq(3);
      await fill(2);
      remove(3, 5);
      expectSeq(4);
      await fill(2);
      remove(7, 4);
      expectSeq(6);
      await fill(2);
      remove(9, 8);
      expectSeq(6);
    });

    test(`${go("TestMemStoreNextLiteralMatch", null)}: literal filters find their next message only`, async () => {
      const s = await open();
      const storeN = async (subj: string, n: number) => {
        for (let i = 0; i < n; i++) await s.storeMsg(subj, null, enc("msg"));
      };
      await storeN("foo.bar.a", 1);
      await storeN("foo.baz.bar", 10);
      await storeN("foo.bar.b", 1);
      await storeN("foo.baz.bar", 10);
      await storeN("foo.baz.bar.no.match", 10);
      expect(s.loadNextMsg("foo.bar.a", false, 0).seq).toBe(1);
      expectStoreError(() => s.loadNextMsg("foo.bar.a", false, 2), "StoreEOF");
      expect(s.loadNextMsg("foo.baz.bar", false, 1).seq).toBe(2);
      expect(s.loadNextMsg("foo.baz.bar", false, 11).seq).toBe(11);
      expect(s.loadNextMsg("foo.baz.bar", false, 12).seq).toBe(13);
      expect(s.loadNextMsg("foo.baz.bar", false, 22).seq).toBe(22);
      expectStoreError(() => s.loadNextMsg("foo.baz.bar", false, 23), "StoreEOF");
      expectStoreError(() => s.loadNextMsg("foo.nope", false, 1), "StoreEOF");
      expect(s.filteredState(1, "foo.baz.bar")).toEqual({ msgs: 20, first: 2, last: 22 });
    });

    test("storage update callback reports deltas", async () => {
      const s = await open({ max_msgs: 2 });
      const events: [number, number, number, string][] = [];
      s.registerStorageUpdates((m, b, seq, subj) => events.push([m, b, seq, subj]));
      const sz = h.msgSize("foo", null, enc("x"));
      await s.storeMsg("foo", null, enc("x"));
      await s.storeMsg("foo", null, enc("x"));
      await s.storeMsg("foo", null, enc("x"));
      s.purge();
      // As in Go, the limit's removal is reported before the store that caused it.
      expect(events).toEqual([[1, sz, 1, "foo"], [1, sz, 2, "foo"], [-1, -sz, 1, "foo"], [1, sz, 3, "foo"], [-2, -2 * sz, 0, ""]]);
    });

    test("storeRawMsg checks the expected sequence and keeps the given timestamp", async () => {
      const s = await open();
      await s.storeRawMsg("foo", null, enc("a"), 1, 42n);
      await expectRejects(s.storeRawMsg("foo", null, enc("b"), 5, 43n), "SequenceMismatch");
      await s.storeRawMsg("foo", null, enc("c"), 0, 44n);
      expect(s.loadMsg(1).ts).toBe(42n);
      expect(s.loadMsg(2).ts).toBe(44n);
    });

    test("bad input gives typed errors and leaves the store intact", async () => {
      const s = await open({ max_msg_size: 10 });
      await s.storeMsg("ok", null, enc("1"));
      for (const bad of ["", "foo..bar", "foo.*", "foo.>", "a b", ".foo", "foo."]) {
        await expectRejects(s.storeMsg(bad, null, null), "BadSubject");
      }
      await expectRejects(s.storeMsg("ok", null, Buffer.alloc(20)), "MsgTooLarge");
      expectStoreError(() => s.numPending(1, "foo..", false), "BadSubject");
      expect(s.removeMsg(999)).toBe(false);
      expect(s.state()).toMatchObject({ msgs: 1, lastSeq: 1 });
      await s.stop();
      await expectRejects(s.storeMsg("ok", null, null), "StoreClosed");
      expectStoreError(() => s.loadMsg(1), "StoreClosed");
      expectStoreError(() => s.removeMsg(1), "StoreClosed");
    });

    test(`${go("TestMemStoreNumPendingMulti", "TestFileStoreNumPendingMulti")}: numPendingMulti over thousands of literal filters matches a scan`, async () => {
      const s = await open();
      const rnd = prng(31);
      const subjects = Array.from({ length: 2_000 }, (_, i) => `ev.${i.toString(36)}x${rnd(1e6)}`);
      const msg = Buffer.from("ZZZ".repeat(333));
      const stored: Promise<unknown>[] = [];
      for (let i = 0; i < 20_000; i++) stored.push(s.storeMsg(subjects[rnd(subjects.length)], null, msg));
      await Promise.all(stored);
      const filters = new Set<string>();
      while (filters.size < 1_000) filters.add(subjects[rnd(subjects.length)]);
      const start = 1_000 + rnd(18_000);
      let expected = 0;
      for (let seq = start; seq <= 20_000; seq++) if (filters.has(s.loadMsg(seq).subject)) expected++;
      expect(s.numPendingMulti(start, [...filters], false).total).toBe(expected);
    });

    test("TestFileStoreMultiLastSeqsAndLoadLastMsgWithLazySubjectState: last sequences follow removals and new stores", async () => {
      const s = await open();
      for (let i = 0; i < 3; i++) await s.storeMsg("foo", null, null);
      expect(s.multiLastSeqs(["foo"], 0, 0)).toEqual([3]);
      expect(s.removeMsg(3)).toBe(true);
      expect(s.multiLastSeqs(["foo"], 0, 0)).toEqual([2]);
      await s.storeMsg("foo", null, null);
      expect(s.loadLastMsg("foo").seq).toBe(4);
      expect(s.removeMsg(4)).toBe(true);
      expect(s.loadLastMsg("foo").seq).toBe(2);
    });

    test("NaN or infinite limits are refused with BadConfig (at open and in updateConfig), fractional ones rounded down", async () => {
      for (const key of ["max_msgs", "max_bytes", "max_age", "max_msgs_per_subject", "max_msg_size", "first_seq"] as const) {
        for (const v of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          await expect(open({ [key]: v })).rejects.toMatchObject({ code: "BadConfig" });
        }
      }
      const clock = new ManualClock();
      const s = await open({ max_age: 1.5e9 + 0.5 }, { clock });
      await s.storeMsg("a", null, enc("x"));
      expect(() => s.updateConfig({ max_age: Number.POSITIVE_INFINITY })).toThrow(expect.objectContaining({ code: "BadConfig" }));
      // The earlier limit still holds: the message expires after 1.5 s.
      clock.advance(1_600_000_000n);
      expect(s.state().msgs).toBe(0);
    });

    test("out-of-range sequences and counts (truncate(-1), compact(-1), NaN, Infinity, 1.5, 2^53) throw BadSequence at once and change nothing", async () => {
      const s = await open({ allow_msg_ttl: true });
      for (let i = 0; i < 6; i++) await s.storeMsg(i % 2 ? "a" : "b.c", null, enc("x"));
      s.removeMsg(3);
      const calls: [string, (v: number) => unknown][] = [
        ["truncate", (v) => s.truncate(v)],
        ["compact", (v) => s.compact(v)],
        ["skipMsg", (v) => s.skipMsg(v)],
        ["skipMsgs seq", (v) => s.skipMsgs(v, 1)],
        ["skipMsgs count", (v) => s.skipMsgs(0, v)],
        ["skipMsgNoInterest", (v) => s.skipMsgNoInterest(v)],
        ["removeMsg", (v) => s.removeMsg(v)],
        ["eraseMsg", (v) => s.eraseMsg(v)],
        ["purgeEx seq", (v) => s.purgeEx("a", v, 0)],
        ["purgeEx keep", (v) => s.purgeEx("a", 0, v)],
        ["loadMsg", (v) => s.loadMsg(v)],
        ["loadNextMsg", (v) => s.loadNextMsg(">", true, v)],
        ["loadNextMsgMulti", (v) => s.loadNextMsgMulti(["a"], v)],
        ["loadPrevMsg", (v) => s.loadPrevMsg("a", false, v)],
        ["loadPrevMsgMulti", (v) => s.loadPrevMsgMulti(["b.*"], v)],
        ["multiLastMsgs", (v) => s.multiLastMsgs([">"], v, 0, 0, () => true)],
        ["multiLastSeqs", (v) => s.multiLastSeqs([">"], v, 0)],
        ["subjectForSeq", (v) => s.subjectForSeq(v)],
        ["filteredState", (v) => s.filteredState(v, ">")],
        ["numPending", (v) => s.numPending(v, ">", true)],
        ["numPendingMulti", (v) => s.numPendingMulti(v, ["a"], false)],
      ];
      const before = s.state();
      for (const [name, call] of calls) {
        for (const v of [-1, -1000, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5, 2 ** 53, 1e300]) {
          const t0 = performance.now();
          expect(() => call(v), `${name}(${v})`).toThrow(expect.objectContaining({ code: "BadSequence" }));
          expect(performance.now() - t0, `${name}(${v}) returned promptly`).toBeLessThan(1000);
        }
      }
      // Sequences that would run past 2^53 are refused too.
      expectStoreError(() => s.skipMsgs(0, Number.MAX_SAFE_INTEGER), "BadSequence");
      // Limits and TTLs are signed, but must still be whole numbers.
      expectStoreError(() => s.multiLastSeqs([">"], 0, Number.NaN), "BadSequence");
      await expectRejects(s.storeMsg("a", null, enc("x"), 1.5), "BadSequence");
      await expectRejects(s.storeMsg("a", null, enc("x"), Number.POSITIVE_INFINITY), "BadSequence");
      await expectRejects(s.storeRawMsg("a", null, enc("x"), -1, 1n), "BadSequence");
      expect(s.state()).toEqual(before);
      // Valid edge values still work: past the end is a no-op or EOF, never a hang.
      s.truncate(1e15);
      expect(s.compact(0)).toBe(5);
      expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 7, lastSeq: 6 });
      expect(s.compact(2 ** 40)).toBe(0);
      expect(s.state()).toMatchObject({ msgs: 0, firstSeq: 2 ** 40, lastSeq: 2 ** 40 - 1 });
      expect((await s.storeMsg("a", null, enc("y"))).seq).toBe(2 ** 40);
    });
  });
}

storeConformance({
  kind: "MemStore",
  open: async (cfg, opts) => new MemStore(cfg, opts),
  msgSize: (subj, hdr, msg) => Buffer.byteLength(subj) + (hdr?.length ?? 0) + (msg?.length ?? 0) + 16,
});

// FileStore with small blocks so that rotation, cross-block removal and compaction are
// exercised. "interval" keeps thousands of sequential awaits fast; sync "always" has its
// own tests in filestore.test.ts.
storeConformance({
  kind: "FileStore",
  open: (cfg, opts) => FileStore.open({ ...cfg, dir: tempDir(), block_size: 16384, sync: "interval" }, opts),
  msgSize: (subj, hdr, msg) => fileStoreMsgSize(Buffer.byteLength(subj), hdr?.length ?? 0, msg?.length ?? 0),
});
