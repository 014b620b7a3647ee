import { describe, expect, test } from "vitest";
import { RaftCore } from "../src/core/raft.js";
import { SeededRng } from "../src/core/rng.js";
import { TestCluster, delta } from "./helpers/cluster.js";

describe("catch-up, truncation and recovery", () => {
  test("TestNRGCatchupFromNewLeaderWithIncorrectPterm: a follower's divergent tail is replaced by the new leader's log", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    const [f1, f2] = c.followers().map((f) => f.id);
    // f1 receives two entries the others never see.
    c.isolate(f2);
    c.filter = (m) => !(m.type === "appendResp" && m.to === old.id);
    old.propose(delta(100));
    old.propose(delta(100));
    c.settle();
    c.filter = null;
    const stale = c.core(f1).log.lastIndex();
    c.heal();
    c.isolate(old.id);
    c.isolate(f1);
    c.heal();
    c.isolate(old.id);
    // f2 and f1 elect a leader; only f1 has the extra entries, so f1 wins or they get replicated.
    const next = c.waitForLeader(300, old.id);
    c.propose(1, next.id);
    c.heal();
    c.tick("all", 5);
    const logs = [...c.nodes.values()].map((n) => n.core.log.all().map((e) => `${e.index}@${e.term}`).join(","));
    expect(new Set(logs).size).toBe(1);
    expect(c.core(f1).log.lastIndex()).toBeGreaterThanOrEqual(stale);
    expect(new Set(c.totals()).size).toBe(1);
  });

  test("TestNRGCatchupCanTruncateMultipleEntriesWithoutQuorum: many uncommitted entries of a deposed leader are all cut", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    c.isolate(old.id);
    for (let i = 0; i < 10; i++) old.propose(delta(1000));
    c.settle();
    const next = c.waitForLeader(300, old.id);
    c.propose(1, next.id);
    c.heal();
    c.tick("all", 5);
    expect(old.log.all().filter((e) => e.type === "normal" && e.term === old.log.term(2) && e.data.length === 4)).toHaveLength(0);
    expect(c.totals()).toEqual([1, 1, 1]);
  });

  test("TestNRGCatchupDoesNotTruncateUncommittedEntriesWithQuorum: entries a majority holds survive the leader change", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    // Entries reach every follower but the leader never learns they were stored.
    c.filter = (m) => !(m.type === "appendResp" && m.to === old.id);
    const t = old.propose(delta(7))!;
    c.settle();
    c.filter = null;
    c.isolate(old.id);
    const next = c.waitForLeader(300, old.id);
    expect(next.log.term(t.index)).toBe(t.term);
    c.tick([...c.nodes.keys()].filter((id) => id !== old.id), 3);
    expect(next.commit).toBeGreaterThanOrEqual(t.index);
    expect(c.node(next.id).total).toBe(7);
  });

  test("TestNRGQuorumAfterLeaderStepdown: after a stepdown the new leader has quorum and commits", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    c.propose(1);
    old.stepdown();
    c.settle();
    const next = c.waitForLeader(300, old.id);
    c.propose(2, next.id);
    expect(c.totals()).toEqual([3, 3, 3]);
  });

  test("TestNRGIgnoreTrackResponseWhenNotLeader: append responses reaching a follower change nothing", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.waitForLeader();
    const f = c.followers()[0];
    const before = { term: f.term, commit: f.commit, last: f.log.lastIndex() };
    f.step({ type: "appendResp", term: f.term, from: "c", to: f.id, index: 99, reject: false, hint: 0 });
    expect({ term: f.term, commit: f.commit, last: f.log.lastIndex() }).toEqual(before);
    expect(f.hasReady()).toBe(false);
  });

  test("TestNRGRecoverPindexPtermOnlyIfLogNotEmpty: a restart with only a snapshot starts the log after it", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    for (let i = 0; i < 5; i++) c.propose(1);
    const snap = c.node(leader.id).snapshot()!;
    c.crash(leader.id);
    c.restart(leader.id);
    const core = c.core(leader.id);
    expect(core.log.lastIndex()).toBe(snap.meta.index);
    expect(core.log.lastTerm()).toBe(snap.meta.term);
    expect(c.node(leader.id).total).toBe(5);
  });

  test("TestNRGReplayOnSnapshotSameTerm: entries after the snapshot are replayed on restart", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    for (let i = 0; i < 3; i++) c.propose(1);
    c.node(leader.id).snapshot();
    for (let i = 0; i < 3; i++) c.propose(10);
    c.crash(leader.id);
    c.restart(leader.id);
    expect(c.node(leader.id).total).toBe(33);
    expect(c.node(leader.id).applied.filter((e) => e.type === "normal")).toHaveLength(3);
  });

  test("TestNRGReplayOnSnapshotDifferentTerm: replay works when the entries after the snapshot are of a later term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    for (let i = 0; i < 3; i++) c.propose(1);
    const snap = c.node(leader.id).snapshot()!;
    leader.stepdown();
    c.settle();
    const next = c.waitForLeader(300, leader.id);
    for (let i = 0; i < 3; i++) c.propose(10, next.id);
    c.tick("all", 2);
    expect(c.core(leader.id).log.lastTerm()).toBeGreaterThan(snap.meta.term);
    c.crash(leader.id);
    c.restart(leader.id);
    expect(c.node(leader.id).total).toBe(33);
  });

  test("TestNRGTermNoDecreaseAfterWALReset: installing a snapshot from the leader keeps the newer term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const [f, other] = c.followers().map((x) => x.id);
    c.crash(f);
    leader.transferLeadership(other);
    c.settle();
    const next = c.waitForLeader(300, leader.id);
    expect(next.term).toBeGreaterThan(c.node(f).disk.hardState!.term);
    for (let i = 0; i < 5; i++) c.propose(1, next.id);
    c.node(next.id).snapshot();
    c.restart(f);
    c.tick("all", 5);
    expect(c.core(f).term).toBe(next.term);
    expect(c.core(f).log.snapIndex).toBeGreaterThan(0);
    expect(c.node(f).total).toBe(5);
  });

  test("TestNRGInitializeAndScaleUp: a single-node group grows to three", () => {
    const c = new TestCluster(["a"], { extra: ["b", "c"] });
    const leader = c.waitForLeader();
    c.propose(4);
    leader.proposeMembershipChange({ op: "addVoter", peer: "b" });
    leader.proposeMembershipChange({ op: "addVoter", peer: "c" });
    c.tick("all", 5);
    expect(leader.membership.voters).toEqual(["a", "b", "c"]);
    expect(c.totals()).toEqual([4, 4, 4]);
    c.crash("a");
    const next = c.waitForLeader(300, "a");
    expect(["b", "c"]).toContain(next.id);
  });

  test("a node that lost acknowledged entries refuses to vote until it has caught up", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const [b, cc] = c.followers().map((f) => f.id);
    // The entry is committed by {leader, b}; cc never sees it.
    c.isolate(cc);
    const t = leader.propose(delta(9))!;
    c.settle();
    expect(leader.commit).toBeGreaterThanOrEqual(t.index);
    // b loses its log tail (corruption) and restarts recovering; the leader dies.
    const nb = c.node(b);
    nb.disk.entries = nb.disk.entries.filter((e) => e.index < t.index);
    nb.disk.hardState = { ...nb.disk.hardState!, commit: t.index - 1, recovering: true };
    c.crash(b);
    c.restart(b);
    expect(c.core(b).recovering).toBe(true);
    c.crash(leader.id);
    c.heal();
    // cc lacks the committed entry; b would vote for it if it trusted its cut log.
    c.tick([b, cc], 200);
    expect(c.core(cc).isLeader()).toBe(false);
    expect(c.core(b).isLeader()).toBe(false);
    // The old leader returns, wins, and b leaves recovery once caught up.
    c.restart(leader.id);
    const next = c.waitForLeader(300);
    expect(next.log.term(t.index)).toBe(t.term);
    c.tick("all", 3);
    expect(c.core(b).recovering).toBe(false);
    expect(c.totals()).toEqual([9, 9, 9]);
  });

  test("an acknowledgement of entries cut before they were persisted is never sent (a soak found it)", () => {
    const n = new RaftCore({ id: "n", rng: new SeededRng(4) }, { bootstrap: { voters: ["n", "old", "new"], observers: [] } });
    n.ready();
    n.advance();
    const e = (index: number, term: number) => ({ index, term, type: "normal" as const, data: new Uint8Array([term]) });
    n.step({ type: "append", term: 2, from: "old", to: "n", prevIndex: 1, prevTerm: 1, entries: [e(2, 2), e(3, 2)], commit: 1, leaderLast: 3 });
    // Before that is persisted, a newer leader replaces index 3.
    n.step({ type: "append", term: 3, from: "new", to: "n", prevIndex: 2, prevTerm: 2, entries: [e(3, 3)], commit: 1, leaderLast: 3 });
    const acks = n.ready().messages.filter((m) => m.type === "appendResp" && !m.reject);
    expect(acks.map((m) => [m.to, m.type === "appendResp" ? m.index : -1])).toEqual([["new", 3]]);
  });

  test("a fresh node without bootstrap has no membership and waits to be told", () => {
    const n = new RaftCore({ id: "x", rng: new SeededRng(3) });
    for (let i = 0; i < 100; i++) n.tick();
    expect(n.role).toBe("follower");
    expect(n.membership.voters).toEqual([]);
    expect(n.hasReady()).toBe(false);
  });
});
