import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { RunBuilder } from "../src/file/run-builder.js";
import { SeqIndex } from "../src/seq-index.js";
import { SeqList } from "../src/seq-list.js";

/** Every query of a SeqList, against a plain sorted array holding the same sequences. */
function expectSameAs(list: SeqList, model: number[]): void {
  expect(list.count).toBe(model.length);
  expect(list.toArray()).toEqual(model);
  if (model.length > 0) {
    expect(list.first).toBe(model[0]);
    expect(list.last).toBe(model[model.length - 1]);
  }
  for (let i = 0; i < model.length; i++) expect(list.at(i)).toBe(model[i]);
  const probes = new Set([0, 1, ...model, ...model.map((s) => s + 1), ...model.map((s) => s - 1), 2 ** 53 - 2]);
  for (const p of probes) {
    const lb = model.findIndex((s) => s >= p);
    expect(list.lowerBound(p)).toBe(lb < 0 ? model.length : lb);
    expect(list.nextFrom(p)).toBe(lb < 0 ? -1 : model[lb]);
    expect(list.countFrom(p)).toBe(lb < 0 ? 0 : model.length - lb);
    const le = model.filter((s) => s <= p);
    expect(list.prevFrom(p)).toBe(le.length > 0 ? le[le.length - 1] : -1);
  }
}

type Op = { kind: "append"; gap: number } | { kind: "insert"; seq: number } | { kind: "removeFirst" } | { kind: "removeAt"; pick: number } | { kind: "removeMissing"; seq: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant("append" as const), gap: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("insert" as const), seq: fc.integer({ min: 1, max: 4000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("removeFirst" as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeAt" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("removeMissing" as const), seq: fc.integer({ min: 1, max: 4000 }) }) },
);

describe("SeqList: sorted sequences of one subject", () => {
  test("any mix of appends, out-of-order inserts and removals answers like a sorted array", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 400 }), (ops) => {
        const list = new SeqList();
        const model: number[] = [];
        let next = 1;
        for (const op of ops) {
          if (op.kind === "append") {
            next += op.gap;
            list.push(next);
            model.push(next);
          } else if (op.kind === "insert") {
            if (model.includes(op.seq)) continue;
            list.push(op.seq);
            model.push(op.seq);
            model.sort((a, b) => a - b);
            next = Math.max(next, op.seq);
          } else if (op.kind === "removeFirst") {
            expect(list.remove(model[0])).toBe(model.length > 0);
            model.shift();
          } else if (op.kind === "removeAt") {
            if (model.length === 0) continue;
            const i = op.pick % model.length;
            expect(list.remove(model[i])).toBe(true);
            model.splice(i, 1);
          } else {
            expect(list.remove(op.seq)).toBe(model.includes(op.seq));
            const i = model.indexOf(op.seq);
            if (i >= 0) model.splice(i, 1);
          }
        }
        expectSameAs(list, model);
      }),
      { numRuns: 300 },
    );
  });

  test("removals from the front (limits, acks) release the buffer instead of keeping it", () => {
    const list = new SeqList();
    for (let s = 1; s <= 100_000; s++) list.push(s);
    const full = list.memoryBytes();
    expect(full).toBeGreaterThanOrEqual(100_000 * 8);
    for (let s = 1; s <= 99_000; s++) list.remove(s);
    expectSameAs(list, Array.from({ length: 1000 }, (_, i) => 99_001 + i));
    // Compaction keeps at most a few times the live entries (not the 100k it once held).
    expect(list.memoryBytes()).toBeLessThanOrEqual(8 * 1000 * 8);
    for (let s = 99_001; s <= 100_000; s++) list.remove(s);
    expect(list.count).toBe(0);
    expect(list.memoryBytes()).toBeLessThan(1024);
    list.push(7);
    expectSameAs(list, [7]);
  });

  test("a subject reused as a queue (push one, remove the oldest) stays small", () => {
    const list = new SeqList();
    list.push(1);
    for (let s = 2; s <= 50_000; s++) {
      list.push(s);
      list.remove(s - 1);
    }
    expectSameAs(list, [50_000]);
    expect(list.memoryBytes()).toBeLessThanOrEqual(4096);
  });

  test("sequences up to 2^53 stay exact", () => {
    const list = new SeqList();
    const big = [2 ** 40, 2 ** 52 + 1, 2 ** 53 - 2];
    for (const s of big) list.push(s);
    expectSameAs(list, big);
  });
});

describe("SeqIndex: per-sequence timestamps, subjects and sizes", () => {
  test("set, clear and queries agree with a map, across chunks and after chunks are dropped", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 20_000 })), { maxLength: 300 }), (ops) => {
        const index = new SeqIndex();
        const model = new Map<number, number>();
        for (const [add, seq] of ops) {
          if (add) {
            index.set(seq, seq % 7, BigInt(seq) * 1000n, seq % 100);
            model.set(seq, seq % 7);
          } else {
            expect(index.clear(seq)).toBe(model.delete(seq));
          }
        }
        const live = [...model.keys()].sort((a, b) => a - b);
        for (const s of live) {
          expect(index.subjectId(s)).toBe(s % 7);
          expect(index.ts(s)).toBe(BigInt(s) * 1000n);
          expect(index.size(s)).toBe(s % 100);
        }
        expect(index.nextLive(0, 20_001)).toBe(live.length > 0 ? live[0] : -1);
        expect(index.prevLive(20_001, 0)).toBe(live.length > 0 ? live[live.length - 1] : -1);
        expect(index.countLive(0, 20_001)).toBe(live.length);
        // Appends after a chunk was emptied and dropped land in a fresh chunk.
        index.set(5, 3, 1n, 1);
        expect(index.subjectId(5)).toBe(3);
      }),
      { numRuns: 200 },
    );
  });
});

describe("RunBuilder: records copied into one buffer for block rewrites", () => {
  test("appends land one after another, past the initial capacity, and bytes() is exactly the run", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 60 }), fc.nat({ max: 2000 }), (records, capacity) => {
        const run = new RunBuilder(capacity);
        const src = Buffer.concat(records.map((r) => Buffer.from(r)));
        let from = 0;
        let expectedAt = 0;
        for (const r of records) {
          expect(run.append(src, from, r.length)).toBe(expectedAt);
          from += r.length;
          expectedAt += r.length;
        }
        expect(run.length).toBe(src.length);
        expect(run.bytes().equals(src)).toBe(true);
        expect(run.bytes().length).toBe(src.length);
      }),
      { numRuns: 200 },
    );
  });

  test("a run that fills its capacity exactly is returned without a copy", () => {
    const run = new RunBuilder(128);
    const src = Buffer.alloc(128, 7);
    run.append(src, 0, 64);
    run.append(src, 64, 64);
    const a = run.bytes();
    expect(run.bytes()).toBe(a);
    expect(a.equals(src)).toBe(true);
  });
});
