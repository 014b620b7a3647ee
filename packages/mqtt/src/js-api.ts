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
  timer: NodeJS.Timeout;
}

/**
 * Requests to the `$JS.API` from inside the server, over an internal client of the account
 * (as Go's MQTT code does with its `$MQTT.JSA.` replies), so the same calls work once JetStream
 * is clustered. Replies come to one wildcard subscription and are matched by their token.
 */
export class JsApi {
  private readonly replyPrefix: string;
  private readonly sub: Subscription;
  private readonly waiters = new Map<string, Waiter>();
  private seq = 0;
  private readonly prefix: string;

  constructor(
    private readonly client: InternalClient,
    private readonly timeoutMs: number,
    domain?: string,
  ) {
    this.prefix = domain ? `$JS.${domain}.API` : "$JS.API";
    this.replyPrefix = `$MQTT.JSA.${randomBytes(6).toString("hex")}.`;
    this.sub = client.subscribe(`${this.replyPrefix}*`, (subject, _reply, headerSize, msg) => this.onReply(subject, headerSize, msg));
  }

  /** Sends `body` to `$JS.API.<api>` and resolves with the JSON response; API errors reject with {@link JsApiError}. */
  request(api: string, body: unknown): Promise<Record<string, unknown>> {
    return this.send(`${this.prefix}.${api}`, Buffer.from(body === undefined ? "" : JSON.stringify(body)));
  }

  /** Publishes a message for a stream to store and resolves with its PubAck. */
  store(subject: string, payload: Buffer, headers?: Buffer): Promise<Record<string, unknown>> {
    return this.send(subject, payload, headers);
  }

  close(): void {
    this.client.removeSub(this.sub);
    for (const w of this.waiters.values()) {
      clearTimeout(w.timer);
      w.reject(new Error("closed"));
    }
    this.waiters.clear();
  }

  private send(subject: string, payload: Buffer, headers?: Buffer): Promise<Record<string, unknown>> {
    const token = String(++this.seq);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(token);
        reject(new Error(`JetStream request on "${subject}" timed out`));
      }, this.timeoutMs);
      this.waiters.set(token, { resolve, reject, timer });
      this.client.publish(subject, payload, this.replyPrefix + token, headers);
    });
  }

  private onReply(subject: string, headerSize: number, msg: Buffer): void {
    const token = subject.slice(this.replyPrefix.length);
    const w = this.waiters.get(token);
    if (w === undefined) return;
    this.waiters.delete(token);
    clearTimeout(w.timer);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(msg.subarray(headerSize).toString("utf8")) as Record<string, unknown>;
    } catch {
      // A status-only reply (no responders) or garbage: never crash on what comes back.
      w.reject(new Error(headerSize > 0 ? "JetStream not available" : "invalid JetStream response"));
      return;
    }
    const err = body.error as { code?: number; err_code?: number; description?: string } | undefined;
    if (err !== undefined && err !== null) w.reject(new JsApiError(err.code ?? 0, err.err_code ?? 0, err.description ?? "unknown error"));
    else w.resolve(body);
  }
}
