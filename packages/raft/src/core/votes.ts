import { quorum } from "./membership.js";
import type { NodeId } from "./types.js";

export type VoteOutcome = "won" | "lost" | "pending";

/** Counts only the votes of current voters: a removed peer's vote never helps elect. */
export function tallyVotes(votes: ReadonlyMap<NodeId, boolean>, voters: readonly NodeId[]): VoteOutcome {
  let yes = 0;
  let no = 0;
  for (const v of voters) {
    const g = votes.get(v);
    if (g === true) yes++;
    else if (g === false) no++;
  }
  const q = quorum(voters);
  if (yes >= q) return "won";
  if (no >= q) return "lost";
  return "pending";
}
