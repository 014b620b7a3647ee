import fc from "fast-check";
import { expect, test } from "vitest";
import { FileStore, MemStore, type StreamState } from "../src/index.js";
import { tempDir } from "./helpers.js";

// Model-based check: random operation sequences run on MemStore (the model) and FileStore
// side by side, with FileStore restarts in between; every observable must agree, and a
// restarted FileStore must come back exactly as it was.

const subjects = ["a", "b.1", "b.2", "c.x.y"];

type Op =
  | { op: "store"; subj: number; size: number }
  | { op: "remove"; at: number }
  | { op: "erase"; at: number }
  | { op: "purge" }
  | { op: "purgeEx"; subj: number; keep: number }
  | { op: "compact"; at: number }
  | { op: "truncate"; at: number }
  | { op: "skip"; n: number }
  | { op: "burst"; n: number }
  | { op: "reopen" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant("store" as const), subj: fc.nat(3), size: fc.nat(300) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("remove" as const), at: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("erase" as const), at: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.constant({ op: "purge" as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("purgeEx" as const), subj: fc.nat(3), keep: fc.nat(3) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("compact" as const), at: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("truncate" as const), at: fc.nat(100) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("skip" as const), n: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("burst" as const), n: fc.integer({ min: 2, max: 40 }) }) },
  { weight: 2, arbitrary: fc.constant({ op: "reopen" as const }) },
);

const comparable = (s: StreamState) => ({ msgs: s.msgs, firstSeq: s.firstSeq, lastSeq: s.lastSeq, numSubjects: s.numSubjects, deleted: s.deleted ?? [] });

test("MemStore and FileStore agree on random operation sequences, across restarts", async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 5, maxLength: 60 }), fc.boolean(), fc.boolean(), fc.boolean(), async (ops, compressed, limited, always) => {
      const limits = limited ? { max_msgs: 25 } : {};
      const cfg = { dir: tempDir(), sync: always ? ("always" as const) : ("interval" as const), block_size: 600, max_msgs_per_subject: 20, ...limits, ...(compressed ? { compression: "s2" as const } : {}) };
      const mem = new MemStore({ max_msgs_per_subject: 20, ...limits });
      let file = await FileStore.open(cfg);
      let n = 0;
      try {
        for (const o of ops) {
          const st = mem.state();
          const span = Math.max(1, st.lastSeq - st.firstSeq + 2);
          switch (o.op) {
            case "store": {
              const body = Buffer.alloc(o.size, n++ & 0xff);
              const ts = BigInt(n) * 1000n;
              await mem.storeRawMsg(subjects[o.subj], null, body, 0, ts);
              await file.storeRawMsg(subjects[o.subj], null, body, 0, ts);
              break;
            }
            case "remove":
            case "erase": {
              const seq = st.firstSeq + (o.at % span);
              expect(file[o.op === "remove" ? "removeMsg" : "eraseMsg"](seq)).toBe(mem[o.op === "remove" ? "removeMsg" : "eraseMsg"](seq));
              break;
            }
            case "purge":
              expect(file.purge()).toBe(mem.purge());
              break;
            case "purgeEx":
              expect(file.purgeEx(subjects[o.subj], 0, o.keep)).toBe(mem.purgeEx(subjects[o.subj], 0, o.keep));
              break;
            case "compact": {
              const seq = st.firstSeq + (o.at % span);
              expect(file.compact(seq)).toBe(mem.compact(seq));
              break;
            }
            case "truncate": {
              if (st.lastSeq === 0) break;
              const seq = Math.max(1, st.lastSeq - (o.at % 10));
              mem.truncate(seq);
              file.truncate(seq);
              break;
            }
            case "burst": {
              // Concurrent stores sharing group commits.
              const batch = Array.from({ length: o.n }, (_, k) => ({ subj: subjects[(n + k) % subjects.length], body: Buffer.alloc(k * 7, n + k), ts: BigInt(n + k + 1) * 1000n }));
              n += o.n;
              await Promise.all(batch.map((b) => mem.storeRawMsg(b.subj, null, b.body, 0, b.ts)));
              await Promise.all(batch.map((b) => file.storeRawMsg(b.subj, null, b.body, 0, b.ts)));
              break;
            }
            case "skip":
              mem.skipMsgs(0, o.n);
              file.skipMsgs(0, o.n);
              break;
            case "reopen": {
              const before = file.state();
              await file.stop();
              file = await FileStore.open(cfg);
              expect(file.state()).toEqual(before);
              break;
            }
          }
          expect(comparable(file.state())).toEqual(comparable(mem.state()));
        }
        await file.flushAllPending();
        const final = mem.state();
        for (let seq = final.firstSeq; seq <= final.lastSeq; seq++) {
          let want: Buffer | undefined;
          try {
            want = Buffer.from(mem.loadMsg(seq).msg);
          } catch {
            expect(() => file.loadMsg(seq)).toThrow();
            continue;
          }
          expect(Buffer.from(file.loadMsg(seq).msg).equals(want)).toBe(true);
        }
        expect(file.subjectsTotals(">")).toEqual(mem.subjectsTotals(">"));
      } finally {
        await file.stop();
      }
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 100), seed: Number(process.env.MODEL_SEED ?? 1) },
  );
}, 200_000);

