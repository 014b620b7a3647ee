import { subjectMatches } from "@nats-ts/wire";
import type { Subscription } from "./subscription.js";

/** What a publish on one subject reaches: plain subscribers, and queue groups (one array per group). */
export interface SublistResult {
  readonly psubs: readonly Subscription[];
  readonly qsubs: readonly (readonly Subscription[])[];
}

const EMPTY_RESULT: SublistResult = Object.freeze({ psubs: [], qsubs: [] });
const CACHE_MAX = 1024;

interface Node {
  psubs: Set<Subscription>;
  qsubs: Map<string, Set<Subscription>>;
  next: Level | undefined;
}

class Level {
  readonly literals = new Map<string, Node>();
  pwc: Node | undefined; // "*"
  fwc: Node | undefined; // ">"

  get isEmpty(): boolean {
    return this.literals.size === 0 && this.pwc === undefined && this.fwc === undefined;
  }
}

function newNode(): Node {
  return { psubs: new Set(), qsubs: new Map(), next: undefined };
}

function nodeIsEmpty(n: Node): boolean {
  return n.psubs.size === 0 && n.qsubs.size === 0 && (n.next === undefined || n.next.isEmpty);
}

/** Thrown by {@link Sublist.insert} for subjects the trie cannot hold (empty tokens, misplaced `>`). */
export class InvalidSubjectError extends Error {
  constructor(subject: string) {
    super(`invalid subject "${subject}"`);
    this.name = "InvalidSubjectError";
  }
}

/** Told of each subscription added to (`added`) or removed from a sublist. */
export type InterestWatcher = (sub: Subscription, added: boolean) => void;

/**
 * The subscription index of one account: a token trie for wildcard subjects plus a result cache
 * keyed by subject. Publishing looks up {@link match}; SUB and UNSUB call {@link insert} and
 * {@link remove}, which drop only the cache entries the change can affect.
 *
 * @example
 * const sl = new Sublist();
 * sl.insert(new Subscription(sink, "orders.*", "1"));
 * sl.match("orders.new").psubs.length; // 1
 */
export class Sublist {
  private readonly root = new Level();
  private readonly cache = new Map<string, SublistResult>();
  private subCount = 0;
  /** Counters for monitoring (Go's SublistStats). */
  readonly stats = { inserts: 0, removes: 0, matches: 0, cacheHits: 0 };
  private watchers: InterestWatcher[] = [];

  /**
   * Calls `watcher` after every insert and successful remove (how routes and leaf nodes learn of
   * interest to propagate). Returns the function that stops watching.
   */
  watch(watcher: InterestWatcher): () => void {
    this.watchers = [...this.watchers, watcher];
    return () => {
      this.watchers = this.watchers.filter((w) => w !== watcher);
    };
  }

  /** Number of subscriptions held. */
  get count(): number {
    return this.subCount;
  }

  /** Number of cached match results. */
  get cacheSize(): number {
    return this.cache.size;
  }

