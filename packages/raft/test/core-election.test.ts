import { describe, expect, test } from "vitest";
import { encodeMembershipChange } from "../src/core/membership.js";
import { RaftCore } from "../src/core/raft.js";
import { SeededRng } from "../src/core/rng.js";
import type { Message, VoteRequest } from "../src/core/types.js";
import { TestCluster } from "./helpers/cluster.js";

function vote(from: string, to: string, term: number, lastIndex: number, lastTerm: number, pre = false, force = false): VoteRequest {
  return { type: "vote", from, to, term, pre, lastIndex, lastTerm, force };
}

describe("elections", () => {
  test("TestNRGSimpleElection: one leader is elected and every follower follows it", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    expect(leader.role).toBe("leader");
    for (const f of c.followers()) {
      expect(f.role).toBe("follower");
      expect(f.leader).toBe(leader.id);
      expect(f.term).toBe(leader.term);
    }
    expect([...c.nodes.values()].filter((n) => n.core.isLeader())).toHaveLength(1);
  });

  test("TestNRGSingleNodeElection: a single voter elects itself and commits alone", () => {
    const c = new TestCluster(["solo"]);
    const leader = c.waitForLeader();
    expect(leader.id).toBe("solo");
    c.propose(5);
    expect(c.node("solo").total).toBe(5);
  });

  test("TestNRGRecoverFromFollowingNoLeader: followers without a leader campaign after the election timeout", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const first = c.waitForLeader();
    c.crash(first.id);
    const next = c.waitForLeader();
    expect(next.id).not.toBe(first.id);
    expect(next.term).toBeGreaterThan(first.term);
  });

  test("TestNRGInlineStepdown: a leader that steps down is no longer leader", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    expect(leader.stepdown()).toBe(true);
    c.settle();
    expect(leader.isLeader()).toBe(false);
    const next = c.waitForLeader();
    expect(next.id).not.toBe(leader.id);
  });

  test("TestNRGLeaderTransfer: leadership moves to the chosen peer", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    c.propose(1);
    const target = c.followers()[1].id;
    expect(leader.transferLeadership(target)).toBe(true);
    // Proposals are refused while the transfer is under way.
    expect(leader.propose(new Uint8Array([1]))).toBeNull();
    c.settle();
    expect(c.leader()?.id).toBe(target);
    expect(leader.leader).toBe(target);
  });

  test("TestNRGStepDownOnSameTermDoesntClearVote: stepping down keeps the vote of the term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const term = leader.term;
    c.isolate(leader.id);
    // Check-quorum makes it step down within the same term.
    for (let i = 0; i < 25 && leader.isLeader(); i++) c.tick([leader.id]);
    expect(leader.role).toBe("follower");
    expect(leader.term).toBe(term);
    expect(leader.vote).toBe(leader.id);
    // A second candidate in the same term cannot get this node's vote.
    const other = c.followers().find((f) => f.id !== leader.id)!.id;
    leader.step(vote(other, leader.id, term, 100, term));
    const ready = leader.ready();
    const resp = ready.messages.find((m) => m.type === "voteResp");
    expect(resp && resp.type === "voteResp" && resp.granted).toBe(false);
  });

  test("TestNRGMustNotResetVoteOnStepDownOrLeaderTransfer: a transfer keeps the old leader's vote until the term moves", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const target = c.followers()[0].id;
    leader.transferLeadership(target);
    c.settle();
    // The new term's vote went to the transfer target, never reset to nobody.
    expect(leader.term).toBe(c.core(target).term);
    expect(leader.vote).toBe(target);
  });

  test("TestNRGUnsuccessfulVoteRequestDoesntResetElectionTimer: a refused vote request leaves the timer alone", () => {
    const ticksToCampaign = (sendStaleVote: boolean): number => {
      const c = new TestCluster(["a", "b", "c"]);
      const leader = c.waitForLeader();
      const f = c.followers()[0];
      c.crash(leader.id);
      for (let i = 1; i <= 100; i++) {
        if (i === 5 && sendStaleVote) f.step(vote(leader.id, f.id, f.term - 1, 0, 0));
        f.tick();
        if (f.role !== "follower") return i;
      }
      return -1;
    };
    expect(ticksToCampaign(true)).toBe(ticksToCampaign(false));
    expect(ticksToCampaign(true)).toBeGreaterThan(0);
  });

  test("TestNRGCandidateDoesntRevertTermAfterOldAE: a candidate ignores appends from an older term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0];
    c.isolate(f.id);
    f.campaignNow();
    // Pre-vote fails while isolated, so force a real candidacy through a transfer.
    f.step({ type: "timeoutNow", term: f.term, from: leader.id, to: f.id });
    expect(f.role).toBe("candidate");
    const term = f.term;
    f.step({ type: "append", term: term - 1, from: leader.id, to: f.id, prevIndex: 0, prevTerm: 0, entries: [], commit: 0, leaderLast: 0 });
    expect(f.term).toBe(term);
    expect(f.role).toBe("candidate");
  });

  test("TestNRGCandidateDontStepdownDueToLeaderOfPreviousTerm: heartbeats from the previous term's leader do not stop a candidate", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0];
    f.step({ type: "timeoutNow", term: f.term, from: leader.id, to: f.id });
    expect(f.role).toBe("candidate");
    f.step({ type: "heartbeat", term: leader.term, from: leader.id, to: f.id, commit: 0 });
    expect(f.role).toBe("candidate");
    const rd = f.ready();
    // It tells the old leader about the newer term instead.
    expect(rd.messages.some((m) => m.type === "heartbeatResp" && m.to === leader.id && m.term === f.term)).toBe(true);
  });

  test("TestNRGAEFromOldLeader: an append from an older term is refused and the sender learns the newer term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const first = c.waitForLeader();
    const firstTerm = first.term;
    first.stepdown();
    c.settle();
    const leader = c.waitForLeader();
    expect(leader.term).toBe(firstTerm + 1);
    const before = leader.log.lastIndex();
    leader.step({ type: "append", term: 1, from: first.id, to: leader.id, prevIndex: 0, prevTerm: 0, entries: [{ term: 1, index: 1, type: "normal", data: new Uint8Array([9]) }], commit: 0, leaderLast: 1 });
    expect(leader.isLeader()).toBe(true);
    expect(leader.log.lastIndex()).toBe(before);
    const rd = leader.ready();
    expect(rd.messages.some((m) => m.to === first.id && m.term === leader.term && m.type === "heartbeatResp")).toBe(true);
  });

  test("TestNRGSwitchToCandidateResetsVote: a candidate votes for itself in its new term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0];
    expect(f.vote === null || f.vote === leader.id).toBe(true);
    f.step({ type: "timeoutNow", term: f.term, from: leader.id, to: f.id });
    expect(f.term).toBe(leader.term + 1);
    expect(f.vote).toBe(f.id);
  });

  test("TestNRGLostQuorum: a leader that cannot reach a majority steps down (check-quorum)", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    c.isolate(leader.id);
    for (let i = 0; i < 25 && leader.isLeader(); i++) c.tick([leader.id]);
    expect(leader.isLeader()).toBe(false);
    expect(leader.propose(new Uint8Array([1]))).toBeNull();
  });

  test("TestNRGHeartbeatOnLeaderChange: a new leader announces itself at once", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const first = c.waitForLeader();
    const next = c.followers()[0];
    first.transferLeadership(next.id);
    c.settle();
    for (const n of c.nodes.values()) expect(n.core.leader).toBe(next.id);
  });

  test("TestNRGObserverMode: observers replicate entries but never vote or lead", () => {
    const c = new TestCluster(["a", "b", "c"], { observers: ["o"] });
    const leader = c.waitForLeader();
    c.propose(1);
    c.propose(2);
    c.propose(3);
    expect(c.totals()).toEqual([6, 6, 6, 6]);
    // Observers never campaign, however long they wait.
    c.isolate("o");
    c.tick(["o"], 100);
    expect(c.core("o").role).toBe("follower");
    expect(c.core("o").term).toBe(leader.term);
    // Leader never asked the observer for a vote.
    expect(c.delivered.some((m) => m.type === "vote" && m.to === "o")).toBe(false);
  });

  test("TestNRGDontSwitchToCandidateAsManagedNodeOutsidePeerSet: a node outside the membership never campaigns", () => {
    const c = new TestCluster(["a", "b", "c"], { extra: ["x"] });
    c.waitForLeader();
    c.tick(["x"], 100);
    expect(c.core("x").role).toBe("follower");
    expect(c.delivered.some((m) => m.from === "x" && m.type === "vote")).toBe(false);
  });

  test("TestNRGReportLeaderAfterNoopEntry: a leader reports ready only once its noop entry is applied", () => {
    const n = new RaftCore({ id: "solo", rng: new SeededRng(1) }, { bootstrap: { voters: ["solo"], observers: [] } });
    expect(n.leaderReady).toBe(false);
    n.campaignNow();
    expect(n.isLeader()).toBe(true);
    const noop = n.log.lastIndex();
    expect(n.log.entry(noop)?.type).toBe("noop");
    expect(n.leaderReady).toBe(false);
    while (n.hasReady()) {
      n.ready();
      n.advance();
    }
    expect(n.applied).toBeGreaterThanOrEqual(noop);
    expect(n.leaderReady).toBe(true);
  });

  test("TestNRGSendAppendEntryNotLeader: a follower neither appends nor sends entries of its own", () => {
    const c = new TestCluster(["a", "b", "c"]);
    c.waitForLeader();
    const f = c.followers()[0];
    const last = f.log.lastIndex();
    expect(f.propose(new Uint8Array([1]))).toBeNull();
    expect(f.log.lastIndex()).toBe(last);
    expect(f.hasReady()).toBe(false);
  });

  test("TestNRGAppendEntryResurrectsLeader: heartbeats from a peer removed from the membership do not bring it back", () => {
    const n = new RaftCore({ id: "n", rng: new SeededRng(2) }, { bootstrap: { voters: ["n", "s2"], observers: [] } });
    n.ready();
    n.advance();
    const remove = { term: 2, index: 2, type: "conf" as const, data: encodeMembershipChange({ op: "remove", peer: "s2" }) };
    n.step({ type: "append", term: 2, from: "s2", to: "n", prevIndex: 1, prevTerm: 1, entries: [remove], commit: 1, leaderLast: 2 });
    n.step({ type: "heartbeat", term: 2, from: "s2", to: "n", commit: 2 });
    expect(n.membership.voters).toEqual(["n"]);
    n.step({ type: "heartbeat", term: 2, from: "s2", to: "n", commit: 2 });
    expect(n.membership.voters).toEqual(["n"]);
  });

  test("pre-vote keeps an isolated node from inflating its term and disrupting the leader on return", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0];
    const term = f.term;
    c.isolate(f.id);
    c.tick([f.id], 200);
    expect(f.term).toBe(term);
    c.heal();
    c.tick("all", 3);
    expect(c.leader()?.id).toBe(leader.id);
    expect(leader.term).toBe(term);
  });

  test("leader lease: followers that hear from a leader ignore vote requests of a higher term", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0];
    f.step(vote("c", f.id, leader.term + 5, 1000, leader.term));
    expect(f.term).toBe(leader.term);
    const msgs: Message[] = f.hasReady() ? f.ready().messages : [];
    expect(msgs.filter((m) => m.type === "voteResp")).toEqual([]);
  });
});