test("removals, erases, truncates and compactions racing slow in-flight writes leave disk and memory agreeing", async () => {
  const { defaultFsOps } = await import("../src/file/fs-ops.js");
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 10, maxLength: 80 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 1_000_000 }), async (ops, compressed, always, seed) => {
      // Every asynchronous write completes a few timer turns late, so the store keeps
      // appending, removing and rewriting blocks while earlier writes are still in flight.
      let x = seed;
      const delay = () => ((x = (x * 1103515245 + 12345) % 2147483648) % 3);
      const fs = { ...defaultFsOps, write: (...a: Parameters<typeof defaultFsOps.write>) => void setTimeout(() => defaultFsOps.write(...a), delay()) };
      const cfg = { dir: tempDir(), sync: always ? ("always" as const) : ("interval" as const), block_size: 600, ...(compressed ? { compression: "s2" as const } : {}) };
      const mem = new MemStore({});
      const file = await FileStore.open(cfg, { fs });
      const pending: Promise<unknown>[] = [];
      let n = 0;
      try {
        for (const o of ops) {
          const st = mem.state();
          const span = Math.max(1, st.lastSeq - st.firstSeq + 2);
          switch (o.op) {
            case "store":
            case "burst": {
              const count = o.op === "store" ? 1 : o.n;
              for (let k = 0; k < count; k++) {
                const body = Buffer.alloc(o.op === "store" ? o.size : k * 7, n & 0xff);
                const ts = BigInt(++n) * 1000n;
                await mem.storeRawMsg(subjects[n % subjects.length], null, body, 0, ts);
                pending.push(file.storeRawMsg(subjects[n % subjects.length], null, body, 0, ts));
              }
              break;
            }
            case "remove":
            case "erase": {
              const seq = st.firstSeq + (o.at % span);
              const method = o.op === "remove" ? "removeMsg" : "eraseMsg";
              expect(file[method](seq)).toBe(mem[method](seq));
              break;
            }
            case "purge":
              expect(file.purge()).toBe(mem.purge());
              break;
            case "purgeEx":
              expect(file.purgeEx(subjects[o.subj], 0, o.keep)).toBe(mem.purgeEx(subjects[o.subj], 0, o.keep));
              break;
            case "compact": {
              const seq = st.firstSeq + (o.at % span);
              expect(file.compact(seq)).toBe(mem.compact(seq));
              break;
            }
            case "truncate": {
              if (st.lastSeq === 0) break;
              const seq = Math.max(1, st.lastSeq - (o.at % 10));
              mem.truncate(seq);
              file.truncate(seq);
              break;
            }
            case "skip":
              mem.skipMsgs(0, o.n);
              file.skipMsgs(0, o.n);
              break;
            case "reopen":
              // Let some writes land before the next operation.
              await new Promise((r) => setTimeout(r, delay()));
              break;
          }
          expect(comparable(file.state())).toEqual(comparable(mem.state()));
        }
        await Promise.all(pending);
        await file.flushAllPending();
        const before = file.state();
        await file.stop();
        const again = await FileStore.open(cfg);
        try {
          expect(again.warnings).toEqual([]);
          expect(again.state()).toEqual(before);
          const final = mem.state();
          for (let seq = final.firstSeq; seq <= final.lastSeq; seq++) {
            let want: Buffer | undefined;
            try {
              want = Buffer.from(mem.loadMsg(seq).msg);
            } catch {
              expect(() => again.loadMsg(seq)).toThrow();
              continue;
            }
            expect(Buffer.from(again.loadMsg(seq).msg).equals(want)).toBe(true);
          }
        } finally {
          await again.stop();
        }
      } finally {
        await file.stop();
      }
    }),
    { numRuns: Number(process.env.MODEL_RUNS ?? 60), seed: Number(process.env.MODEL_SEED ?? 3) },
  );
}, 200_000);
