import { goDurationString, type ConsumerConfigJson, type PriorityPolicy } from "./config.js";

/** The priority-group part of a pull request (Go PriorityGroup). */
export interface PullGroup {
  group?: string;
  min_pending?: number;
  min_ack_pending?: number;
  id?: string;
  priority?: number;
}

/** A parsed pull request (Go JSApiConsumerGetNextRequest). Times in ns; 0n means none. */
export interface PullRequest {
  batch: number;
  maxBytes: number;
  noWait: boolean;
  /** Absolute expiry, ns since epoch; 0n = none. */
  expires: bigint;
  /** Idle heartbeat interval, ns; 0 = none. */
  heartbeat: number;
  /** Set for JSON requests (possibly empty), absent for plain batch-number requests. */
  group?: PullGroup;
}

/** A pull request waiting for messages (Go waitingRequest). */
export interface WaitingRequest {
  reply: string;
  /** Messages still wanted. */
  n: number;
  /** Messages delivered so far. */
  d: number;
  /** Bytes still allowed; 0 = no byte limit. */
  b: number;
  expires: bigint;
  received: bigint;
  hb: number;
  /** When the next idle heartbeat is due; 0n = never. */
  hbt: bigint;
  noWait: boolean;
  group?: PullGroup;
}

/** A status message to publish to a request's reply subject. */
export interface StatusOut {
  subject: string;
  header: string;
}

export const PENDING_MSGS = "Nats-Pending-Messages";
export const PENDING_BYTES = "Nats-Pending-Bytes";
export const PIN_ID = "Nats-Pin-Id";

/** `NATS/1.0 <code> <text>` with the pending-count headers Go adds to request-ending statuses. */
export function pendingStatus(code: number, text: string, n: number, b: number): string {
  return `NATS/1.0 ${code} ${text}\r\n${PENDING_MSGS}: ${n}\r\n${PENDING_BYTES}: ${b}\r\n\r\n`;
}

export function plainStatus(code: number, text: string): string {
  return `NATS/1.0 ${code} ${text}\r\n\r\n`;
}

/**
 * Parses a MSG.NEXT payload: empty (one message), a number (batch), or JSON. Returns a
 * Go-worded error text for a bad request.
 */
export function parsePullRequest(payload: string, now: bigint): PullRequest | { error: string } {
  const req = payload.trim();
  if (req === "") return { batch: 1, maxBytes: 0, noWait: false, expires: 0n, heartbeat: 0 };
  if (req[0] === "{") {
    let cr: Record<string, unknown>;
    try {
      cr = JSON.parse(req) as Record<string, unknown>;
      if (cr === null || typeof cr !== "object" || Array.isArray(cr)) throw new Error("not an object");
    } catch (e) {
      return { error: (e as Error).message };
    }
    const int = (k: string): number => (typeof cr[k] === "number" && Number.isFinite(cr[k]) ? Math.trunc(cr[k] as number) : 0);
    const expiresNs = int("expires");
    const heartbeat = int("idle_heartbeat");
    if (heartbeat > 0 && heartbeat * 2 > expiresNs) return { error: "heartbeat value too large" };
    // Go embeds the priority group fields in the request itself.
    const group: PullGroup = {};
    if (typeof cr.group === "string") group.group = cr.group;
    if (typeof cr.id === "string") group.id = cr.id;
    if (int("min_pending")) group.min_pending = int("min_pending");
    if (int("min_ack_pending")) group.min_ack_pending = int("min_ack_pending");
    if (int("priority")) group.priority = int("priority");
    return {
      batch: int("batch"),
      maxBytes: int("max_bytes"),
      noWait: cr.no_wait === true,
      expires: expiresNs > 0 ? now + BigInt(expiresNs) : 0n,
      heartbeat,
      group,
    };
  }
  const n = /^[+-]?\d+$/.test(req) ? Number(req) : 1;
  return { batch: n, maxBytes: 0, noWait: false, expires: 0n, heartbeat: 0 };
}

/**
 * Go's checks of a pull request against the consumer's limits and priority settings, in Go's
 * order; returns the status to answer with, or undefined when the request may wait.
 */
