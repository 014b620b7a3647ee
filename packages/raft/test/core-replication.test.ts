import { describe, expect, test } from "vitest";
import { RaftCore } from "../src/core/raft.js";
import { SeededRng } from "../src/core/rng.js";
import { encodeMembershipChange } from "../src/core/membership.js";
import type { Entry } from "../src/core/types.js";
import { TestCluster, delta } from "./helpers/cluster.js";

describe("log replication", () => {
  test("TestNRGSimple: proposals reach every member", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.waitForLeader();
    c.propose(22);
    c.propose(-11);
    c.propose(-10);
    c.tick("all", 2);
    expect(c.totals()).toEqual([1, 1, 1]);
  });

  test("TestNRGSimpleCatchup: a restarted follower catches up with what it missed", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0].id;
    c.crash(f);
    let expected = 0;
    for (let i = 1; i <= 50; i++) {
      c.propose(i);
      expected += i;
    }
    c.restart(f);
    c.tick("all", 3);
    expect(c.node(f).total).toBe(expected);
    expect(c.core(f).commit).toBe(leader.commit);
  });

  test("TestNRGQuorumAccounting: an entry commits only once a majority stores it", () => {
    const c = new TestCluster(["a", "b", "c", "d", "e"]);
    const leader = c.waitForLeader();
    const others = c.followers().map((f) => f.id);
    c.isolate(others[0]);
    c.isolate(others[1]);
    c.isolate(others[2]);
    const t = leader.propose(delta(1))!;
    c.settle();
    expect(leader.commit).toBeLessThan(t.index);
    c.heal();
    c.isolate(others[0]);
    c.isolate(others[1]);
    c.tick([leader.id]);
    expect(leader.commit).toBeGreaterThanOrEqual(t.index);
  });

  test("TestNRGOnlyCommitIfCurrentTerm: entries of older terms commit only with an entry of the current term", () => {
    const e = (index: number, term: number): Entry => ({ index, term, type: "normal", data: delta(1) });
    const bootstrap: Entry = { index: 1, term: 1, type: "conf", data: encodeMembershipChange({ op: "bootstrap", membership: { voters: ["s1", "s2", "s3"], observers: [] } }) };
    const n = new RaftCore(
      { id: "s1", rng: new SeededRng(1) },
      { hardState: { term: 3, vote: null, commit: 1, recovering: false }, entries: [bootstrap, e(2, 1), e(3, 2)] },
    );
    n.campaignNow();
    const grant = (pre: boolean, term: number): void =>
      n.step({ type: "voteResp", term, from: "s2", to: "s1", pre, granted: true });
    n.ready();
    n.advance();
    grant(true, 4);
    n.ready();
    n.advance();
    grant(false, 4);
    expect(n.isLeader()).toBe(true);
    expect(n.term).toBe(4);
    n.ready();
    n.advance();
    expect(n.commit).toBe(1);
    const ack = (index: number): void => n.step({ type: "appendResp", term: 4, from: "s2", to: "s1", index, reject: false, hint: 0 });
    ack(2);
    expect(n.commit).toBe(1);
    ack(3);
    expect(n.commit).toBe(1);
    // Index 4 is the new leader's own noop of term 4.
    ack(4);
    expect(n.commit).toBe(4);
  });

  test("TestNRGWALEntryWithoutQuorumMustTruncate: an uncommitted entry of a deposed leader is replaced", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    c.propose(1);
    c.isolate(old.id);
    const lost = old.propose(delta(100))!;
    c.settle();
    expect(old.log.term(lost.index)).toBe(lost.term);
    const next = c.waitForLeader(200, old.id);
    expect(next.id).not.toBe(old.id);
    c.propose(2, next.id);
    c.heal();
    c.tick("all", 3);
    expect(old.isLeader()).toBe(false);
    expect(old.log.term(lost.index)).not.toBe(lost.term);
    expect(c.totals()).toEqual([3, 3, 3]);
  });

  test("TestNRGTermDoesntRollBackToPtermOnCatchup: catching up on older entries keeps the current term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.waitForLeader();
    const f = c.followers()[0].id;
    c.crash(f);
    for (let i = 0; i < 5; i++) c.propose(1);
    const leader = c.leader()!;
    leader.stepdown();
    c.settle();
    const next = c.waitForLeader();
    c.restart(f);
    c.tick("all", 3);
    expect(c.core(f).term).toBe(next.term);
    expect(c.node(f).total).toBe(5);
  });

  test("TestNRGCatchupDoesNotTruncateCommittedEntriesDuringRedelivery: replayed old appends never cut committed entries", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0];
    const appends: Parameters<RaftCore["step"]>[0][] = [];
    c.filter = (m) => {
      if (m.type === "append" && m.to === f.id && m.entries.length > 0) appends.push(m);
      return true;
    };
    for (let i = 0; i < 5; i++) c.propose(1);
    c.tick("all", 2);
    const last = f.log.lastIndex();
    expect(f.commit).toBe(last);
    for (const m of appends) f.step(m);
    expect(f.log.lastIndex()).toBe(last);
    expect(f.commit).toBe(last);
    expect(leader.isLeader()).toBe(true);
  });

  test("TestNRGRejectNewAppendEntryFromPreviousLeader: entries from a previous leader's term are not stored", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    const oldTerm = old.term;
    old.stepdown();
    c.settle();
    const f = c.followers().find((x) => x.id !== old.id)!;
    const last = f.log.lastIndex();
    f.step({ type: "append", term: oldTerm, from: old.id, to: f.id, prevIndex: last, prevTerm: f.log.lastTerm(), entries: [{ index: last + 1, term: oldTerm, type: "normal", data: delta(1) }], commit: 0, leaderLast: last + 1 });
    expect(f.log.lastIndex()).toBe(last);
  });

  test("TestNRGTermFencedProposals: a proposal made for another term is refused", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const term = leader.term;
    expect(leader.propose(delta(1), term)).not.toBeNull();
    expect(leader.propose(delta(1), term - 1)).toBeNull();
    expect(leader.propose(delta(1), term + 1)).toBeNull();
    expect(leader.isLeader()).toBe(true);
    leader.stepdown();
    c.settle();
    expect(leader.propose(delta(1), term)).toBeNull();
  });

  test("TestNRGProcessAppendEntryTermMismatchDoesNotRegressCommit: a rejected append leaves commit alone", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    for (let i = 0; i < 5; i++) c.propose(1);
    c.tick("all", 2);
    const f = c.followers()[0];
    const commit = f.commit;
    const last = f.log.lastIndex();
    f.step({ type: "append", term: leader.term + 1, from: "c", to: f.id, prevIndex: last, prevTerm: leader.term + 1, entries: [], commit: last, leaderLast: last });
    expect(f.commit).toBe(commit);
    expect(f.log.lastIndex()).toBe(last);
  });

  test("TestNRGProcessed: applied follows commit once the host has applied the entries", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const t = leader.propose(delta(3))!;
    // Before the host processes a ready nothing is committed or applied.
    expect(leader.commit).toBeLessThan(t.index);
    c.settle();
    expect(leader.commit).toBeGreaterThanOrEqual(t.index);
    expect(leader.applied).toBe(leader.commit);
    expect(c.node(leader.id).total).toBe(3);
  });

  test("TestNRGSizeAndApplied: commit, applied and log size agree after a run of proposals", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const start = leader.log.lastIndex();
    for (let i = 0; i < 10; i++) c.propose(1);
    expect(leader.log.lastIndex()).toBe(start + 10);
    expect(leader.commit).toBe(start + 10);
    expect(leader.applied).toBe(start + 10);
  });

  test("TestNRGAppendEntryCanEstablishQuorumAfterLeaderChange: a new leader commits through its noop", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    c.isolate(old.id);
    const next = c.waitForLeader(200, old.id);
    expect(next.log.term(next.commit)).toBe(next.term);
    c.propose(7, next.id);
    expect(c.node(next.id).total).toBe(7);
  });

  test("batching and flow control: a large backlog streams in bounded messages", () => {
    const c = new TestCluster(["a", "b", "c"], { maxEntriesPerMessage: 4, maxInflight: 2 });
    const leader = c.waitForLeader();
    const f = c.followers()[0].id;
    c.isolate(f);
    for (let i = 0; i < 40; i++) leader.propose(delta(1));
    c.settle();
    c.heal();
    c.delivered.length = 0;
    c.tick("all", 30);
    expect(c.node(f).total).toBe(40);
    const appends = c.delivered.filter((m) => m.type === "append" && m.to === f);
    expect(appends.length).toBeGreaterThanOrEqual(10);
    for (const m of appends) if (m.type === "append") expect(m.entries.length).toBeLessThanOrEqual(4);
  });

  test("TestNRGTrackPeerActive: the leader tracks when it last heard from each peer", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    c.tick("all", 2);
    const [f1, f2] = c.followers().map((f) => f.id);
    c.isolate(f2);
    c.tick([leader.id, f1], 5);
    const health = new Map(leader.health().map((h) => [h.id, h]));
    expect(health.get(f1)!.lastContactTicks).toBe(0);
    expect(health.get(f2)!.lastContactTicks).toBe(5);
  });

  test("TestNRGTrackPeerLag: match and next show how far behind a peer is", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const [f1, f2] = c.followers().map((f) => f.id);
    c.isolate(f2);
    for (let i = 0; i < 5; i++) c.propose(1);
    const health = new Map(leader.health().map((h) => [h.id, h]));
    expect(health.get(f1)!.match).toBe(leader.log.lastIndex());
    expect(leader.log.lastIndex() - health.get(f2)!.match).toBe(5);
    expect(health.get(f2)!.current).toBe(false);
    expect(health.get(f1)!.current).toBe(true);
  });

  test("TestNRGHealthCheckWaitForCatchup: a lagging peer becomes current once caught up", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0].id;
    c.crash(f);
    for (let i = 0; i < 5; i++) c.propose(1);
    expect(leader.health().find((h) => h.id === f)!.current).toBe(false);
    c.restart(f);
    c.tick("all", 3);
    expect(leader.health().find((h) => h.id === f)!.current).toBe(true);
  });
});
