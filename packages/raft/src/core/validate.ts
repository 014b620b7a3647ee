import type { Message } from "./types.js";

/**
 * Structural checks on a message from the network, so a buggy or hostile peer can never
 * drive the state machine into an impossible state: appended entries must continue the
 * log at `prevIndex + 1` with terms that never decrease or exceed the sender's term, and a
 * snapshot chunk must lie inside its snapshot.
 */
export function isWellFormed(m: Message): boolean {
  if (!isIndex(m.term)) return false;
  switch (m.type) {
    case "append": {
      if (!isIndex(m.prevIndex) || !isIndex(m.prevTerm) || !isIndex(m.commit) || !isIndex(m.leaderLast)) return false;
      if (m.prevTerm > m.term) return false;
      let term = m.prevTerm;
      for (let i = 0; i < m.entries.length; i++) {
        const e = m.entries[i];
        if (e.index !== m.prevIndex + 1 + i || !isIndex(e.term) || e.term < term || e.term > m.term) return false;
        term = e.term;
      }
      return true;
    }
    case "snapshot":
      return (
        isIndex(m.meta.index) &&
        m.meta.index > 0 &&
        isIndex(m.meta.term) &&
        m.meta.term <= m.term &&
        m.meta.membership.voters.length > 0 &&
        isIndex(m.offset) &&
        isIndex(m.total) &&
        m.offset + m.data.length <= m.total &&
        (m.done ? m.offset + m.data.length === m.total : m.data.length > 0)
      );
    case "vote":
      return isIndex(m.lastIndex) && isIndex(m.lastTerm) && m.lastTerm <= m.term;
    case "appendResp":
      return isIndex(m.index) && isIndex(m.hint);
    case "heartbeat":
      return isIndex(m.commit);
    case "snapshotResp":
      return isIndex(m.index) && isIndex(m.offset);
    case "voteResp":
    case "heartbeatResp":
    case "timeoutNow":
      return true;
  }
}

function isIndex(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
