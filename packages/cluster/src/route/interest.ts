import { isStreamImport, type Account, type NatsServer, type Subscription } from "@nats-ts/core";

/** One subject (or subject and queue group) this server has local interest in. */
export interface LocalInterest {
  account: string;
  subject: string;
  queue?: string;
  /** Local subscriptions behind it: for a queue group, the weight routes see. */
  count: number;
}

/**
 * Whether a subscription is interest other servers of the cluster must hear about: clients',
 * the system's, JetStream's and leaf nodes'. Not other routes' (full mesh), not gateways', and
 * not service-import subscriptions, which exist statically on every server. Stream-import
 * subscriptions do cross (the publisher's server sends the exporter's message and this server
 * imports it, as Go's shadow subscriptions do), and so does the exporter's wildcard for service
 * responses (`_R_.<prefix>.>`): its prefix is this server's own.
 */
function propagates(sub: Subscription): boolean {
  const kind = sub.sink.kind;
  if (kind === "ACCOUNT") return sub.subject.startsWith("_R_.") || isStreamImport(sub);
  return kind === "CLIENT" || kind === "SYSTEM" || kind === "JETSTREAM" || kind === "LEAF";
}

/**
 * `RS+ account subject [queue weight]` / `RS- account subject [queue]` (Go's
 * addRouteSubOrUnsubProtoToBuf); without the account on a pinned account's route.
 */
export function interestProto(i: LocalInterest, add: boolean, withAccount = true): string {
  const head = `${add ? "RS+" : "RS-"} ${withAccount ? `${i.account} ` : ""}${i.subject}`;
  if (i.queue === undefined) return `${head}\r\n`;
  return add ? `${head} ${i.queue} ${i.count}\r\n` : `${head} ${i.queue}\r\n`;
}

/**
 * Keeps the per-account count of local interest (Go's account route map, `acc.rm`) from the
 * sublists' watchers and reports each change routes must hear: a subject's first and last
 * subscription, and every change of a queue group's weight.
 */
export class LocalInterestTracker {
  private readonly byAccount = new Map<string, Map<string, LocalInterest>>();
  private readonly unwatch: (() => void)[] = [];
  private readonly onAccount = (acc: Account) => this.watch(acc);

  constructor(
    private readonly server: NatsServer,
    private readonly onChange: (interest: LocalInterest, add: boolean) => void,
  ) {
    for (const name of server.accountNames()) {
      const acc = server.lookupAccount(name);
      if (acc !== undefined) this.watch(acc);
    }
    server.events.on("accountRegistered", this.onAccount);
  }

  /** Every interest entry, for a new route's initial RS+ burst. */
  *all(): Iterable<LocalInterest> {
    for (const m of this.byAccount.values()) yield* m.values();
  }

  stop(): void {
    this.server.events.off("accountRegistered", this.onAccount);
    for (const u of this.unwatch) u();
    this.unwatch.length = 0;
  }

  private watch(acc: Account): void {
    if (this.byAccount.has(acc.name)) return;
    const entries = new Map<string, LocalInterest>();
    this.byAccount.set(acc.name, entries);
    for (const sub of acc.sublist.all()) if (propagates(sub)) this.count(acc.name, entries, sub, 1);
    this.unwatch.push(
      acc.sublist.watch((sub, added) => {
        if (propagates(sub)) this.count(acc.name, entries, sub, added ? 1 : -1, true);
      }),
    );
  }

  private count(account: string, entries: Map<string, LocalInterest>, sub: Subscription, delta: number, report = false): void {
    const key = sub.queue === undefined ? sub.subject : `${sub.subject} ${sub.queue}`;
    let e = entries.get(key);
    if (e === undefined) {
      if (delta < 0) return;
      entries.set(key, (e = { account, subject: sub.subject, queue: sub.queue, count: 0 }));
    }
    e.count += delta;
    if (e.count <= 0) {
      entries.delete(key);
      if (report) this.onChange(e, false);
      return;
    }
    // Plain subjects matter on their first subscription only; queue groups on every weight change.
    if (report && (e.queue !== undefined || (delta > 0 && e.count === 1))) this.onChange(e, true);
  }
}
