/**
 * Replies of requests that crossed a gateway carry a routing prefix
 * (`_GR_.<cluster hash>.<server hash>.<reply>`). Like Go, a client is shown the reply without it,
 * and its answers on that reply are sent to the routed subject for a while (Go's gwReplyMapping).
 */
const PREFIX = "_GR_.";
/** Where the client's reply starts: the prefix, two 6-character hashes and their dots. */
const REPLY_OFFSET = PREFIX.length + 6 + 1 + 6 + 1;
/** How long an answer may take (Go's recent-subscription expiry for gateways). */
const TTL_MS = 2000;
const PRUNE_AT = 1024;

/** Whether a reply subject came routed through a gateway. */
export function isGatewayRoutedReply(reply: string): boolean {
  return reply.length > REPLY_OFFSET && reply.startsWith(PREFIX);
}

export class GatewayReplies {
  private readonly routed = new Map<string, { subject: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Remembers a routed reply; returns the reply the client is shown. */
  show(routedReply: string): string {
    const shown = routedReply.slice(REPLY_OFFSET);
    const now = this.now();
    if (this.routed.size >= PRUNE_AT) this.prune(now);
    this.routed.set(shown, { subject: routedReply, expires: now + TTL_MS });
    return shown;
  }

  /** The routed subject a publish on `subject` answers, or undefined. */
  routedFor(subject: string): string | undefined {
    if (this.routed.size === 0) return undefined;
    const entry = this.routed.get(subject);
    if (entry === undefined) return undefined;
    if (entry.expires > this.now()) return entry.subject;
    this.routed.delete(subject);
    return undefined;
  }

  private prune(now: number): void {
    for (const [k, e] of this.routed) if (e.expires <= now) this.routed.delete(k);
  }
}
