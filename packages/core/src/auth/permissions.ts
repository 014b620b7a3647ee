import type { Permissions } from "../auth-options.js";
import { isSubsetMatch } from "../accounts/subject-transform.js";
import { Sublist, type SublistResult } from "../sublist/sublist.js";
import { Subscription, type MessageSink } from "../sublist/subscription.js";

/** Permission entries live in a sublist only to be matched; nothing is ever delivered to them. */
const RULE_SINK: MessageSink = { kind: "SYSTEM", cid: 0, deliver: () => false, removeSub: () => {} };
const PUB_CACHE_MAX = 128;

/** A compiled allow or deny list: `subject` or, for subscribe lists, `subject queue`. */
class SubjectRules {
  private readonly sublist = new Sublist();
  readonly subjects: string[];

  constructor(entries: readonly string[]) {
    this.subjects = [...entries];
    for (const e of entries) {
      const [subject, queue] = e.trim().split(/\s+/);
      this.sublist.insert(new Subscription(RULE_SINK, subject, e, queue));
    }
  }

  match(subject: string): SublistResult {
    return this.sublist.match(subject);
  }

  /** Any entry (queue-specific or not) whose subject could match something `subject` matches. */
  collides(subject: string): boolean {
    return this.subjects.some((e) => collide(e.trim().split(/\s+/)[0], subject));
  }
}

function collide(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const s = x[i];
    const t = y[i];
    if (s === ">" || t === ">") return s !== undefined && t !== undefined;
    if (s === undefined || t === undefined) return false;
    if (s !== "*" && t !== "*" && s !== t) return false;
  }
  return true;
}

/** Go's queueMatches: the group is named by an entry, literally or through wildcards. */
function queueAllowed(queue: string, qsubs: SublistResult["qsubs"]): boolean {
  if (qsubs.length === 0) return true;
  for (const group of qsubs) {
    const name = group[0].queue!;
    if (queue === name || ((name.includes("*") || name.includes(">")) && isSubsetMatch(queue, name))) return true;
  }
  return false;
}

/**
 * One user's compiled permissions (Go's client perms): publish and subscribe allow/deny lists
 * and the allow_responses settings. Publish decisions are cached per subject like Go's pcache.
 *
 * @example
 * const p = new ClientPermissions({ publish: { allow: ["orders.>"] } });
 * p.canPublish("orders.new"); // true
 */
export class ClientPermissions {
  readonly pubAllow: SubjectRules | undefined;
  readonly pubDeny: SubjectRules | undefined;
  readonly subAllow: SubjectRules | undefined;
  readonly subDeny: SubjectRules | undefined;
  readonly responses: { maxMsgs: number; expires: number } | undefined;
  private readonly pubCache = new Map<string, boolean>();

  constructor(readonly source: Permissions) {
    const { publish, subscribe, allowResponses } = source;
    // allow_responses without a publish allow list means: publish nothing but responses.
    const pubAllow = publish?.allow ?? (allowResponses !== undefined ? [] : undefined);
    this.pubAllow = pubAllow !== undefined ? new SubjectRules(pubAllow) : undefined;
    this.pubDeny = publish?.deny !== undefined ? new SubjectRules(publish.deny) : undefined;
    this.subAllow = subscribe?.allow !== undefined ? new SubjectRules(subscribe.allow) : undefined;
    this.subDeny = subscribe?.deny !== undefined ? new SubjectRules(subscribe.deny) : undefined;
    this.responses = allowResponses;
  }

  /** Whether the allow/deny lists let this subject be published (responses are checked apart). */
  canPublish(subject: string): boolean {
    if (this.pubAllow === undefined && this.pubDeny === undefined) return true;
    const cached = this.pubCache.get(subject);
    if (cached !== undefined) return cached;
    let allowed = true;
    if (this.pubAllow !== undefined) allowed = this.pubAllow.match(subject).psubs.length > 0;
    if (allowed && this.pubDeny !== undefined) allowed = this.pubDeny.match(subject).psubs.length === 0;
    if (this.pubCache.size >= PUB_CACHE_MAX) this.pubCache.clear();
    this.pubCache.set(subject, allowed);
    return allowed;
  }

  /** Go's canSubscribe: allowed by the allow list (queue entries name their groups), not denied. */
  canSubscribe(subject: string, queue?: string): boolean {
    let allowed = true;
    if (this.subAllow !== undefined) {
      const r = this.subAllow.match(subject);
      allowed = r.psubs.length > 0;
      if (queue !== undefined && r.qsubs.length > 0) allowed = queueAllowed(queue, r.qsubs);
    }
    if (allowed && this.subDeny !== undefined) {
      const r = this.subDeny.match(subject);
      allowed = r.psubs.length === 0;
      if (allowed && queue !== undefined && r.qsubs.length > 0) allowed = !queueAllowed(queue, r.qsubs);
    }
    return allowed;
  }

  /**
   * A wildcard (or queue) subscription that overlaps the deny list still receives nothing the
   * deny list names: Go filters such messages at delivery.
   */
  needsDeliveryFilter(subject: string, queue: string | undefined): boolean {
    if (this.subDeny === undefined) return false;
    const wild = subject.includes("*") || subject.includes(">");
    return (wild || queue !== undefined) && this.subDeny.collides(subject);
  }

  /** Delivery-time deny check for subscriptions that needed a filter. */
  deniesDelivery(subject: string): boolean {
    return this.subDeny !== undefined && this.subDeny.match(subject).psubs.length > 0;
  }
}
