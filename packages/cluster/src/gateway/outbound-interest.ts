import { Sublist, Subscription, type Account, type MessageSink } from "@nats-ts/core";
import { isValidSubject, subjectIsSubsetMatch } from "@nats-ts/wire";
import type { GatewayConnection } from "./connection.js";
import { GW_REPLY_PREFIX, isGatewayRoutedReply, routedReplyCluster } from "./reply-prefix.js";

/** Go's GatewayInterestMode names, as /gatewayz prints them. */
export type InterestMode = "Optimistic" | "Transitioning" | "Interest-Only";

/** What an account's outbound sink needs from the gateway service. */
export interface OutboundContext {
  /** The reply to put on the wire: `_GR_.`-mapped when the reply's subscription is recent. */
  mapReply(account: string, reply: string): string;
}

/**
 * What one outbound gateway connection knows of the remote cluster's interest in one account
 * (Go's outsie), and the sink core forwards that account's messages to.
 *
 * Optimistic mode: a `>` subscription catches everything and {@link forward} drops subjects the
 * remote said it has no interest in (RS-) or the whole account (A-). Interest-only mode (after the
 * remote's "all subscriptions" commands, or from the start with a remote that announced
 * gateway_iom): only the remote's RS+ subscriptions sit in the account's sublist. Queue
 * subscriptions are always explicit. A `_GR_.>` subscription sends routed replies straight to
 * the cluster they name.
 */
export class OutboundAccountInterest implements MessageSink {
  readonly kind = "GATEWAY" as const;
  mode: InterestMode = "Optimistic";
  /** The remote sent A-: nothing of this account goes out. */
  accountNoInterest = false;
  /** Subjects the remote sent RS- for (optimistic mode only). */
  noInterest: Set<string> | undefined = new Set();
  /** The remote's RS+ subscriptions by `subject` or `subject queue`. */
  private readonly explicit = new Map<string, Subscription>();
  /** Plain explicit subscriptions, to check them while transitioning. */
  private readonly explicitPlain = new Sublist();
  private catchAll: Subscription | undefined;
  private routedReplies: Subscription | undefined;
  private account: Account | undefined;
  private nextSid = 1;

  constructor(
    readonly accountName: string,
    private readonly conn: GatewayConnection,
    private readonly remoteClusterHash: string,
    private readonly ctx: OutboundContext,
  ) {}

  get cid(): number {
    return this.conn.cid;
  }

  get queueSubCount(): number {
    let n = 0;
    for (const s of this.explicit.values()) if (s.queue !== undefined) n++;
    return n;
  }

  /** The remote's subscriptions held here, for /gatewayz. */
  subscriptions(): Subscription[] {
    return [...this.explicit.values()];
  }

  /** Installs this sink's subscriptions in the (now existing) local account. */
  attach(account: Account): void {
    if (this.account !== undefined) return;
    this.account = account;
    this.routedReplies = new Subscription(this, `${GW_REPLY_PREFIX}>`, this.sid());
    account.sublist.insert(this.routedReplies);
    for (const sub of this.explicit.values()) {
      if (sub.queue !== undefined || this.usesSublist()) account.sublist.insert(sub);
    }
    this.syncCatchAll();
  }

  /** Removes every subscription of this sink from the account (connection closed). */
  detach(): void {
    const acc = this.account;
    if (acc === undefined) return;
    this.account = undefined;
    for (const sub of [this.catchAll, this.routedReplies, ...this.explicit.values()]) {
      if (sub === undefined) continue;
      sub.closed = true;
      acc.sublist.remove(sub);
    }
    this.catchAll = undefined;
    this.routedReplies = undefined;
  }

  /** RS+ from the remote. */
  addInterest(subject: string, queue: string | undefined): void {
    if (queue === undefined && !this.usesSublist()) {
      // Optimistic: the remote takes back an RS-.
      const ni = this.noInterest!;
      if (subject.includes("*") || subject.includes(">")) {
        for (const s of ni) if (subjectIsSubsetMatch(s, subject)) ni.delete(s);
      } else {
        ni.delete(subject);
      }
      return;
    }
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    if (this.explicit.has(key) || !isValidSubject(subject)) return;
    const sub = new Subscription(this, subject, this.sid(), queue);
    this.explicit.set(key, sub);
    if (queue === undefined) this.explicitPlain.insert(sub);
    this.account?.sublist.insert(sub);
  }

