import { applyMembershipChange, cloneMembership, emptyMembership, type MembershipChange } from "./membership.js";
import type { Membership } from "./types.js";

/**
 * The committed membership and how it got there since the last snapshot, so a snapshot
 * taken at any applied index records the membership in force at that index.
 */
export class MembershipLog {
  private base: Membership = emptyMembership();
  private history: { index: number; membership: Membership }[] = [];
  current: Membership = emptyMembership();

  /** Starts over from a snapshot's membership. */
  reset(m: Membership): void {
    this.base = cloneMembership(m);
    this.current = cloneMembership(m);
    this.history = [];
  }

  /** Applies a change committed at `index`. */
  commit(index: number, change: MembershipChange): void {
    this.current = applyMembershipChange(this.current, change);
    this.history.push({ index, membership: this.current });
  }

  /** Membership in force at committed `index` (not below the last compaction). */
  at(index: number): Membership {
    let m = this.base;
    for (const h of this.history) {
      if (h.index > index) break;
      m = h.membership;
    }
    return m;
  }

  /** Forgets history up to `index`, which a snapshot now covers. */
  compact(index: number): void {
    this.base = cloneMembership(this.at(index));
    this.history = this.history.filter((h) => h.index > index);
  }

  /** Membership as of the last compaction point. */
  get compacted(): Membership {
    return this.base;
  }
}
