import { describe, expect, test } from "vitest";
import { RaftCore } from "../src/core/raft.js";
import { SeededRng } from "../src/core/rng.js";
import type { Entry } from "../src/core/types.js";
import { InvariantChecker, InvariantViolation } from "../src/sim/invariants.js";

function soloLeader(id: string): RaftCore {
  const core = new RaftCore({ id, rng: new SeededRng(1) }, { bootstrap: { voters: [id], observers: [] } });
  core.campaignNow();
  return core;
}

describe("invariant checker", () => {
  test("two leaders in one term break election safety", () => {
    const checker = new InvariantChecker();
    const a = soloLeader("a");
    const b = soloLeader("b");
    expect(a.term).toBe(b.term);
    expect(() => checker.afterStep(new Map([["a", a], ["b", b]]))).toThrow(InvariantViolation);
  });

  test("different entries at the same index and term break log matching", () => {
    const checker = new InvariantChecker();
    const entry = (text: string): Entry => ({ index: 5, term: 2, type: "normal", data: new TextEncoder().encode(text) });
    checker.entriesPersisted("a", [entry("one")], 1);
    expect(() => checker.entriesPersisted("b", [entry("two")], 1)).toThrow(/log matching/);
  });

  test("an entry after a later term, or the same entry after a different term, breaks log matching", () => {
    const checker = new InvariantChecker();
    const e = (index: number, term: number): Entry => ({ index, term, type: "normal", data: new Uint8Array([index]) });
    expect(() => checker.entriesPersisted("a", [e(3, 2), e(4, 1)], 1)).toThrow(/follows a later term/);
    checker.entriesPersisted("b", [e(7, 3)], 2);
    expect(() => checker.entriesPersisted("c", [e(7, 3)], 3)).toThrow(/follows term 3, elsewhere 2/);
  });

  test("a vote changed within a term breaks election safety", () => {
    const checker = new InvariantChecker();
    checker.hardStatePersisted("a", { term: 3, vote: "b", commit: 0, recovering: false });
    expect(() => checker.hardStatePersisted("a", { term: 3, vote: "c", commit: 0, recovering: false })).toThrow(/changed its vote/);
    expect(() => checker.hardStatePersisted("a", { term: 2, vote: null, commit: 0, recovering: false })).toThrow(/term monotonicity/);
  });

  test("applying an entry nobody committed breaks state machine safety", () => {
    const checker = new InvariantChecker();
    expect(() => checker.entryApplied("a", { index: 9, term: 1, type: "normal", data: new Uint8Array() })).toThrow(/state machine safety/);
  });
});