  /** RS- from the remote. */
  removeInterest(subject: string, queue: string | undefined): void {
    if (queue === undefined && !this.usesSublist()) {
      this.noInterest!.add(subject);
      return;
    }
    const key = queue === undefined ? subject : `${subject} ${queue}`;
    const sub = this.explicit.get(key);
    if (sub === undefined) return;
    this.explicit.delete(key);
    if (queue === undefined) this.explicitPlain.remove(sub);
    sub.closed = true;
    this.account?.sublist.remove(sub);
  }

  /** A- from the remote: no interest in the account at all (unless it has queue subscriptions). */
  accountUnsubscribed(): void {
    if (this.queueSubCount > 0) {
      this.noInterest = new Set();
      return;
    }
    this.accountNoInterest = true;
  }

  /** A+ from the remote. */
  accountSubscribed(): void {
    this.accountNoInterest = false;
  }

  /** The remote starts sending all its subscriptions (gateway_cmd 2). */
  startInterestOnly(): void {
    if (this.mode === "Interest-Only") return;
    // From now on RS+/RS- are subscriptions, not no-interest markers (optimistic RS+ only
    // cleared markers, so there is no plain subscription to install yet).
    this.mode = "Transitioning";
  }

  /** The remote has sent all its subscriptions (gateway_cmd 3). */
  completeInterestOnly(): void {
    this.mode = "Interest-Only";
    this.noInterest = undefined;
    this.accountNoInterest = false;
    this.syncCatchAll();
  }

  // ---- MessageSink --------------------------------------------------------------------------

  deliver(): boolean {
    return false;
  }

  removeSub(): void {
    // Gateway interest ends with RS-, never by auto-unsubscribe.
  }

  forward(subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, msg: Buffer): boolean {
    const conn = this.conn;
    if (conn.isClosed || !conn.registered) return false;
    if (isGatewayRoutedReply(subject)) {
      // A routed reply goes to the cluster it names, whatever the interest.
      if (routedReplyCluster(subject) !== this.remoteClusterHash) return false;
    } else if (subject.startsWith(GW_REPLY_PREFIX)) {
      return false;
    } else if (!this.wants(subject, queues)) {
      return false;
    }
    const wireReply = reply === undefined ? undefined : this.ctx.mapReply(this.accountName, reply);
    conn.writeMsg(this.accountName, subject, wireReply, queues, headerSize, msg);
    return true;
  }

  /** Go's gatewayInterest: whether the remote may want a subject the sublist matched. */
  private wants(subject: string, queues: readonly string[]): boolean {
    if (this.accountNoInterest) return false;
    if (queues.length > 0) return true;
    if (this.usesSublistOnly()) return true;
    const ni = this.noInterest;
    if (ni === undefined || !ni.has(subject)) return true;
    return this.mode === "Transitioning" && this.explicitPlain.hasInterest(subject);
  }

  /** Plain RS+/RS- are subscriptions (not no-interest markers). */
  private usesSublist(): boolean {
    return this.mode !== "Optimistic" || this.conn.remoteInterestOnly;
  }

  /** Only explicit subscriptions count: the catch-all is gone. */
  private usesSublistOnly(): boolean {
    return this.mode === "Interest-Only" || this.conn.remoteInterestOnly;
  }

  private syncCatchAll(): void {
    const acc = this.account;
    if (acc === undefined) return;
    const want = !this.usesSublistOnly();
    if (want && this.catchAll === undefined) {
      this.catchAll = new Subscription(this, ">", this.sid());
      acc.sublist.insert(this.catchAll);
    } else if (!want && this.catchAll !== undefined) {
      this.catchAll.closed = true;
      acc.sublist.remove(this.catchAll);
      this.catchAll = undefined;
    }
  }

  private sid(): string {
    return `gw${this.nextSid++}`;
  }
}
