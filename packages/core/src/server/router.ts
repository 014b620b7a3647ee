import type { Account } from "../account.js";
import { isRemoteKind, type MessageSink, type Subscription } from "../sublist/subscription.js";

/**
 * Server-wide message counters (Go's in/out msgs and bytes). The `peer*` part is what came from
 * or went to other servers (routes, leaf nodes, gateways): Go's in/out_client_* are the rest.
 */
export interface TrafficStats {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
  peerInMsgs: number;
  peerInBytes: number;
  peerOutMsgs: number;
  peerOutBytes: number;
}

/** Whether a publisher wants its own messages back and 503 replies for requests nobody answers. */
export interface PublisherFlags {
  echo: boolean;
  noResponders: boolean;
}

const INTERNAL: PublisherFlags = { echo: true, noResponders: false };

/**
 * Delivers one published message to every plain subscriber and to one member of each queue group
 * in the account (after the account's subject mappings), honouring echo and auto-unsubscribe, and
 * answers a request that reaches nobody with a 503 status when the publisher asked for it.
 *
 * Interest of other servers (routes, leaf nodes) gets the message once per connection through
 * {@link MessageSink.forward}, with the queue groups it was picked for, following Go's rules: a
 * message that came over a route is not sent on to other routes, and one that came from another
 * server only reaches the queue groups named in `queueFilter` (the groups its sender picked here).
 *
 * `shownSubject` delivers a message matched on `subject` under another name (JetStream hands a
 * consumer's messages to its deliver subject showing the stream subject); other servers get it
 * on the matched subject, as Go servers before 2.11 send it, since that is what they can route.
 *
 * `localOnly` (a stream-import copy) keeps the message off routes and gateways: their servers
 * import it themselves.
 *
 * Returns how many subscriptions and remote connections the message reached. Counts deliveries
 * in `stats.out*`; the caller counts what came in (only connections' publishes count, not
 * internal ones).
 */
export function routeMessage(
  stats: TrafficStats,
  from: MessageSink | undefined,
  flags: PublisherFlags = INTERNAL,
  account: Account,
  subject: string,
  reply: string | undefined,
  headerSize: number,
  msg: Buffer,
  queueFilter?: readonly string[],
  shownSubject?: string,
  localOnly = false,
): number {
  const fromKind = from?.kind;
  // Mappings were applied where the message entered the cluster.
  if (account.mappings !== undefined && fromKind !== "ROUTER" && fromKind !== "GATEWAY" && shownSubject === undefined) {
    subject = account.mappings.map(subject);
  }
  const result = account.sublist.match(subject);
  const shown = shownSubject ?? subject;
  // Import sinks route by what matched, not by what is shown.
  const matched = shownSubject === undefined ? undefined : subject;
  const skipSelf = flags.echo ? undefined : from;
  let delivered = 0;
  let targets: RemoteTarget[] | undefined;
  const { psubs, qsubs } = result;
  for (let i = 0; i < psubs.length; i++) {
    const sub = psubs[i];
    if (sub.remote) {
      if (localOnly && sub.sink.kind !== "LEAF") continue;
      if (forwardsPlain(from, sub.sink, subject)) targets = addTarget(targets, sub.sink, undefined);
      continue;
    }
    if (sub.sink === skipSelf) continue;
    if (deliverTo(stats, sub, shown, reply, headerSize, msg, matched)) delivered++;
  }
  const fromServer = from !== undefined && isRemoteKind(from.kind);
  if (!fromServer || (queueFilter !== undefined && queueFilter.length > 0)) {
    for (let g = 0; g < qsubs.length; g++) {
      const group = qsubs[g];
      if (fromServer && !queueFilter!.includes(group[0].queue!)) continue;
      const picked = pickQueueMember(stats, from, skipSelf, group, shown, reply, headerSize, msg, matched, localOnly);
      if (picked === true) delivered++;
      else if (picked !== undefined) targets = addTarget(targets, picked.sink, picked.queue);
    }
  }
  if (targets !== undefined) delivered += forwardAll(stats, targets, subject, reply, headerSize, msg);
  if (delivered === 0 && reply !== undefined && flags.noResponders && from !== undefined) {
    sendNoResponders(stats, from, account, subject, reply);
  }
  return delivered;
}

/** A remote connection a message goes to, with the queue groups it was picked for. */
interface RemoteTarget {
  sink: MessageSink;
  queues: string[];
}

function addTarget(targets: RemoteTarget[] | undefined, sink: MessageSink, queue: string | undefined): RemoteTarget[] {
  targets ??= [];
  let t = targets.find((x) => x.sink === sink);
  if (t === undefined) targets.push((t = { sink, queues: [] }));
  if (queue !== undefined) t.queues.push(queue);
  return targets;
}

function forwardAll(
  stats: TrafficStats,
  targets: RemoteTarget[],
  subject: string,
  reply: string | undefined,
  headerSize: number,
  msg: Buffer,
): number {
  let n = 0;
  for (const t of targets) {
    if (t.sink.forward?.(subject, reply, t.queues, headerSize, msg) !== true) continue;
    stats.outMsgs++;
    stats.outBytes += msg.length;
    stats.peerOutMsgs++;
    stats.peerOutBytes += msg.length;
    n++;
  }
  return n;
}