export function refusePullRequest(cfg: ConsumerConfigJson, req: PullRequest, now: bigint, pinId: string): { code: number; text: string } | undefined {
  if (cfg.max_batch && req.batch > cfg.max_batch) return { code: 409, text: `Exceeded MaxRequestBatch of ${cfg.max_batch}` };
  if (req.expires !== 0n && cfg.max_expires && req.expires > now + BigInt(cfg.max_expires)) {
    return { code: 409, text: `Exceeded MaxRequestExpires of ${goDurationString(cfg.max_expires)}` };
  }
  if (req.maxBytes > 0 && cfg.max_bytes && req.maxBytes > cfg.max_bytes) return { code: 409, text: `Exceeded MaxRequestMaxBytes of ${cfg.max_bytes}` };
  const policy = cfg.priority_policy ?? "none";
  const g = req.group;
  if (!g) return undefined;
  if ((g.min_pending || g.min_ack_pending) && policy !== "overflow") return { code: 400, text: "Bad Request - Not a Overflow Priority consumer" };
  if (g.id && policy !== "pinned_client") return { code: 400, text: "Bad Request - Not a Pinned Client Priority consumer" };
  if ((g.priority ?? 0) < 0 || (g.priority ?? 0) > 9) return { code: 400, text: "Bad Request - Priority must be between 0 and 9" };
  if (policy === "none") return undefined;
  if (!g.group) return { code: 400, text: "Bad Request - Priority Group missing" };
  if (!(cfg.priority_groups ?? []).includes(g.group)) return { code: 400, text: "Bad Request - Invalid Priority Group" };
  if (pinId !== "" && g.id && g.id !== pinId) return { code: 423, text: "Nats-Pin-Id mismatch" };
  return undefined;
}

/** What the queue needs to know from its consumer when picking a request. */
export interface PickContext {
  now: bigint;
  /** Messages still to deliver, including the one being placed (Go npc+1). */
  numPending: number;
  numAckPending: number;
  hasInterest(reply: string): boolean;
}

/**
 * Pull requests waiting on one consumer, with Go's priority-group rules: pinned_client (one
 * pinned requester at a time, identified by Nats-Pin-Id), overflow (min_pending /
 * min_ack_pending thresholds) and prioritized (lower priority first). Pure: statuses to send
 * are returned in `out`.
 *
 * @example
 * const q = new PullQueue(512, "none");
 * q.add({ reply: "_INBOX.1", n: 10, d: 0, b: 0, expires: 0n, received: now, hb: 0, hbt: 0n, noWait: false });
 */
export class PullQueue {
  private reqs: WaitingRequest[] = [];
  /** Pin id of the pinned client, if any (pinned_client policy). */
  pinId = "";
  /** When the pin was given, ns. */
  pinnedAt = 0n;
  /** Set whenever a new pin id was handed out; the runtime sends PINNED and clears it. */
  newPin = false;
  readonly out: StatusOut[] = [];
  /** Last time a request was received or answered, ns (drives pull inactivity). */
  last = 0n;

  constructor(
    public max: number,
    public policy: PriorityPolicy,
    private readonly nextPinId: () => string = defaultPinId,
  ) {}

  get length(): number {
    return this.reqs.length;
  }

  get isFull(): boolean {
    return this.reqs.length >= this.max;
  }

  list(): readonly WaitingRequest[] {
    return this.reqs;
  }

  /** Adds a request; false when the queue is full. */
  add(wr: WaitingRequest): boolean {
    if (this.isFull) return false;
    if (this.policy === "prioritized") {
      const p = wr.group?.priority ?? 0;
      let i = this.reqs.length;
      while (i > 0 && (this.reqs[i - 1].group?.priority ?? 0) > p) i--;
      this.reqs.splice(i, 0, wr);
    } else {
      this.reqs.push(wr);
    }
    return true;
  }

  /**
   * Expires requests and fires their idle heartbeats (Go processWaiting). With `eos` (end of
   * stream) no_wait requests end too: 404 if nothing was delivered without expiry, else they
   * end with a 408 when they had an expiry or a 404. Returns the total batch still wanted and
   * the earliest time something is due.
   */
  processWaiting(now: bigint, eos: boolean, hasInterest: (reply: string) => boolean, heartbeat: (reply: string) => void): { batchPending: number; nextDue: bigint } {
    let batchPending = 0;
    let nextDue = 0n;
    const keep: WaitingRequest[] = [];
    const timedOut: WaitingRequest[] = [];
    for (const wr of this.reqs) {
      const expired = wr.expires !== 0n && now > wr.expires;
      if ((eos && wr.noWait) || expired) {
        if (expired) {
          timedOut.push(wr);
          continue;
        }
        if (wr.expires === 0n || wr.d > 0) {
          this.out.push({ subject: wr.reply, header: plainStatus(404, "No Messages") });
          continue;
        }
      }
      if (!hasInterest(wr.reply)) continue;
      batchPending += wr.n;
      if (wr.hbt !== 0n) {
        if (now > wr.hbt) {
          heartbeat(wr.reply);
          wr.hbt = now + BigInt(wr.hb);
        }
        if (nextDue === 0n || wr.hbt < nextDue) nextDue = wr.hbt;
      }
      if (wr.expires !== 0n && (nextDue === 0n || wr.expires < nextDue)) nextDue = wr.expires;
      keep.push(wr);
    }
    this.reqs = keep;
    // requests that ran out together are answered in deadline order, whatever the queue order
    timedOut.sort((a, b) => (a.expires < b.expires ? -1 : a.expires > b.expires ? 1 : 0));
    for (const wr of timedOut) this.out.push({ subject: wr.reply, header: pendingStatus(408, "Request Timeout", wr.n, wr.b) });
    return { batchPending, nextDue };
  }

