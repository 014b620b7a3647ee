import type { PeerHealth } from "./options.js";
import type { NodeId } from "./types.js";

/**
 * How the leader replicates to one peer (etcd's Progress): `probe` sends one append at a
 * time until it finds where the logs match, `replicate` streams optimistically up to an
 * in-flight limit, `snapshot` streams an InstallSnapshot one chunk at a time.
 */
export type ProgressState = "probe" | "replicate" | "snapshot";

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = "probe";
  /** In probe state: an append is outstanding, wait for a reply or heartbeat. */
  probeSent = false;
  /** Last index of each append in flight, oldest first. */
  inflight: number[] = [];
  pendingSnapshot = 0;
  snapshotOffset = 0;
  /** Set on any reply; check-quorum clears it every election timeout. */
  recentActive = true;
  /** Logical tick of the last reply from this peer. */
  lastContact: number;

  constructor(next: number, now: number) {
    this.next = next;
    this.lastContact = now;
  }

  becomeProbe(): void {
    if (this.state === "snapshot") {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = "probe";
    this.probeSent = false;
    this.inflight = [];
    this.pendingSnapshot = 0;
  }

  becomeReplicate(): void {
    this.state = "replicate";
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflight = [];
  }

  becomeSnapshot(index: number): void {
    this.state = "snapshot";
    this.pendingSnapshot = index;
    this.snapshotOffset = 0;
    this.probeSent = false;
    this.inflight = [];
  }

  /** Records a successful append up to `index`. Returns false for a stale reply. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    while (this.inflight.length > 0 && this.inflight[0] <= index) this.inflight.shift();
    return updated;
  }

  /** Handles a rejection of prevIndex `rejected`; false when the rejection is stale. */
  maybeDecrTo(rejected: number, hint: number): boolean {
    if (this.state === "replicate") {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    this.next = Math.max(Math.min(rejected, hint + 1), this.match + 1, 1);
    this.probeSent = false;
    return true;
  }

  isPaused(maxInflight: number): boolean {
    switch (this.state) {
      case "probe":
        return this.probeSent;
      case "replicate":
        return this.inflight.length >= maxInflight;
      case "snapshot":
        return true;
    }
  }
}

/** How the leader reports one peer: current means heard from lately and fully committed. */
export function peerHealth(id: NodeId, pr: Progress, voter: boolean, now: number, commit: number, electionTicks: number): PeerHealth {
  return {
    id,
    voter,
    match: pr.match,
    next: pr.next,
    state: pr.state,
    lastContactTicks: now - pr.lastContact,
    current: pr.match >= commit && now - pr.lastContact <= electionTicks,
  };
}

/** The peer with the highest match among those heard from lately (a transfer target). */
export function mostCaughtUp(candidates: readonly NodeId[], progress: ReadonlyMap<NodeId, Progress>): NodeId | null {
  let best: NodeId | null = null;
  let bestMatch = -1;
  for (const id of candidates) {
    const pr = progress.get(id);
    if (!pr || !pr.recentActive || pr.match <= bestMatch) continue;
    best = id;
    bestMatch = pr.match;
  }
  return best;
}