/**
 * Whether a plain subscription of another server gets a message from `from`: routes form a full
 * mesh, so what came over a route (or down from our hub) is not sent on to other routes; a leaf
 * node never gets its own messages back, nor route traffic unless it is our spoke (or the
 * message is a service reply); gateways get what entered the cluster here.
 */
function forwardsPlain(from: MessageSink | undefined, to: MessageSink, subject: string): boolean {
  if (to === from) return false;
  switch (to.kind) {
    case "ROUTER":
      return from?.kind !== "ROUTER" && from?.leafSpoke !== true;
    case "LEAF":
      return from?.kind !== "ROUTER" || to.leafSpoke !== true || subject.startsWith("_R_.");
    case "GATEWAY":
      // The server where a message entered the cluster sends it to the other clusters.
      return from?.kind !== "ROUTER" && from?.kind !== "GATEWAY";
    default:
      return false;
  }
}

/**
 * Picks one member of a queue group at random, as Go does: a local member gets the message here
 * (returns true); a route member, or a leaf member when no local one takes it, or a gateway
 * member when no member of this cluster does, is returned so the message is forwarded there.
 * What came over a route goes to a local member when one takes it (see pickForRoutedMessage).
 */
function pickQueueMember(
  stats: TrafficStats,
  from: MessageSink | undefined,
  skipSelf: MessageSink | undefined,
  group: readonly Subscription[],
  subject: string,
  reply: string | undefined,
  headerSize: number,
  msg: Buffer,
  matched: string | undefined,
  localOnly: boolean,
): Subscription | true | undefined {
  const fromKind = from?.kind;
  if (fromKind === "ROUTER") return pickForRoutedMessage(stats, group, subject, reply, headerSize, msg, matched);
  let fallback: Subscription | undefined;
  let otherCluster: Subscription | undefined;
  const n = group.length;
  const first = (Math.random() * n) | 0;
  for (let k = 0; k < n; k++) {
    const sub = group[(first + k) % n];
    if (sub.remote) {
      const to = sub.sink.kind;
      if (sub.sink === from || (to === "ROUTER" && (localOnly || from?.leafSpoke === true))) continue;
      if (to === "GATEWAY") {
        // Another cluster only when no member of this one takes it.
        if (fromKind !== "GATEWAY" && !localOnly) otherCluster ??= sub;
        continue;
      }
      // Leaf members are a fallback: local members first.
      if (to === "LEAF") {
        fallback ??= sub;
        continue;
      }
      return sub;
    }
    if (sub.sink === skipSelf) continue;
    if (deliverTo(stats, sub, subject, reply, headerSize, msg, matched)) return true;
  }
  return fallback ?? otherCluster;
}

/**
 * A queue message another server of the cluster sent here (Go's processMsgResults for a ROUTER
 * source): a local member picked uniformly, so members that follow a block of remote entries get
 * no more than their share; when none takes it, a leaf member, else a route member (Go's `rsub`),
 * so a message that arrives as the last local members leave is not lost.
 */
function pickForRoutedMessage(
  stats: TrafficStats,
  group: readonly Subscription[],
  subject: string,
  reply: string | undefined,
  headerSize: number,
  msg: Buffer,
  matched: string | undefined,
): Subscription | true | undefined {
  let locals = 0;
  let fallback: Subscription | undefined;
  for (let i = 0; i < group.length; i++) {
    const sub = group[i];
    if (!sub.remote) locals++;
    else if (sub.sink.kind === "LEAF" ? fallback?.sink.kind !== "LEAF" : fallback === undefined && sub.sink.kind === "ROUTER") fallback = sub;
  }
  // Start at a random local member and walk the locals (wrapping) until one takes it.
  let start = (Math.random() * locals) | 0;
  for (let tried = 0, i = 0; tried < locals; i = (i + 1) % group.length) {
    const sub = group[i];
    if (sub.remote) continue;
    if (start > 0) {
      start--;
      continue;
    }
    tried++;
    if (deliverTo(stats, sub, subject, reply, headerSize, msg, matched)) return true;
  }
  return fallback;
}

function deliverTo(
  stats: TrafficStats,
  sub: Subscription,
  subject: string,
  reply: string | undefined,
  headerSize: number,
  msg: Buffer,
  matched?: string,
): boolean {
  if (sub.closed) return false;
  if (!sub.sink.deliver(sub, subject, reply, headerSize, msg, matched)) return false;
  if (sub.countsOut) {
    stats.outMsgs++;
    stats.outBytes += msg.length;
  }
  sub.delivered++;
  if (sub.max > 0 && sub.delivered >= sub.max) sub.sink.removeSub(sub);
  return true;
}

/** The publisher's first subscription on the reply subject gets a 503 naming the request subject. */
function sendNoResponders(stats: TrafficStats, from: MessageSink, account: Account, subject: string, reply: string): void {
  const sub = account.sublist.match(reply).psubs.find((s) => s.sink === from);
  if (sub === undefined) return;
  const status = Buffer.from(`NATS/1.0 503\r\nNats-Subject: ${subject}\r\n\r\n`);
  deliverTo(stats, sub, reply, undefined, status.length, status);
}
