import type { Account } from "./account.js";
import { Subscription, type ClientKind, type MessageSink } from "./sublist/subscription.js";

/** Receives messages for an internal subscription. `msg` holds headers (headerSize bytes) then payload. */
export type InternalMsgHandler = (subject: string, reply: string | undefined, headerSize: number, msg: Buffer) => void;

/** What an internal client needs from the server: the publish path every connection shares. */
export interface InternalPublisher {
  publish(from: MessageSink | undefined, account: Account, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): void;
  deliverAs(from: MessageSink, account: Account, target: string, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): boolean;
}

/**
 * A connection with no socket: how JetStream, system events and other packages subscribe and
 * publish inside the server. Handlers run synchronously on delivery, so they must be quick and
 * must not throw.
 *
 * @example
 * const sys = server.createInternalClient("SYSTEM", server.systemAccount);
 * sys.subscribe("$SYS.REQ.SERVER.PING", (subject, reply) => sys.publish(reply!, Buffer.from("{}")));
 */
export class InternalClient implements MessageSink {
  private readonly handlers = new Map<Subscription, InternalMsgHandler>();
  private nextSid = 1;
  private closed = false;

  constructor(
    readonly cid: number,
    readonly kind: ClientKind,
    readonly account: Account,
    private readonly server: InternalPublisher,
  ) {}

  subscribe(subject: string, handler: InternalMsgHandler, queue?: string): Subscription {
    const sub = new Subscription(this, subject, String(this.nextSid++), queue);
    this.handlers.set(sub, handler);
    this.account.sublist.insert(sub);
    return sub;
  }

  removeSub(sub: Subscription): void {
    if (!this.handlers.delete(sub)) return;
    sub.closed = true;
    this.account.sublist.remove(sub);
  }

  /** Publishes as this client. `headers` is an encoded NATS header block, if any. */
  publish(subject: string, payload: Uint8Array, reply?: string, headers?: Uint8Array): void {
    if (this.closed) return;
    const body = Buffer.isBuffer(payload) ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length);
    const msg = headers === undefined || headers.length === 0 ? body : Buffer.concat([headers, body]);
    this.server.publish(this, this.account, subject, reply, headers?.length ?? 0, msg);
  }

  /**
   * Delivers to whoever subscribed to `target` while showing `subject` (JetStream consumers
   * deliver to an inbox yet show the stream subject); other servers get it on `target`.
   * Returns false when nobody took it.
   */
  deliverAs(target: string, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): boolean {
    if (this.closed) return false;
    return this.server.deliverAs(this, this.account, target, subject, reply, headerSize, msg);
  }

  deliver(sub: Subscription, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): boolean {
    const handler = this.handlers.get(sub);
    if (handler === undefined) return false;
    handler(subject, reply, headerSize, msg);
    return true;
  }

  /** Removes every subscription; later publishes are ignored. */
  close(): void {
    this.closed = true;
    for (const sub of [...this.handlers.keys()]) this.removeSub(sub);
  }
}
