import { applyMembershipChange, cloneMembership, emptyMembership, type MembershipChange } from "./membership.js";
import type { Membership } from "./types.js";

/**
 * Membership as the log says it (the RAFT dissertation's rule): a change takes effect as
 * soon as its entry is in a node's log, committed or not, and is undone if that entry is
 * cut. Elections and quorums always use the newest membership in the log, so a node that
 * has not yet learned a commit can never count votes against a membership two changes old.
 * History since the last snapshot answers what was in force at any index.
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

  /** A change appended to the log at `index`. */
  append(index: number, change: MembershipChange): void {
    this.current = applyMembershipChange(this.current, change);
    this.history.push({ index, membership: this.current });
  }

  /** The log lost every entry from `index` on. */
  truncateFrom(index: number): void {
    this.history = this.history.filter((h) => h.index < index);
    this.current = this.history.length > 0 ? this.history[this.history.length - 1].membership : this.base;
  }

  /** Membership in force at `index` (not below the last compaction). */
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