  /**
   * Picks the request that receives the next message of `size` bytes (Go nextWaiting), ending
   * requests whose byte budget is too small, whose pin id is stale, or that expired. The
   * returned request has already been charged for the message.
   */
  next(size: number, ctx: PickContext): WaitingRequest | undefined {
    const needNewPin = this.pinId === "" && this.policy === "pinned_client";
    let cycled = 0;
    while (this.reqs.length > 0) {
      const wr = this.reqs[0];
      if (wr.expires !== 0n && ctx.now >= wr.expires) {
        this.out.push({ subject: wr.reply, header: pendingStatus(408, "Request Timeout", wr.n, wr.b) });
        this.reqs.shift();
        continue;
      }
      let assignedPin = false;
      if (needNewPin && this.pinId === "") {
        if (!wr.group?.id) {
          // The request gets the pin (and keeps it for its remaining messages).
          if (wr.group?.group) {
            this.pinId = this.nextPinId();
            this.pinnedAt = ctx.now;
            this.newPin = true;
            wr.group.id = this.pinId;
            assignedPin = true;
          }
        } else {
          this.out.push({ subject: wr.reply, header: pendingStatus(423, "Nats-Wrong-Pin-Id", wr.n, wr.b) });
          this.reqs.shift();
          continue;
        }
      } else if (this.pinId !== "" && this.policy === "pinned_client") {
        if (wr.group?.id === this.pinId) {
          // the pinned client: served below
        } else if (!wr.group?.id) {
          this.cycle();
          if (++cycled >= this.reqs.length) return undefined;
          continue;
        } else {
          this.out.push({ subject: wr.reply, header: pendingStatus(423, "Nats-Wrong-Pin-Id", wr.n, wr.b) });
          this.reqs.shift();
          continue;
        }
      }
      if (this.policy === "overflow" && wr.group) {
        const minP = wr.group.min_pending ?? 0;
        const minA = wr.group.min_ack_pending ?? 0;
        if ((minP > 0 || minA > 0) && !((minP > 0 && minP <= ctx.numPending) || (minA > 0 && minA <= ctx.numAckPending))) {
          this.cycle();
          if (++cycled >= this.reqs.length) return undefined;
          continue;
        }
      }
      if (wr.b > 0) {
        if (size <= wr.b) {
          wr.b -= size;
          if (wr.b === 0) wr.n = 1;
        } else {
          this.out.push({ subject: wr.reply, header: pendingStatus(409, "Message Size Exceeds MaxBytes", wr.n, wr.b) });
          if (assignedPin) this.unpin();
          this.reqs.shift();
          continue;
        }
      }
      if (ctx.hasInterest(wr.reply)) {
        wr.n--;
        wr.d++;
        this.last = ctx.now;
        // A request that still wants more goes to the back (of its priority level) so
        // requesters take turns, as Go's pop/popAndRequeue do.
        this.reqs.shift();
        if (wr.n > 0) this.add(wr);
        return wr;
      }
      this.reqs.shift();
    }
    return undefined;
  }

  /** Drops the pin (UNPIN, pin timeout); the next request without an id gets a new one. */
  unpin(): void {
    this.pinId = "";
    this.pinnedAt = 0n;
  }

  /** Ends every request with the status `header()` gives (consumer deleted). */
  endAll(header: (wr: WaitingRequest) => string): void {
    for (const wr of this.reqs) this.out.push({ subject: wr.reply, header: header(wr) });
    this.reqs = [];
  }

  /** Removes one request (no interest anymore). */
  remove(wr: WaitingRequest): void {
    const i = this.reqs.indexOf(wr);
    if (i >= 0) this.reqs.splice(i, 1);
  }

  private cycle(): void {
    if (this.reqs.length > 1) this.reqs.push(this.reqs.shift()!);
  }
}

let pinCounter = 0;
function defaultPinId(): string {
  const rnd = Math.random().toString(36).slice(2, 12).toUpperCase();
  return `${rnd}${(pinCounter++).toString(36).toUpperCase()}`.padEnd(22, "0").slice(0, 22);
}
