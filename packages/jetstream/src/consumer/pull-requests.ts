import type { Clock } from "@nats-ts/storage";
import type { AckState } from "./ack-state.js";
import type { AdvisoryKind } from "./advisories.js";
import type { ConsumerConfigJson } from "./config.js";
import type { ConsumerHost } from "../stream/consumer-host.js";
import { hasInterest, idleHeartbeatHeader, publishStatus } from "./outbound.js";
import { PullQueue, parsePullRequest, plainStatus, refusePullRequest, type WaitingRequest } from "./pull-queue.js";

/** What the pull side needs from its consumer. */
export interface PullOwner {
  readonly cfg: ConsumerConfigJson;
  readonly acks: AckState;
  readonly closed: boolean;
  readonly host: ConsumerHost;
  now(): bigint;
  numPending(): number;
  /** Schedules a delivery pass. */
  signal(): void;
  advisory(kind: AdvisoryKind, fields: () => Record<string, unknown>): void;
}

/**
 * The pull side of a consumer: takes MSG.NEXT requests into the waiting queue, expires them
 * and sends their heartbeats on a timer, keeps the pinned client of a priority group, and
 * publishes the status messages the queue produces.
 */
export class PullRequests {
  readonly queue: PullQueue;
  private waitTimer: unknown;
  private pinTimer: unknown;

  constructor(
    private readonly owner: PullOwner,
    private readonly clock: Clock,
  ) {
    const cfg = owner.cfg;
    this.queue = new PullQueue(cfg.max_waiting ?? 512, cfg.priority_policy ?? "none");
  }

  /** A MSG.NEXT request (or +NXT) asking for messages on `reply`. */
  handleNext(reply: string, payload: string): void {
    const { owner, queue: q } = this;
    const sendErr = (code: number, text: string) => this.status(reply, plainStatus(code, text));
    const now = owner.now();
    const req = parsePullRequest(payload, now);
    if ("error" in req) return sendErr(400, `Bad Request - ${req.error}`);
    const refused = refusePullRequest(owner.cfg, req, now, q.pinId);
    if (refused) return sendErr(refused.code, refused.text);
    const g = req.group;
    if (g && q.pinId !== "" && g.id === q.pinId) this.armPinTimer();
    if (q.isFull) this.checkWaiting(false);
    if (req.noWait) {
      const pending = owner.numPending() + (owner.acks.hasRedeliveries() ? 1 : 0);
      if (pending === 0 && req.expires === 0n) {
        q.last = now;
        return sendErr(404, "No Messages");
      }
      if (pending > 0) {
        const { batchPending } = this.processWaiting(now, false);
        this.flush();
        if (pending < batchPending) {
          q.last = now;
          return sendErr(408, "Requests Pending");
        }
      }
    }
    const wr: WaitingRequest = {
      reply,
      n: req.batch,
      d: 0,
      b: req.maxBytes,
      expires: req.expires,
      received: now,
      hb: req.heartbeat,
      hbt: req.heartbeat > 0 ? now + BigInt(req.heartbeat) : 0n,
      noWait: req.noWait,
      group: g && Object.keys(g).length > 0 ? g : undefined,
    };
    q.last = now;
    if (!q.add(wr)) {
      if (req.heartbeat === 0) sendErr(409, "Exceeded MaxWaiting");
      return;
    }
    owner.signal();
  }

  /** Waiting requests after dropping expired ones and ones nobody listens for (Go's info does this too). */
  numWaiting(): number {
    if (this.queue.length > 0) this.checkWaiting(false);
    return this.queue.length;
  }

  /** Expires requests, sends heartbeats and arms the timer for the next due one. */
  checkWaiting(eos: boolean): void {
    const now = this.owner.now();
    const { nextDue } = this.processWaiting(now, eos);
    this.flush();
    if (this.waitTimer !== undefined) {
      this.clock.clearTimer(this.waitTimer);
      this.waitTimer = undefined;
    }
    if (nextDue !== 0n) {
      const ms = Math.max(1, Math.ceil(Number(nextDue - now) / 1e6) + 1);
      this.waitTimer = this.clock.setTimer(() => {
        this.waitTimer = undefined;
        if (this.owner.closed) return;
        this.checkWaiting(true);
        this.owner.signal();
      }, ms);
    }
  }

  private processWaiting(now: bigint, eos: boolean) {
    const client = this.owner.host.client;
    const acks = this.owner.acks;
    return this.queue.processWaiting(
      now,
      eos,
      (r) => hasInterest(client, r),
      (r) => this.status(r, idleHeartbeatHeader(acks)),
    );
  }

  /** After the queue picked a request: announces and times a newly pinned client. */
  afterPick(): void {
    const q = this.queue;
    if (!q.newPin) return;
    q.newPin = false;
    const { owner } = this;
    owner.advisory("pinned", () => ({ account: owner.host.accountName, group: owner.cfg.priority_groups?.[0] ?? "", pinned_id: q.pinId }));
    this.armPinTimer();
  }

  private armPinTimer(): void {
    if (this.pinTimer !== undefined) this.clock.clearTimer(this.pinTimer);
    const ttl = this.owner.cfg.priority_timeout ?? 0;
    if (ttl <= 0) return;
    this.pinTimer = this.clock.setTimer(() => {
      this.pinTimer = undefined;
      if (!this.owner.closed) this.unpin("timeout");
    }, ttl / 1e6);
  }

  /** Drops the current pin (UNPIN request or pin timeout). */
  unpin(reason: string): void {
    const q = this.queue;
    if (q.pinId === "") return;
    q.unpin();
    if (this.pinTimer !== undefined) this.clock.clearTimer(this.pinTimer);
    this.pinTimer = undefined;
    const { owner } = this;
    owner.advisory("unpinned", () => ({ account: owner.host.accountName, group: owner.cfg.priority_groups?.[0] ?? "", reason }));
    owner.signal();
  }

  /** Publishes the status messages the queue produced. */
  flush(): void {
    const out = this.queue.out;
    if (out.length === 0) return;
    for (const s of out.splice(0)) this.status(s.subject, s.header);
  }

  private status(subject: string, header: string): void {
    publishStatus(this.owner.host.client, subject, header);
  }

  /** Stops the timers; a deleted consumer tells waiting requests `409 Consumer Deleted` (Go's releaseAnyPendingRequests). */
  stop(deleted: boolean): void {
    if (deleted) {
      this.queue.endAll(() => plainStatus(409, "Consumer Deleted"));
      this.flush();
    }
    for (const t of [this.waitTimer, this.pinTimer]) if (t !== undefined) this.clock.clearTimer(t);
    this.waitTimer = this.pinTimer = undefined;
  }
}
