/**
 * Who receives what a subscription matches. Every kind of connection (client, route, leaf,
 * gateway, system, JetStream, account) implements this one method, so the sublist and the
 * delivery loop never care which kind they are talking to.
 */
export interface MessageSink {
  /** Connection kind, as Go names it in /connz and logs (CLIENT, ROUTER, ...). */
  readonly kind: ClientKind;
  /** Stable connection id (Go's cid). */
  readonly cid: number;
  /**
   * Deliver one message. `msg` holds the header block followed by the payload; `headerSize` is
   * 0 when there are no headers. `matched` is set when the message is shown under another
   * subject than the one it matched (JetStream deliveries): sinks that re-route (imports) use it.
   * Returns false when the sink could not take it (closed).
   */
  deliver(sub: Subscription, subject: string, reply: string | undefined, headerSize: number, msg: Buffer, matched?: string): boolean;
  /** Drops one of this sink's subscriptions (auto-unsubscribe reached its max). */
  removeSub(sub: Subscription): void;
  /**
   * Remote sinks only (routes, leaf nodes, gateways): takes one message per publish however many
   * of the sink's subscriptions matched, with the queue groups the far side must deliver to
   * (empty when only plain subscriptions matched). Returns false when the sink could not take it.
   */
  forward?(subject: string, reply: string | undefined, queues: readonly string[], headerSize: number, msg: Buffer): boolean;
  /**
   * Leaf connections only: true when this server solicited the connection and the other side is
   * its hub (Go's spoke role). A spoke does not pass what its hub sends on to its routes.
   */
  readonly leafSpoke?: boolean;
}

export type ClientKind = "CLIENT" | "ROUTER" | "GATEWAY" | "LEAF" | "SYSTEM" | "JETSTREAM" | "ACCOUNT";

/** Connections to other servers: their subscriptions stand for interest on the far side. */
export function isRemoteKind(kind: ClientKind): boolean {
  return kind === "ROUTER" || kind === "LEAF" || kind === "GATEWAY";
}

/**
 * Whether traffic of this kind counts in the server's in/out message stats. Go counts what
 * connections read and what is delivered to them, never its internal subscribers
 * (system, JetStream and account-import clients).
 */
export function countsInServerStats(kind: ClientKind): boolean {
  return kind !== "SYSTEM" && kind !== "JETSTREAM" && kind !== "ACCOUNT";
}

/** One interest registration: what a SUB creates. */
export class Subscription {
  /** Messages delivered so far (for auto-unsubscribe). */
  delivered = 0;
  /** Auto-unsubscribe after this many deliveries; 0 = no limit. */
  max = 0;
  /** Set once the subscription has been removed, so late deliveries are dropped. */
  closed = false;
  /** The subscriber's deny list overlaps this (wildcard or queue) subscription: filter at delivery. */
  denyFiltered = false;
  /**
   * The last MSG/HMSG control line sent for this subscription, reused while the subject and sizes
   * repeat (the common case for streams of messages): encoding it is the hottest step of delivery.
   */
  lastHead: { subject: string; headerSize: number; size: number; bytes: Buffer } | undefined;
  /** Deliveries to it count in the server's out_msgs (decided once, off the delivery path). */
  readonly countsOut: boolean;
  /** Interest of another server (route, leaf node, gateway): messages are forwarded, not delivered. */
  readonly remote: boolean;

  constructor(
    readonly sink: MessageSink,
    readonly subject: string,
    readonly sid: string,
    readonly queue?: string,
  ) {
    this.countsOut = countsInServerStats(sink.kind);
    this.remote = isRemoteKind(sink.kind);
  }
}
