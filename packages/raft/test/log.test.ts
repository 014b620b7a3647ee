import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { RaftLog } from "../src/core/log.js";
import type { Entry } from "../src/core/types.js";

const entry = (index: number, term: number): Entry => ({ index, term, type: "normal", data: new Uint8Array() });

describe("RaftLog", () => {
  test("matches a plain array model through appends, conflicting appends and compaction", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("append" as const), count: fc.integer({ min: 1, max: 4 }), bump: fc.boolean() }),
      fc.record({ kind: fc.constant("overwrite" as const), back: fc.integer({ min: 0, max: 5 }), count: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant("compact" as const), back: fc.integer({ min: 0, max: 5 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const log = new RaftLog();
        const model: number[] = []; // model[i] = term of index i + 1
        let compacted = 0;
        let term = 1;
        for (const o of ops) {
          if (o.kind === "append") {
            if (o.bump) term++;
            const ents = Array.from({ length: o.count }, (_, i) => entry(model.length + 1 + i, term));
            log.append(ents);
            for (const e of ents) model.push(e.term);
          } else if (o.kind === "overwrite") {
            const from = Math.max(compacted + 1, model.length + 1 - o.back);
            term++;
            const ents = Array.from({ length: o.count }, (_, i) => entry(from + i, term));
            log.appendFollower(ents);
            model.length = from - 1;
            for (const e of ents) model.push(e.term);
          } else {
            const at = Math.max(compacted, model.length - o.back);
            if (at > compacted) {
              log.compact(at, model[at - 1]);
              compacted = at;
            }
          }
          expect(log.lastIndex()).toBe(model.length);
          expect(log.firstIndex()).toBe(compacted + 1);
          for (let i = compacted + 1; i <= model.length; i++) expect(log.term(i)).toBe(model[i - 1]);
          expect(log.term(model.length + 1)).toBeUndefined();
          if (compacted > 0) expect(log.term(compacted - 1)).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  test("conflictHint skips a whole conflicting term", () => {
    const log = new RaftLog();
    log.append([entry(1, 1), entry(2, 1), entry(3, 3), entry(4, 3), entry(5, 3)]);
    expect(log.conflictHint(5, 2)).toBe(2);
    expect(log.conflictHint(9, 3)).toBe(5);
  });

  test("slice respects byte and count limits but always returns one entry", () => {
    const log = new RaftLog();
    log.append([1, 2, 3].map((i) => ({ index: i, term: 1, type: "normal" as const, data: new Uint8Array(100) })));
    expect(log.slice(1, 3, 150).map((e) => e.index)).toEqual([1]);
    expect(log.slice(1, 3, 10).map((e) => e.index)).toEqual([1]);
    expect(log.slice(1, 3, Infinity, 2).map((e) => e.index)).toEqual([1, 2]);
  });
});
