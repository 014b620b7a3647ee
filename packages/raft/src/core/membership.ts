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

/** Decodes a `conf` entry; null for anything malformed (every node ignores it alike). */
export function decodeMembershipChange(data: Uint8Array): MembershipChange | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== "object") return null;
  const c = parsed as Record<string, unknown>;
  if ((c.op === "addVoter" || c.op === "addObserver" || c.op === "remove") && typeof c.peer === "string" && c.peer !== "") {
    return { op: c.op, peer: c.peer };
  }
  if (c.op === "bootstrap" && isMembership(c.membership)) return { op: "bootstrap", membership: c.membership };
  return null;
}

function isMembership(m: unknown): m is Membership {
  if (!m || typeof m !== "object") return false;
  const { voters, observers } = m as Record<string, unknown>;
  const names = (x: unknown): boolean => Array.isArray(x) && x.every((v) => typeof v === "string");
  return names(voters) && names(observers);
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
