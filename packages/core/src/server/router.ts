import type { Account } from "../account.js";
import type { MessageSink, Subscription } from "../sublist/subscription.js";

/** Server-wide message counters (Go's in/out msgs and bytes). */
export interface TrafficStats {
  inMsgs: number;
  inBytes: number;
  outMsgs: number;
  outBytes: number;
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
 * Returns how many subscriptions the message reached. Counts deliveries in `stats.out*`; the
 * caller counts what came in (only connections' publishes count, not internal ones).
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
): number {
  if (account.mappings !== undefined) subject = account.mappings.map(subject);
  const result = account.sublist.match(subject);
  const skipSelf = flags.echo ? undefined : from;
  let delivered = 0;
  const { psubs, qsubs } = result;
  for (let i = 0; i < psubs.length; i++) {
    const sub = psubs[i];
    if (sub.sink === skipSelf) continue;
    if (deliverTo(stats, sub, subject, reply, headerSize, msg)) delivered++;
  }
  for (let g = 0; g < qsubs.length; g++) {
    const group = qsubs[g];
    const n = group.length;
    const first = (Math.random() * n) | 0;
    for (let k = 0; k < n; k++) {
      const sub = group[(first + k) % n];
      if (sub.sink === skipSelf) continue;
      if (deliverTo(stats, sub, subject, reply, headerSize, msg)) {
        delivered++;
        break;
      }
    }
  }
  if (delivered === 0 && reply !== undefined && flags.noResponders && from !== undefined) {
    sendNoResponders(stats, from, account, subject, reply);
  }
  return delivered;
}

function deliverTo(
  stats: TrafficStats,
  sub: Subscription,
  subject: string,
  reply: string | undefined,
  headerSize: number,
  msg: Buffer,
): boolean {
  if (sub.closed) return false;
  if (!sub.sink.deliver(sub, subject, reply, headerSize, msg)) return false;
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
