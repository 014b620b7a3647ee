import { describe, expect, test } from "vitest";
import { encodeMembershipChange } from "../src/core/membership.js";
import { RaftCore } from "../src/core/raft.js";
import { SeededRng } from "../src/core/rng.js";
import type { Entry } from "../src/core/types.js";
import { TestCluster, delta } from "./helpers/cluster.js";

describe("membership changes", () => {
  test("TestNRGProposeRemovePeer: removing a follower shrinks the membership and the group keeps committing", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0].id;
    expect(leader.proposeMembershipChange({ op: "remove", peer: f })).toBe(true);
    c.settle();
    expect(leader.membership.voters).not.toContain(f);
    expect(leader.membership.voters).toHaveLength(2);
    c.crash(f);
    c.propose(4);
    expect(c.node(leader.id).total).toBe(4);
  });

  test("TestNRGProposeRemovePeerNonExistent: removing an unknown peer changes nothing", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const last = leader.log.lastIndex();
    expect(leader.proposeMembershipChange({ op: "remove", peer: "zzz" })).toBe(true);
    c.settle();
    expect(leader.log.lastIndex()).toBe(last);
    expect(leader.membership.voters).toEqual(["a", "b", "c"]);
  });

  test("TestNRGProposeRemovePeerLeader: a leader that removes itself steps down and the others elect", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    leader.proposeMembershipChange({ op: "remove", peer: leader.id });
    c.settle();
    expect(leader.isLeader()).toBe(false);
    const next = c.waitForLeader(200, leader.id);
    expect(next.membership.voters).toHaveLength(2);
    expect(next.membership.voters).not.toContain(leader.id);
  });

  test("a leader that removed itself hands over to a successor holding its whole log", () => {
    const c = new TestCluster(["a", "b", "c", "d"]);
    const old = c.waitForLeader();
    const [f1, f2, down] = c.followers().map((f) => f.id);
    c.crash(down);
    old.proposeMembershipChange({ op: "remove", peer: old.id });
    for (const m of c.node(old.id).process()) c.deliver(m);
    old.propose(delta(5));
    // Followers see the removal but not the entry after it, until the removal has committed.
    c.filter = (m) => !(m.type === "append" && m.from === old.id && m.entries.some((e) => e.type === "normal") && old.membership.voters.includes(old.id));
    c.settle();
    c.filter = null;
    expect(old.membership.voters).not.toContain(old.id);
    c.tick("all", 30);
    const next = c.leader()!;
    expect([f1, f2]).toContain(next.id);
    expect(old.isLeader()).toBe(false);
    c.propose(1, next.id);
    for (const id of [f1, f2]) expect(c.node(id).total).toBe(6);
  });

  test("TestNRGProposeRemovePeerConcurrent: concurrent changes go into the log one at a time", () => {
    const c = new TestCluster(["a", "b", "c", "d", "e"]);
    const leader = c.waitForLeader();
    const [f1, f2] = c.followers().map((f) => f.id);
    leader.proposeMembershipChange({ op: "remove", peer: f1 });
    leader.proposeMembershipChange({ op: "remove", peer: f2 });
    const confs = (): number => leader.log.all().filter((e) => e.type === "conf" && e.index > leader.commit).length;
    expect(confs()).toBe(1);
    c.settle();
    expect(leader.membership.voters).toHaveLength(3);
    expect(leader.membership.voters).not.toContain(f1);
    expect(leader.membership.voters).not.toContain(f2);
  });

  test("TestNRGProposeRemovePeerAll: removing every other peer leaves a leader that commits alone", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    for (const f of c.followers()) leader.proposeMembershipChange({ op: "remove", peer: f.id });
    c.settle();
    expect(leader.membership.voters).toEqual([leader.id]);
    for (const f of c.followers()) c.crash(f.id);
    c.propose(9);
    expect(c.node(leader.id).total).toBe(9);
  });

  test("TestNRGAddPeers: added peers catch up and count toward quorum", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["d", "e"] });
    const leader = c.waitForLeader();
    c.propose(5);
    leader.proposeMembershipChange({ op: "addVoter", peer: "d" });
    leader.proposeMembershipChange({ op: "addVoter", peer: "e" });
    c.tick("all", 5);
    expect(leader.membership.voters).toEqual(["a", "b", "c", "d", "e"]);
    expect(c.node("d").total).toBe(5);
    expect(c.node("e").total).toBe(5);
    expect(c.core("e").membership.voters).toHaveLength(5);
    // With two original followers down, the new members make the majority.
    for (const f of ["a", "b", "c"].filter((x) => x !== leader.id)) c.crash(f);
    c.propose(1);
    expect(c.node(leader.id).total).toBe(6);
  });

  test("TestNRGDisjointMajorities: with the old majority silent, a change stays in flight and nothing commits", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["d", "e"] });
    const leader = c.waitForLeader();
    for (const f of c.followers()) if (f.id !== "d" && f.id !== "e") c.isolate(f.id);
    leader.proposeMembershipChange({ op: "addVoter", peer: "d" });
    leader.proposeMembershipChange({ op: "addVoter", peer: "e" });
    const commit = leader.commit;
    c.tick([leader.id, "d", "e"], 5);
    // The first addition is in force (size 4, quorum 3) but cannot commit with {leader, d}.
    expect(leader.membership.voters).toEqual(["a", "b", "c", "d"]);
    expect(leader.committedMembership.voters).toEqual(["a", "b", "c"]);
    expect(leader.pendingMembershipIndex).toBeGreaterThan(0);
    expect(leader.commit).toBe(commit);
    expect(leader.log.all().filter((e) => e.type === "conf" && e.index > leader.commit)).toHaveLength(1);
  });

  test("TestNRGUncommittedMembershipChangeOnNewLeader: a new leader commits a change it inherited", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["d"] });
    const old = c.waitForLeader();
    const [f1, f2] = c.followers().filter((f) => f.id !== "d").map((f) => f.id);
    // Only f1 receives the change before the leader is cut off.
    c.isolate(f2);
    c.filter = (m) => !(m.type === "appendResp" && m.to === old.id);
    old.proposeMembershipChange({ op: "addVoter", peer: "d" });
    c.settle();
    expect(c.core(f1).log.all().some((e) => e.type === "conf" && e.index > c.core(f1).commit)).toBe(true);
    c.filter = null;
    c.heal();
    c.isolate(old.id);
    const next = c.waitForLeader(300, old.id);
    c.tick("all", 3);
    expect(next.membership.voters).toContain("d");
  });

  test("TestNRGUncommittedMembershipChangeGetsTruncated: a change only the deposed leader had is dropped", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["d"] });
    const old = c.waitForLeader();
    c.isolate(old.id);
    old.proposeMembershipChange({ op: "addVoter", peer: "d" });
    c.settle();
    const next = c.waitForLeader(300, old.id);
    c.propose(1, next.id);
    c.heal();
    c.tick("all", 3);
    expect(old.log.all().filter((e) => e.type === "conf" && e.index > 1)).toHaveLength(0);
    expect(next.membership.voters).toEqual(["a", "b", "c"]);
    expect(old.membership.voters).toEqual(["a", "b", "c"]);
  });

  test("TestNRGTruncateWALRevertsUncommittedAddPeer: a cut uncommitted addition is reverted", () => {
    const n = new RaftCore({ id: "n", rng: new SeededRng(5) }, { bootstrap: { voters: ["n", "s0", "s1"], observers: [] } });
    n.ready();
    n.advance();
    const add: Entry = { term: 2, index: 3, type: "conf", data: encodeMembershipChange({ op: "addVoter", peer: "new" }) };
    const normal = (index: number, term: number): Entry => ({ term, index, type: "normal", data: new Uint8Array([index]) });
    n.step({ type: "append", term: 2, from: "s0", to: "n", prevIndex: 1, prevTerm: 1, entries: [normal(2, 2), add], commit: 1, leaderLast: 3 });
    expect(n.log.lastIndex()).toBe(3);
    // In force as soon as it is in the log, though not committed.
    expect(n.membership.voters).toEqual(["n", "new", "s0", "s1"]);
    expect(n.committedMembership.voters).toEqual(["n", "s0", "s1"]);
    // A leader of a later term never had the addition: its entry replaces it.
    n.step({ type: "append", term: 3, from: "s1", to: "n", prevIndex: 2, prevTerm: 2, entries: [normal(3, 3)], commit: 3, leaderLast: 3 });
    expect(n.log.entry(3)?.type).toBe("normal");
    expect(n.commit).toBe(3);
    expect(n.membership.voters).toEqual(["n", "s0", "s1"]);
  });

  test("a node whose commit lags counts votes in the newest membership of its log (a soak found two leaders otherwise)", () => {
    const conf = (index: number, change: Parameters<typeof encodeMembershipChange>[0]): Entry => ({ term: 2, index, type: "conf", data: encodeMembershipChange(change) });
    const entries: Entry[] = [
      { term: 1, index: 1, type: "conf", data: encodeMembershipChange({ op: "bootstrap", membership: { voters: ["a", "b", "c"], observers: [] } }) },
      conf(2, { op: "addVoter", peer: "d" }),
      conf(3, { op: "remove", peer: "c" }),
    ];
    // Restarted with a stale commit: both changes are in the log, neither known committed.
    const n = new RaftCore({ id: "a", rng: new SeededRng(9) }, { hardState: { term: 2, vote: null, commit: 1, recovering: false }, entries });
    expect(n.committedMembership.voters).toEqual(["a", "b", "c"]);
    expect(n.membership.voters).toEqual(["a", "b", "d"]);
    n.campaignNow();
    expect(n.ready().messages.filter((m) => m.type === "vote").map((m) => m.to).sort()).toEqual(["b", "d"]);
    n.advance();
    // c's grant does not count: it is no longer a voter.
    n.step({ type: "voteResp", term: 3, from: "c", to: "a", pre: true, granted: true });
    expect(n.role).toBe("precandidate");
    n.step({ type: "voteResp", term: 3, from: "d", to: "a", pre: true, granted: true });
    expect(n.role).toBe("candidate");
  });

  test("TestNRGTruncateWALRevertsUncommittedRemovePeer: a cut uncommitted removal is reverted", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const old = c.waitForLeader();
    const victim = c.followers()[0].id;
    c.isolate(old.id);
    old.proposeMembershipChange({ op: "remove", peer: victim });
    c.settle();
    expect(old.membership.voters).not.toContain(victim);
    expect(old.committedMembership.voters).toContain(victim);
    c.waitForLeader(300, old.id);
    c.heal();
    c.tick("all", 3);
    for (const n of c.nodes.values()) expect(n.core.membership.voters).toContain(victim);
  });

  test("TestNRGRemovedPeerVoteDoesNotElectLeader: a removed peer's vote does not count", () => {
    const c = new TestCluster(["a", "b", "c", "d"]);
    const leader = c.waitForLeader();
    const [b, cc, d] = c.followers().map((f) => f.id);
    c.isolate(d);
    leader.proposeMembershipChange({ op: "remove", peer: d });
    c.tick("all", 2);
    for (const id of [leader.id, b, cc]) expect(c.core(id).membership.voters).toHaveLength(3);
    // {C, D} on one side: D still thinks it is a voter and would vote for C.
    c.heal();
    c.isolate(leader.id);
    c.isolate(b);
    c.core(cc).step({ type: "timeoutNow", term: c.core(cc).term, from: leader.id, to: cc });
    c.settle();
    c.tick([cc, d], 50);
    expect(c.core(cc).isLeader()).toBe(false);
  });

  test("TestNRGLeaderResurrectsRemovedPeers: a restarted leader keeps a removed peer removed", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const [f1, f2] = c.followers().map((f) => f.id);
    leader.proposeMembershipChange({ op: "remove", peer: f1 });
    c.tick("all", 2);
    c.crash(leader.id);
    c.crash(f2);
    c.restart(leader.id);
    expect(c.core(leader.id).membership.voters).toHaveLength(2);
    c.restart(f2);
    c.tick("all", 30);
    expect(c.core(leader.id).membership.voters).toHaveLength(2);
    expect(c.core(leader.id).membership.voters).not.toContain(f1);
  });

  test("TestNRGLeaderWithoutQuorumAfterPeerAdd: a minority holding an uncommitted add cannot elect a leader", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["d"] });
    const leader = c.waitForLeader();
    const [f0, f1] = c.followers().filter((f) => f.id !== "d").map((f) => f.id);
    c.filter = (m) => !(m.type === "appendResp" && m.to === leader.id);
    leader.proposeMembershipChange({ op: "addVoter", peer: "d" });
    c.settle();
    c.filter = null;
    // {leader, f0} | {d, f1}
    c.isolate(leader.id);
    c.isolate(f0);
    c.tick([f1, "d"], 100);
    expect(c.core(f1).isLeader()).toBe(false);
    expect(c.core("d").isLeader()).toBe(false);
    c.heal();
    const next = c.waitForLeader(300);
    c.tick("all", 5);
    expect(next.membership.voters).toEqual(["a", "b", "c", "d"]);
  });

  test("TestNRGPartitionedPeerRemove: a partitioned peer can be removed by the rest", () => {
    const c = new TestCluster(["a", "b", "c", "d", "e"]);
    const leader = c.waitForLeader();
    const gone = c.followers()[0].id;
    c.isolate(gone);
    leader.proposeMembershipChange({ op: "remove", peer: gone });
    c.tick("all", 2);
    expect(leader.membership.voters).not.toContain(gone);
    expect(leader.health().some((h) => h.id === gone)).toBe(false);
  });

  test("TestNRGSnapshotExcludesUncommittedMembershipChange: snapshots carry only the committed membership", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["d"] });
    const leader = c.waitForLeader();
    c.propose(1);
    for (const f of c.followers()) c.isolate(f.id);
    leader.proposeMembershipChange({ op: "addVoter", peer: "d" });
    c.settle();
    const snap = leader.createSnapshot(leader.applied, new Uint8Array([49]))!;
    expect(snap.meta.membership.voters).toEqual(["a", "b", "c"]);
  });

  test("observers can be added and promoted to voters", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["o"] });
    const leader = c.waitForLeader();
    c.propose(2);
    leader.proposeMembershipChange({ op: "addObserver", peer: "o" });
    c.tick("all", 3);
    expect(leader.membership.observers).toEqual(["o"]);
    expect(c.node("o").total).toBe(2);
    leader.proposeMembershipChange({ op: "addVoter", peer: "o" });
    c.tick("all", 3);
    expect(leader.membership.voters).toContain("o");
    expect(leader.membership.observers).toEqual([]);
  });

  test("a queued change is dropped with leadership and never resurrected later", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["d"] });
    const old = c.waitForLeader();
    c.isolate(old.id);
    old.proposeMembershipChange({ op: "addVoter", peer: "d" });
    c.settle();
    const other = c.waitForLeader(300, old.id);
    c.heal();
    c.tick("all", 3);
    expect(other.membership.voters).not.toContain("d");
    other.transferLeadership(old.id);
    c.settle();
    expect(old.isLeader()).toBe(true);
    c.tick("all", 5);
    expect(old.membership.voters).toEqual(["a", "b", "c"]);
  });
});
