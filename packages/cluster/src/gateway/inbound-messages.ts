import type { Subscription } from "@nats-ts/core";
import { parsePeerMsgArgs, type PeerMessageOp } from "@nats-ts/wire";
import { isClusterInterest } from "./cluster-interest.js";
import { OutboundAccountInterest } from "./outbound-interest.js";
import type { GatewayConnection } from "./connection.js";
import { isGatewayRoutedReply, routedReplyCluster, routedReplySubject } from "./reply-prefix.js";
import type { GatewayService } from "./service.js";

/**
 * A message another cluster sent us (Go's processInboundGatewayMsg): routed replies for this
 * cluster lose their `_GR_.` prefix, messages nobody here wants earn the sender an RS- or A-
 * (optimistic mode), and the rest is published here as coming from the gateway, so it reaches
 * clients, routes and leaf nodes but no other gateway.
 */
export function handleGatewayMessage(
  service: GatewayService,
  c: GatewayConnection,
  op: PeerMessageOp,
  args: string[],
  headerSize: number,
  msg: Buffer,
): void {
  if (op === "LMSG") return service.protocolError(c, `processRoutedMsgArgs Parse Error: '${args.join(" ")}'`);
  const parsed = parsePeerMsgArgs(args, { withAccount: true, leaf: false, headers: op === "HMSG" });
  if (typeof parsed === "string") return service.protocolError(c, parsed);
  const accountName = parsed.account!;
  let subject = parsed.subject;
  const server = service.server;
  const hs = headerSize > 0 ? headerSize : 0;
  if (isGatewayRoutedReply(subject)) {
    // A reply to a request that left from here; one for another cluster is dropped, as in Go.
    if (routedReplyCluster(subject) !== service.clusterHash) return;
    subject = routedReplySubject(subject);
    const acc = server.lookupAccount(accountName);
    if (acc === undefined) return service.inboundInterest.get(c)?.noAccountInterest(accountName);
    server.publish(c, acc, subject, parsed.reply, hs, msg, parsed.queues);
    // Back home, the reply also goes, with its real subject, to clusters that subscribe to it
    // (Go's handleGatewayReply); core never sends what came from a gateway to another one.
    if (!subject.startsWith("_R_.")) {
      const sinks = new Set<OutboundAccountInterest>();
      for (const sub of acc.sublist.match(subject).psubs) if (sub.sink instanceof OutboundAccountInterest) sinks.add(sub.sink);
      for (const sink of sinks) sink.forward(subject, parsed.reply, [], hs, msg);
    }
    return;
  }
  const acc = server.lookupAccount(accountName);
  if (acc === undefined) {
    server.log.debug(`${c.label} - Unknown account "${accountName}" for gateway message on subject: "${subject}"`);
    service.inboundInterest.get(c)?.noAccountInterest(accountName);
    return;
  }
  if (!hasPlainInterest(acc.sublist.match(subject).psubs, subject)) {
    service.inboundInterest.get(c)?.noSubjectInterest(accountName, subject, service.accountHasInterest(accountName));
    if (parsed.queues.length === 0) return;
  }
  server.publish(c, acc, subject, parsed.reply, hs, msg, parsed.queues);
}

/**
 * Whether plain subscriptions of this cluster match: other clusters' interest does not count,
 * nor service-import plumbing (each cluster answers its own imports), except for service replies.
 */
function hasPlainInterest(psubs: readonly Subscription[], subject: string): boolean {
  for (const s of psubs) {
    if (isClusterInterest(s) || (s.sink.kind === "ACCOUNT" && subject.startsWith("_R_."))) return true;
  }
  return false;
}
