import { randomBytes } from "node:crypto";
import type { Account } from "../account.js";
import { Subscription, type MessageSink } from "../sublist/subscription.js";
import type { ServiceExport, ServiceImport, StreamImport } from "./plan.js";

/** Routes a message inside one account and says how many subscriptions it reached. */
export interface AccountRouter {
  /** `shown`: deliver under this subject what matches `subject` (see routeMessage). */
  /** `localOnly`: a stream-import copy, not sent to routes or gateways (their servers import it themselves). */
  route(account: Account, subject: string, reply: string | undefined, headerSize: number, msg: Buffer, shown?: string, localOnly?: boolean): number;
}

/** Go's service reply prefix: responders answer on `_R_.<account prefix>.<id>`. */
const REPLY_PREFIX = "_R_.";
const SWEEP_INTERVAL = 1000;

/**
 * How many stream-import deliveries are in progress. Like Go, only what clients publish goes
 * through service imports: a message that arrived through a stream import does not (otherwise an
 * account that imports both a stream and a service from the same subjects gets its own messages
 * back).
 */
let streamDeliveries = 0;

/** Whether a subscription carries a stream import (it exists on every server that has the import configured). */
export function isStreamImport(sub: Subscription): boolean {
  return sub.sink instanceof StreamImportSink;
}

/**
 * Sits in the exporting account's sublist on the exported stream and re-publishes each message in
 * the importing account, under the import's subject.
 */
export class StreamImportSink implements MessageSink {
  readonly kind = "ACCOUNT" as const;
  readonly cid = 0;
  private forwarding = false;

  constructor(
    private readonly router: AccountRouter,
    private readonly importer: Account,
    private readonly imp: StreamImport,
  ) {}

  deliver(_sub: Subscription, subject: string, reply: string | undefined, headerSize: number, msg: Buffer, matched?: string): boolean {
    if (this.forwarding) return false;
    // A JetStream delivery matched its deliver subject: the importer gets it on that (mapped) subject, still showing the stream subject.
    const source = matched ?? subject;
    const target = this.imp.transform === undefined ? source : this.imp.transform.transform(source);
    this.forwarding = true;
    streamDeliveries++;
    try {
      this.router.route(this.importer, target, reply, headerSize, msg, matched === undefined ? undefined : subject, true);
    } finally {
      this.forwarding = false;
      streamDeliveries--;
    }
    return true;
  }

  removeSub(): void {}
}

/**
 * Sits in the importing account's sublist on the import subject and forwards requests to the
 * exporting account, replacing the reply subject with one the exporter's responses come back on.
 */
export class ServiceImportSink implements MessageSink {
  readonly kind = "ACCOUNT" as const;
  readonly cid = 0;
  private forwarding = false;

  constructor(
    private readonly router: AccountRouter,
    private readonly importer: Account,
    private readonly exporter: Account,
    private readonly imp: ServiceImport,
  ) {}

  deliver(_sub: Subscription, subject: string, reply: string | undefined, headerSize: number, msg: Buffer): boolean {
    // A message this import forwarded must not come back through it (an account importing its
    // own export, or a chain leading back here).
    if (this.forwarding || streamDeliveries > 0) return false;
    const target = this.imp.transform === undefined ? subject : this.imp.transform.transform(subject);
    const responses = this.exporter.responseRouter(this.router);
    const mapped = reply === undefined ? undefined : responses.track(this.importer, reply, this.imp.export);
    this.forwarding = true;
    let reached: number;
    try {
      reached = this.router.route(this.exporter, target, mapped, headerSize, msg);
    } finally {
      this.forwarding = false;
    }
    // Nobody answered: drop the reply mapping so the importer's no-responders logic applies.
    if (reached === 0 && mapped !== undefined) responses.forget(mapped);
    return reached > 0;
  }

  removeSub(): void {}
}

interface PendingResponse {
  account: Account;
  reply: string;
  singleton: boolean;
  expires: number;
}

/**
 * The exporter's side of service imports (Go's response service imports): maps each generated
 * `_R_` reply back to the requester's account and reply subject until the response is done.
 */
export class ResponseRouter implements MessageSink {
  readonly kind = "ACCOUNT" as const;
  readonly cid = 0;
  private readonly prefix = `${REPLY_PREFIX}${randomBytes(6).toString("base64url")}.`;
  private readonly pending = new Map<string, PendingResponse>();
  private readonly sub: Subscription;
  private next = 0;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly account: Account,
    private readonly router: AccountRouter,
    private readonly now: () => number = Date.now,
  ) {
    this.sub = new Subscription(this, `${this.prefix}>`, "_R_");
    account.sublist.insert(this.sub);
  }

  /** Number of responses still expected. */
  get size(): number {
    return this.pending.size;
  }

  track(account: Account, reply: string, exp: ServiceExport): string {
    const subject = `${this.prefix}${(this.next++).toString(36)}`;
    this.pending.set(subject, {
      account,
      reply,
      singleton: exp.responseType === "singleton",
      expires: this.now() + exp.responseThreshold,
    });
    if (this.sweeper === undefined) {
      this.sweeper = setInterval(() => this.sweep(), SWEEP_INTERVAL);
      this.sweeper.unref();
    }
    return subject;
  }

  forget(subject: string): void {
    this.pending.delete(subject);
  }

  deliver(_sub: Subscription, subject: string, reply: string | undefined, headerSize: number, msg: Buffer, matched?: string): boolean {
    // A JetStream delivery to a mapped reply matched the `_R_` subject and shows the stream subject.
    const p = this.pending.get(matched ?? subject);
    if (p === undefined) return false;
    if (p.expires <= this.now()) {
      this.pending.delete(subject);
      return false;
    }
    if (p.singleton) this.pending.delete(matched ?? subject);
    this.router.route(p.account, p.reply, reply, headerSize, msg, matched === undefined ? undefined : subject);
    return true;
  }

  removeSub(): void {}

  /** Drops expired mappings; stops sweeping once nothing is pending. */
  sweep(): void {
    const now = this.now();
    for (const [k, p] of this.pending) if (p.expires <= now) this.pending.delete(k);
    if (this.pending.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  close(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper);
    this.sweeper = undefined;
    this.pending.clear();
    this.account.sublist.remove(this.sub);
  }
}
