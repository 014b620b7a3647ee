import type { Membership, NodeId } from "./types.js";

/**
 * A single-server membership change, stored as the data of a `conf` entry.
 * `bootstrap` sets the initial membership (the first entry of a new group).
 */
export type MembershipChange =
  | { op: "bootstrap"; membership: Membership }
  | { op: "addVoter"; peer: NodeId }
  | { op: "addObserver"; peer: NodeId }
  | { op: "remove"; peer: NodeId };

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeMembershipChange(change: MembershipChange): Uint8Array {
  return encoder.encode(JSON.stringify(change));
}

export function decodeMembershipChange(data: Uint8Array): MembershipChange {
  const parsed = JSON.parse(decoder.decode(data)) as MembershipChange;
  if (!parsed || typeof parsed !== "object" || typeof parsed.op !== "string") {
    throw new Error("malformed membership change");
  }
  return parsed;
}

export function emptyMembership(): Membership {
  return { voters: [], observers: [] };
}

export function cloneMembership(m: Membership): Membership {
  return { voters: [...m.voters], observers: [...m.observers] };
}

/** Membership after applying one change. */
export function applyMembershipChange(m: Membership, change: MembershipChange): Membership {
  switch (change.op) {
    case "bootstrap":
      return cloneMembership(change.membership);
    case "addVoter":
      return {
        voters: m.voters.includes(change.peer) ? [...m.voters] : [...m.voters, change.peer].sort(),
        observers: m.observers.filter((p) => p !== change.peer),
      };
    case "addObserver":
      if (m.voters.includes(change.peer)) return cloneMembership(m);
      return {
        voters: [...m.voters],
        observers: m.observers.includes(change.peer) ? [...m.observers] : [...m.observers, change.peer].sort(),
      };
    case "remove":
      return {
        voters: m.voters.filter((p) => p !== change.peer),
        observers: m.observers.filter((p) => p !== change.peer),
      };
  }
}

/** True when the change would leave the membership as it is. */
export function isNoopChange(m: Membership, change: MembershipChange): boolean {
  const next = applyMembershipChange(m, change);
  return sameMembers(next.voters, m.voters) && sameMembers(next.observers, m.observers);
}

export function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

export function quorum(voters: readonly NodeId[]): number {
  return Math.floor(voters.length / 2) + 1;
}

export function isMember(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || m.observers.includes(id);
}
