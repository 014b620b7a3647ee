import type { HardState, Message } from "./types.js";

/** Only a leader sends these; they carry its term and log, never a vote or an acknowledgement. */
const LEADER_MESSAGE_TYPES = new Set<Message["type"]>(["append", "heartbeat", "snapshot", "timeoutNow"]);

/**
 * Separates the leader's replication traffic, which may go out before the ready is
 * persisted, from messages that must wait for it. Early sending is only allowed while the
 * term and vote they were sent under are already durable.
 */
export function splitMessages(
  msgs: readonly Message[],
  hardState: HardState | null,
  durable: HardState,
): { messages: Message[]; leaderMessages: Message[] } {
  const messages: Message[] = [];
  const leaderMessages: Message[] = [];
  const termDurable = hardState === null || (hardState.term === durable.term && hardState.vote === durable.vote);
  for (const m of msgs) {
    (termDurable && m.term === durable.term && LEADER_MESSAGE_TYPES.has(m.type) ? leaderMessages : messages).push(m);
  }
  return { messages, leaderMessages };
}

export function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit && a.recovering === b.recovering;
}
