import { isStreamImport, type Account, type Subscription } from "@nats-ts/core";
import { subjectMatches } from "@nats-ts/wire";
import { gatewayTuning } from "./tuning.js";

/**
 * Whether a subscription is interest this cluster tells other clusters about: not theirs
 * (gateway), and of the account-import plumbing only stream imports (the importer may have
 * subscribers here). Service imports are answered in the cluster where the request is made, as
 * in Go (its `si` subscriptions).
 */
export function isClusterInterest(sub: Subscription): boolean {
  const kind = sub.sink.kind;
  if (kind === "GATEWAY") return false;
  if (kind === "ACCOUNT") return isStreamImport(sub);
  return true;
}

/** A first or last subscription on a subject (or subject and queue) in an account. */
export type InterestChange = (account: string, subject: string, queue: string | undefined, added: boolean) => void;

interface Tally {
  n: number;
  subject: string;
  queue: string | undefined;
}

/**
 * The interest of this whole cluster as the gateways see it (Go's `pasi`): subscriptions of
 * clients, internal subscribers, routes and leaf nodes, counted per account and subject (and
 * queue), so gateways hear of the first and the last one. Gateway interest (what the other
 * clusters want) and account-import plumbing (present on every server) are not counted.
 */
export class ClusterInterest {
  private readonly accounts = new Map<string, Map<string, Tally>>();
  /** Recently added subscriptions per account (Go's rsubs), for reply mapping. */
  private readonly recent = new Map<string, { subject: string; until: number }[]>();
  private readonly unwatch: (() => void)[] = [];

  constructor(private readonly onChange: InterestChange) {}

  /** Starts counting an account's subscriptions (those present now included). */
  follow(account: Account): void {
    for (const sub of account.sublist.all()) this.update(account.name, sub, true, false);
    this.unwatch.push(account.sublist.watch((sub, added) => this.update(account.name, sub, added, true)));
  }

  stop(): void {
    for (const u of this.unwatch.splice(0)) u();
  }

  /** Whether the account has any subscription this cluster counts. */
  hasAny(account: string): boolean {
    return (this.accounts.get(account)?.size ?? 0) > 0;
  }

  /** The plain subjects (or, with `queues`, the subject/queue pairs) with interest in an account. */
  entries(account: string, queues: boolean): { subject: string; queue: string | undefined }[] {
    const m = this.accounts.get(account);
    if (m === undefined) return [];
    return [...m.values()].filter((t) => (t.queue !== undefined) === queues);
  }

  accountNames(): string[] {
    return [...this.accounts.keys()];
  }

  /** Whether a reply subject matches a subscription made in the last `gatewayTuning.recentSubExpiration` ms. */
  isRecentReply(account: string, reply: string, now = Date.now()): boolean {
    const list = this.recent.get(account);
    if (list === undefined) return false;
    let live = 0;
    let hit = false;
    for (const r of list) {
      if (r.until <= now) continue;
      list[live++] = r;
      if (!hit && subjectMatches(r.subject, reply)) hit = true;
    }
    list.length = live;
    if (live === 0) this.recent.delete(account);
    return hit;
  }

  /** Notes a new subscription for reply mapping; entries expire in insertion order, so old ones go from the front. */
  private remember(account: string, subject: string): void {
    const now = Date.now();
    let list = this.recent.get(account);
    if (list === undefined) this.recent.set(account, (list = []));
    let expired = 0;
    while (expired < list.length && list[expired].until <= now) expired++;
    if (expired > 0) list.splice(0, expired);
    list.push({ subject, until: now + gatewayTuning.recentSubExpiration });
  }

  private update(account: string, sub: Subscription, added: boolean, notify: boolean): void {
    if (!isClusterInterest(sub)) return;
    const key = sub.queue === undefined ? sub.subject : `${sub.subject} ${sub.queue}`;
    let m = this.accounts.get(account);
    if (added) {
      if (m === undefined) this.accounts.set(account, (m = new Map()));
      let t = m.get(key);
      const first = t === undefined;
      if (t === undefined) m.set(key, (t = { n: 0, subject: sub.subject, queue: sub.queue }));
      t.n++;
      if (notify) this.remember(account, sub.subject);
      if (first && notify) this.onChange(account, sub.subject, sub.queue, true);
      return;
    }
    const t = m?.get(key);
    if (m === undefined || t === undefined) return;
    if (--t.n > 0) return;
    m.delete(key);
    if (m.size === 0) this.accounts.delete(account);
    if (notify) this.onChange(account, sub.subject, sub.queue, false);
  }
}
