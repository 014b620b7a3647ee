/** Go's allow_responses limits: responses per request and how long they may come. */
export interface ResponseLimits {
  maxMsgs: number;
  expires: number;
}

const PRUNE_AT = 1024;

/**
 * The reply subjects one client was asked to answer (Go's client replies map): a client with
 * `allow_responses` may publish to the reply subject of each request delivered to it, up to
 * `maxMsgs` times and within `expires` ms (limits at or below 0 mean none).
 *
 * @example
 * const permits = new ResponsePermits({ maxMsgs: 1, expires: 60_000 });
 * permits.grant("_INBOX.abc");
 * permits.use("_INBOX.abc"); // true
 * permits.use("_INBOX.abc"); // false: one response only
 */
export class ResponsePermits {
  private readonly replies = new Map<string, { n: number; t: number }>();

  constructor(
    private readonly limits: ResponseLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** A request with this reply subject was delivered to the client. */
  grant(reply: string): void {
    if (!this.replies.has(reply)) this.replies.set(reply, { n: 0, t: this.now() });
    if (this.replies.size > PRUNE_AT) this.prune();
  }

  /** Whether the client may publish one response to `subject` now (and counts it). */
  use(subject: string): boolean {
    const entry = this.replies.get(subject);
    if (entry === undefined) return false;
    entry.n++;
    if (this.spent(entry, this.now())) {
      this.replies.delete(subject);
      return false;
    }
    return true;
  }

  private spent(entry: { n: number; t: number }, now: number): boolean {
    const { maxMsgs, expires } = this.limits;
    return (maxMsgs > 0 && entry.n > maxMsgs) || (expires > 0 && now - entry.t > expires);
  }

  private prune(): void {
    const now = this.now();
    const { maxMsgs, expires } = this.limits;
    for (const [k, v] of this.replies) {
      if ((expires > 0 && now - v.t > expires) || (maxMsgs > 0 && v.n >= maxMsgs)) this.replies.delete(k);
    }
  }
}
