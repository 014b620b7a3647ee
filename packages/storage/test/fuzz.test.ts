import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { decodeConsumerState, FileStore, MemStore, StoreError, type StreamStore } from "../src/index.js";
import { scanRecords } from "../src/file/scan.js";
import { tempDir } from "./helpers.js";

test("scanRecords never throws and never visits a record outside the buffer", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
      const buf = Buffer.from(bytes);
      const { validEnd, damaged } = scanRecords(buf, (off, len) => {
        expect(off + len).toBeLessThanOrEqual(buf.length);
      });
      expect(validEnd).toBeLessThanOrEqual(buf.length);
      for (const d of damaged) expect(d.end).toBeLessThanOrEqual(buf.length);
    }),
    { numRuns: 300 },
  );
});

test("decodeConsumerState rejects arbitrary bytes with StoreError only", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      try {
        decodeConsumerState(Buffer.concat([Buffer.from([22, 2]), Buffer.from(bytes)]));
      } catch (e) {
        expect(e).toBeInstanceOf(StoreError);
      }
    }),
    { numRuns: 500 },
  );
});

test("a store opens over arbitrary block files and serves nothing from them", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 3000 }), { minLength: 1, maxLength: 3 }), async (files) => {
      const dir = tempDir();
      const s0 = await FileStore.open({ dir, sync: "interval" });
      await s0.stop();
      files.forEach((bytes, i) => writeFileSync(join(dir, "msgs", `${i + 2}.blk`), bytes));
      const s = await FileStore.open({ dir, sync: "interval" });
      try {
        expect(s.state().msgs).toBe(0);
        const { seq } = await s.storeMsg("ok", null, Buffer.from("fine"));
        expect(Buffer.from(s.loadMsg(seq).msg).toString()).toBe("fine");
      } finally {
        await s.stop();
      }
    }),
    { numRuns: 40 },
  );
});

// Random calls of the whole StreamStore API with arguments from anywhere on the number line
// (negative, fractional, NaN, infinite, past 2^53): every call returns or throws a StoreError
// promptly, and the store's counters stay consistent (also across a FileStore restart).
const anyNumber = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.constantFrom(-1, -1000, 0.5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2 ** 53, 2 ** 60, 1e300, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER - 2),
);
const anySubject = fc.constantFrom("a", "b.c", "b.*", ">", "", "a..b", "x y");
type Call = (s: StreamStore, n: number, m: number, subj: string) => unknown;
const calls: Call[] = [
  (s, n, _m, subj) => s.storeMsg(subj, null, Buffer.alloc(n >= 0 && n < 100 ? n : 3), n),
  (s, n, m, subj) => s.storeRawMsg(subj, null, Buffer.from("r"), n, BigInt(Number.isSafeInteger(m) ? m : 0), 0),
  (s, n) => s.skipMsg(n),
  (s, n, m) => s.skipMsgs(n, m),
  (s, n) => s.skipMsgNoInterest(n),
  (s, n) => s.removeMsg(n),
  (s, n) => s.eraseMsg(n),
  (s) => s.purge(),
  (s, n, m, subj) => s.purgeEx(subj, n, m),
  (s, n) => s.compact(n),
  (s, n) => s.truncate(n),
  (s, n) => s.loadMsg(n),
  (s, n, _m, subj) => s.loadNextMsg(subj, true, n),
  (s, n, _m, subj) => s.loadPrevMsg(subj, true, n),
  (s, _n, _m, subj) => s.loadLastMsg(subj),
  (s, n, m, subj) => s.multiLastSeqs([subj], n, m),
  (s, n, m, subj) => s.multiLastMsgs([subj], n, m, 0, () => true),
  (s, n, _m, subj) => s.numPending(n, subj, n % 2 === 0),
  (s, n, _m, subj) => s.numPendingMulti(n, [subj, "a"], false),
  (s, n, _m, subj) => s.filteredState(n, subj),
  (s, _n, _m, subj) => s.subjectsState(subj),
  (s, _n, _m, subj) => s.subjectsTotals(subj),
  (s, n) => s.subjectForSeq(n),
  (s, n) => s.getSeqFromTime(BigInt(Number.isSafeInteger(n) ? n : 0)),
  (s, n, m) => s.updateConfig({ max_msgs: n, max_msgs_per_subject: m }),
];

/** `p`, or a rejection (not a StoreError) when it has not settled after `ms`. */
async function settlesWithin<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function consistent(s: StreamStore): void {
  // Counters only: a skipped range of 2^53 sequences would make state() list 2^24 of them.
  const st = s.fastState();
  for (const v of [st.msgs, st.bytes, st.firstSeq, st.lastSeq, st.numDeleted]) expect(Number.isSafeInteger(v) && v >= 0).toBe(true);
  if (st.msgs > 0) expect(st.msgs).toBe(st.lastSeq - st.firstSeq + 1 - st.numDeleted);
  // Empty: the next sequence is firstSeq (a store that never held anything says 0 and 0).
  else expect(st.firstSeq === st.lastSeq + 1 || (st.firstSeq === 0 && st.lastSeq === 0)).toBe(true);
}

for (const kind of ["MemStore", "FileStore"] as const) {
  test(`${kind}: random API calls with arguments anywhere on the number line return or throw StoreError promptly`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(calls.length - 1), anyNumber, anyNumber, anySubject), { minLength: 5, maxLength: 40 }), async (steps) => {
        const dir = tempDir();
        const cfg = { dir, sync: "interval" as const, block_size: 512, allow_msg_ttl: true };
        const s: StreamStore = kind === "MemStore" ? new MemStore({ allow_msg_ttl: true }) : await FileStore.open(cfg);
        try {
          for (const [i, n, m, subj] of steps) {
            const t0 = performance.now();
            try {
              const r = calls[i](s, n, m, subj);
              if (r instanceof Promise) await settlesWithin(r, 2_000, `call ${i}(${n}, ${m}, ${JSON.stringify(subj)})`);
            } catch (e) {
              if (!(e instanceof StoreError)) throw e;
            }
            expect(performance.now() - t0).toBeLessThan(2_000);
            consistent(s);
          }
          if (s instanceof FileStore) {
            await settlesWithin(s.flushAllPending(), 2_000, "flushAllPending");
            const stateOf = (x: StreamStore) => {
              const st = x.fastState();
              return st.numDeleted <= 100_000 ? x.state() : st;
            };
            const before = stateOf(s);
            await settlesWithin(s.stop(), 2_000, "stop");
            const again = await FileStore.open(cfg);
            try {
              expect(stateOf(again)).toEqual(before);
            } finally {
              await again.stop();
            }
          }
        } finally {
          await settlesWithin(s.stop(), 2_000, "final stop");
        }
      }),
      { numRuns: 60 },
    );
  });
}