  insert(sub: Subscription): void {
    const tokens = sub.subject.split(".");
    let level = this.root;
    let node: Node | undefined;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.length === 0) throw new InvalidSubjectError(sub.subject);
      if (t === ">") {
        if (i !== tokens.length - 1) throw new InvalidSubjectError(sub.subject);
        node = level.fwc ??= newNode();
      } else if (t === "*") {
        node = level.pwc ??= newNode();
      } else {
        node = level.literals.get(t);
        if (node === undefined) {
          node = newNode();
          level.literals.set(t, node);
        }
      }
      if (i < tokens.length - 1) level = node.next ??= new Level();
    }
    const leaf = node!;
    if (sub.queue === undefined) {
      leaf.psubs.add(sub);
    } else {
      let group = leaf.qsubs.get(sub.queue);
      if (group === undefined) leaf.qsubs.set(sub.queue, (group = new Set()));
      group.add(sub);
    }
    this.subCount++;
    this.stats.inserts++;
    this.invalidate(sub.subject);
    for (const w of this.watchers) w(sub, true);
  }

  /** Removes a subscription; returns false when it was not present. Throws for an invalid subject. */
  remove(sub: Subscription): boolean {
    const tokens = sub.subject.split(".");
    const path: { level: Level; token: string; node: Node }[] = [];
    let level: Level | undefined = this.root;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i];
      if (t.length === 0 || (t === ">" && i !== tokens.length - 1)) throw new InvalidSubjectError(sub.subject);
      if (level === undefined) return false;
      const node: Node | undefined = t === ">" ? level.fwc : t === "*" ? level.pwc : level.literals.get(t);
      if (node === undefined) return false;
      path.push({ level, token: t, node });
      level = node.next;
    }
    const leaf = path[path.length - 1].node;
    let removed: boolean;
    if (sub.queue === undefined) {
      removed = leaf.psubs.delete(sub);
    } else {
      const group = leaf.qsubs.get(sub.queue);
      removed = group?.delete(sub) ?? false;
      if (group !== undefined && group.size === 0) leaf.qsubs.delete(sub.queue);
    }
    if (!removed) return false;
    this.prune(path);
    this.subCount--;
    this.stats.removes++;
    this.invalidate(sub.subject);
    for (const w of this.watchers) w(sub, false);
    return true;
  }

  /** Everything a message published on `subject` reaches. The result must not be modified. */
  match(subject: string): SublistResult {
    this.stats.matches++;
    const cached = this.cache.get(subject);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return cached;
    }
    const psubs: Subscription[] = [];
    const groups = new Map<string, Subscription[]>();
    matchLevel(this.root, subject.split("."), 0, psubs, groups);
    const result: SublistResult =
      psubs.length === 0 && groups.size === 0 ? EMPTY_RESULT : { psubs, qsubs: [...groups.values()] };
    if (this.cache.size >= CACHE_MAX) {
      // Evict the oldest entry: Map iterates in insertion order.
      this.cache.delete(this.cache.keys().next().value!);
    }
    this.cache.set(subject, result);
    return result;
  }

  /** True when a publish on `subject` would reach at least one subscription. */
  hasInterest(subject: string): boolean {
    const r = this.match(subject);
    return r.psubs.length > 0 || r.qsubs.length > 0;
  }

  /** Every subscription held, in no particular order (monitoring, shutdown). */
  all(): Subscription[] {
    const out: Subscription[] = [];
    collect(this.root, out);
    return out;
  }

  private prune(path: { level: Level; token: string; node: Node }[]): void {
    for (let i = path.length - 1; i >= 0; i--) {
      const { level, token, node } = path[i];
      if (!nodeIsEmpty(node)) return;
      if (token === ">") level.fwc = undefined;
      else if (token === "*") level.pwc = undefined;
      else level.literals.delete(token);
      if (i > 0) {
        const parent = path[i - 1].node;
        if (parent.next !== undefined && parent.next.isEmpty) parent.next = undefined;
      }
    }
  }

  /** Drops the cached results a change on `subject` (a literal or a wildcard filter) can affect. */
  private invalidate(subject: string): void {
    if (this.cache.size === 0) return;
    if (subject.indexOf("*") < 0 && subject.indexOf(">") < 0) {
      this.cache.delete(subject);
      return;
    }
    for (const key of this.cache.keys()) {
      if (subjectMatches(subject, key)) this.cache.delete(key);
    }
  }
}

function addNode(node: Node, psubs: Subscription[], groups: Map<string, Subscription[]>): void {
  for (const s of node.psubs) psubs.push(s);
  for (const [queue, members] of node.qsubs) {
    let group = groups.get(queue);
    if (group === undefined) groups.set(queue, (group = []));
    for (const s of members) group.push(s);
  }
}

function matchLevel(
  start: Level,
  tokens: string[],
  from: number,
  psubs: Subscription[],
  groups: Map<string, Subscription[]>,
): void {
  let level: Level | undefined = start;
  let literal: Node | undefined;
  let pwc: Node | undefined;
  for (let i = from; i < tokens.length; i++) {
    if (level === undefined) return;
    if (level.fwc !== undefined) addNode(level.fwc, psubs, groups);
    pwc = level.pwc;
    if (pwc !== undefined && pwc.next !== undefined && i + 1 < tokens.length) {
      matchLevel(pwc.next, tokens, i + 1, psubs, groups);
    }
    literal = level.literals.get(tokens[i]);
    level = i + 1 < tokens.length ? literal?.next : undefined;
    if (i + 1 < tokens.length && literal === undefined) return;
  }
  // The last token: subscriptions that end exactly here.
  if (literal !== undefined) addNode(literal, psubs, groups);
  if (pwc !== undefined) addNode(pwc, psubs, groups);
}

function collect(level: Level, out: Subscription[]): void {
  const visit = (n: Node) => {
    for (const s of n.psubs) out.push(s);
    for (const g of n.qsubs.values()) for (const s of g) out.push(s);
    if (n.next !== undefined) collect(n.next, out);
  };
  for (const n of level.literals.values()) visit(n);
  if (level.pwc !== undefined) visit(level.pwc);
  if (level.fwc !== undefined) visit(level.fwc);
}
