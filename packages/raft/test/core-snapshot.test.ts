import { describe, expect, test } from "vitest";
import { TestCluster } from "./helpers/cluster.js";

describe("snapshots and compaction", () => {
  test("TestNRGSnapshotAndRestart: members snapshot, one restarts, all converge", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const member = c.followers()[0].id;
    let expected = 0;
    for (let i = 0; i < 1000; i++) {
      const d = (i * 37) % 222;
      expected += d;
      c.propose(d);
      if (i === 250) {
        c.node(leader.id).snapshot();
        c.node(member).snapshot();
        c.crash(member);
      }
    }
    c.restart(member);
    c.tick("all", 5);
    expect(c.totals()).toEqual([expected, expected, expected]);
  });

  test("TestNRGSnapshotCatchup: a follower behind the leader's compaction point gets a chunked snapshot", () => {
    const c = new TestCluster(["a", "b", "c"], { snapshotChunkBytes: 2 });
    const leader = c.waitForLeader();
    const f = c.followers()[0].id;
    c.crash(f);
    for (let i = 0; i < 100; i++) c.propose(3);
    const snap = c.node(leader.id).snapshot()!;
    expect(leader.log.firstIndex()).toBe(snap.meta.index + 1);
    for (let i = 0; i < 5; i++) c.propose(1);
    c.delivered.length = 0;
    c.restart(f);
    c.tick("all", 20);
    expect(c.node(f).total).toBe(305);
    const chunks = c.delivered.filter((m) => m.type === "snapshot" && m.to === f);
    // "300" is three bytes: two chunks of two bytes at most.
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(c.core(f).log.snapIndex).toBe(snap.meta.index);
  });

  test("TestNRGSendSnapshotInstallsSnapshot: an installed snapshot moves commit and applied to its index", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0].id;
    c.crash(f);
    for (let i = 0; i < 10; i++) c.propose(2);
    const snap = c.node(leader.id).snapshot()!;
    c.restart(f);
    c.tick("all", 5);
    const core = c.core(f);
    expect(core.commit).toBeGreaterThanOrEqual(snap.meta.index);
    expect(core.applied).toBeGreaterThanOrEqual(snap.meta.index);
    expect(c.node(f).disk.snapshot?.meta.index).toBe(snap.meta.index);
    expect(core.membership.voters).toEqual(["a", "b", "c"]);
  });

  test("TestNRGSnapshotRecovery: a node restarts from its snapshot plus the log after it", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    for (let i = 0; i < 20; i++) c.propose(1);
    c.node(leader.id).snapshot();
    for (let i = 0; i < 5; i++) c.propose(10);
    c.crash(leader.id);
    c.restart(leader.id);
    expect(c.node(leader.id).total).toBe(70);
    expect(c.core(leader.id).applied).toBe(c.core(leader.id).commit);
  });

  test("TestNRGIgnoreDoubleSnapshot: a snapshot already covered by the log is not installed again", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    const f = c.followers()[0];
    for (let i = 0; i < 5; i++) c.propose(1);
    c.node(leader.id).snapshot();
    const snapIndex = leader.log.snapIndex;
    const chunk = {
      type: "snapshot" as const,
      term: leader.term,
      from: leader.id,
      to: f.id,
      meta: { index: snapIndex, term: leader.log.snapTerm, membership: leader.membership },
      offset: 0,
      total: 1,
      data: new Uint8Array([53]),
      done: true,
    };
    f.step(chunk);
    f.step(chunk);
    const rd = f.ready();
    expect(rd.snapshot).toBeNull();
    expect(c.node(f.id).total).toBe(5);
    f.advance();
  });

  test("TestNRGDontRemoveSnapshotIfTruncateToApplied: a snapshot cannot be taken beyond applied", () => {
    const c = new TestCluster(["a", "b", "c"]);
    const leader = c.waitForLeader();
    c.propose(1);
    expect(() => leader.createSnapshot(leader.applied + 1, new Uint8Array())).toThrow(/beyond applied/);
    expect(leader.createSnapshot(leader.applied, new Uint8Array([49]))).not.toBeNull();
    // Taking the same snapshot twice is a no-op.
    expect(leader.createSnapshot(leader.applied, new Uint8Array([49]))).toBeNull();
  });
});
