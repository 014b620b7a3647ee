import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { Entry, Message } from "../src/core/types.js";
import { TestCluster } from "./helpers/cluster.js";

const ids = ["a", "b", "c"];
const id = fc.constantFrom(...ids, "zz");
const small = fc.integer({ min: 0, max: 4 });
const entries = fc.array(
  fc.record({ index: small, term: small, type: fc.constantFrom<Entry["type"]>("normal", "noop", "conf"), data: fc.uint8Array({ maxLength: 8 }) }),
  { maxLength: 4 },
);

/** Arbitrary messages, most of them nonsense: duplicated, stale, out of range, malformed. */
const message: fc.Arbitrary<Message> = fc.oneof(
  fc.record({ type: fc.constant("vote" as const), term: small, from: id, to: id, pre: fc.boolean(), lastIndex: small, lastTerm: small, force: fc.boolean() }),
  fc.record({ type: fc.constant("voteResp" as const), term: small, from: id, to: id, pre: fc.boolean(), granted: fc.boolean() }),
  fc.record({ type: fc.constant("append" as const), term: small, from: id, to: id, prevIndex: small, prevTerm: small, commit: small, leaderLast: small, entries }),
  fc.record({ type: fc.constant("appendResp" as const), term: small, from: id, to: id, index: small, reject: fc.boolean(), hint: small }),
  fc.record({ type: fc.constant("heartbeat" as const), term: small, from: id, to: id, commit: small }),
  fc.record({ type: fc.constant("heartbeatResp" as const), term: small, from: id, to: id }),
  fc.record({
    type: fc.constant("snapshot" as const),
    term: small,
    from: id,
    to: id,
    meta: fc.record({ index: small, term: small, membership: fc.constant({ voters: ids, observers: [] as string[] }) }),
    offset: small,
    total: small,
    data: fc.uint8Array({ maxLength: 6 }),
    done: fc.boolean(),
  }),
  fc.record({ type: fc.constant("snapshotResp" as const), term: small, from: id, to: id, index: small, offset: small, reject: fc.boolean() }),
  fc.record({ type: fc.constant("timeoutNow" as const), term: small, from: id, to: id }),
);

describe("bad input", () => {
  test("arbitrary messages mixed into a working group never crash a node", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(message, fc.nat(3)), { maxLength: 40 }), (noise) => {
        const c = new TestCluster(ids);
        c.waitForLeader();
        for (const [m, ticks] of noise) {
          const target = c.nodes.get(m.to);
          if (target) expect(() => target.core.step(m)).not.toThrow();
          c.tick("all", ticks);
        }
      }),
      { numRuns: 150 },
    );
  });

  test("a malformed membership entry is ignored alike by every member", () => {
    const c = new TestCluster(ids);
    const leader = c.waitForLeader();
    const bad = { term: leader.term, index: leader.log.lastIndex() + 1, type: "conf" as const, data: new TextEncoder().encode("{not json") };
    leader.log.append([bad]);
    c.tick("all", 3);
    c.propose(1);
    for (const n of c.nodes.values()) {
      expect(n.core.commit).toBeGreaterThan(bad.index);
      expect(n.core.membership.voters).toEqual(ids);
    }
  });
});
