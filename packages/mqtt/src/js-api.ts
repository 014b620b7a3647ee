import { randomBytes } from "node:crypto";
import type { InternalClient, Subscription } from "@nats-ts/core";

/** A JetStream API error response. */
export class JsApiError extends Error {
  constructor(
    readonly code: number,
    readonly errCode: number,
    description: string,
  ) {
    super(description);
  }
}

interface Waiter {
  resolve(v: Record<string, unknown>): void;
  reject(e: Error): void;
  deadline: number;
  subject: string;
}

const EMPTY = Buffer.alloc(0);
const NAK = Buffer.from("-NAK");
const PROGRESS = Buffer.from("+WPI");

/**
 * Requests to the `$JS.API` from inside the server, over an internal client of the account
 * (as Go's MQTT code does with its `$MQTT.JSA.` replies), so the same calls work once JetStream
 * is clustered. Replies come to one wildcard subscription and are matched by their token.
 * Every request waits at most the same time, so one timer watching the oldest covers them all.
 */
export class JsApi {
  private readonly replyPrefix: string;
  private readonly sub: Subscription;
  /** In the order sent, which is also the order of their deadlines. */
  private readonly waiters = new Map<string, Waiter>();
  private seq = 0;
  private readonly prefix: string;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: InternalClient,
    private readonly timeoutMs: number,
    domain?: string,
  ) {
    this.prefix = domain ? `$JS.${domain}.API` : "$JS.API";
    this.replyPrefix = `$MQTT.JSA.${randomBytes(6).toString("hex")}.`;
    this.sub = client.subscribe(`${this.replyPrefix}*`, (subject, _reply, headerSize, msg) => this.onReply(subject, headerSize, msg));
  }

  /** Whether `subject` is where one of this API client's requests gets its answer. */
  ownsReply(subject: string): boolean {
    return subject.startsWith(this.replyPrefix);
  }

  /** The subject of `$JS.API.<api>` (with the domain, if any). */
  apiSubject(api: string): string {
    return `${this.prefix}.${api}`;
  }

  /** Sends `body` to `$JS.API.<api>` and resolves with the JSON response; API errors reject with {@link JsApiError}. */
  request(api: string, body: unknown): Promise<Record<string, unknown>> {
    return this.send(`${this.prefix}.${api}`, Buffer.from(body === undefined ? "" : JSON.stringify(body)));
  }

  /** Publishes a message for a stream to store and resolves with its PubAck (one without a sequence is an error). */
  store(subject: string, payload: Buffer, headers?: Buffer): Promise<Record<string, unknown>> {
    return this.send(subject, payload, headers).then((ack) => {
      if (typeof ack.seq !== "number") throw new Error(`invalid JetStream publish acknowledgement for "${subject}"`);
      return ack;
    });
  }

  /** Publishes without waiting for an answer. */
  publish(subject: string, payload: Buffer, headers?: Buffer): void {
    this.client.publish(subject, payload, undefined, headers);
  }

  /** Acknowledges a consumer delivery (an empty message to its ack subject, as Go's sendAck). */
  ack(ackSubject: string): void {
    if (ackSubject !== "") this.client.publish(ackSubject, EMPTY);
  }

  /** Tells the consumer the message is still being worked on (its ack wait starts again). */
  progress(ackSubject: string): void {
    if (ackSubject !== "") this.client.publish(ackSubject, PROGRESS);
  }

  /** Asks the consumer to deliver the message again now, or after `delayMs`. */
  nak(ackSubject: string, delayMs = 0): void {
    if (ackSubject === "") return;
    this.client.publish(ackSubject, delayMs > 0 ? Buffer.from(`-NAK {"delay":${delayMs * 1e6}}`) : NAK);
  }

  close(): void {
    this.client.removeSub(this.sub);
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.waiters.values()) w.reject(new Error("closed"));
    this.waiters.clear();
  }

  private send(subject: string, payload: Buffer, headers?: Buffer): Promise<Record<string, unknown>> {
    const token = String(++this.seq);
    return new Promise((resolve, reject) => {
      this.waiters.set(token, { resolve, reject, deadline: Date.now() + this.timeoutMs, subject });
      this.armTimer(this.timeoutMs);
      this.client.publish(subject, payload, this.replyPrefix + token, headers);
    });
  }

  private armTimer(ms: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.expire(), Math.max(1, ms));
    this.timer.unref();
  }

  private expire(): void {
    this.timer = undefined;
    const now = Date.now();
    for (const [token, w] of this.waiters) {
      if (w.deadline > now) return this.armTimer(w.deadline - now);
      this.waiters.delete(token);
      w.reject(new Error(`JetStream request on "${w.subject}" timed out`));
    }
  }

  private onReply(subject: string, headerSize: number, msg: Buffer): void {
    const token = subject.slice(this.replyPrefix.length);
    const w = this.waiters.get(token);
    if (w === undefined) return;
    this.waiters.delete(token);
    let body: Record<string, unknown> | null = null;
    try {
      body = JSON.parse(msg.subarray(headerSize).toString("utf8")) as Record<string, unknown> | null;
    } catch {
      // handled below: a status-only reply (no responders) or garbage never crashes anything
    }
    if (typeof body !== "object" || body === null) {
      w.reject(new Error(headerSize > 0 ? "JetStream not available" : "invalid JetStream response"));
      return;
    }
    const err = body.error as { code?: number; err_code?: number; description?: string } | undefined;
    if (err !== undefined && err !== null) w.reject(new JsApiError(err.code ?? 0, err.err_code ?? 0, err.description ?? "unknown error"));
    else w.resolve(body);
  }
}
