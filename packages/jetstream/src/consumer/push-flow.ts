/** Go's JsFlowControlMaxPending: the most bytes a flow-controlled push consumer has in flight. */
export const FLOW_CONTROL_MAX_PENDING = 32 * 1024 * 1024;

/**
 * Flow-control window of a push consumer (Go maxpb/pbytes/fcid/fcsz). The window starts
 * small and doubles on every answered request up to the limit; a request goes out once half
 * the window is in flight, and delivery stalls while more than the window is outstanding.
 *
 * @example
 * const fc = new FlowWindow(1 << 20);
 * if (fc.delivered(size)) sendFlowControlRequest(fc.begin(newReplySubject));
 */
export class FlowWindow {
  private maxpb: number;
  private pbytes = 0;
  /** Reply subject of the outstanding flow-control request; "" when none. */
  fcid = "";
  private fcsz = 0;

  constructor(private readonly limit = FLOW_CONTROL_MAX_PENDING) {
    this.maxpb = Math.max(1, Math.floor(limit / 16));
  }

  /** True while delivery must wait for the client to answer. */
  get stalled(): boolean {
    return this.pbytes > this.maxpb;
  }

  /** Accounts a delivery of `size` bytes; true when a flow-control request should go out now. */
  delivered(size: number): boolean {
    this.pbytes += size;
    if (this.fcid === "" && this.pbytes > this.maxpb / 2) return true;
    if (this.fcid !== "" && this.pbytes - this.fcsz >= this.maxpb) this.fcsz += size;
    return false;
  }

  /** Marks a flow-control request sent with reply subject `fcid`. */
  begin(fcid: string): string {
    this.fcid = fcid;
    this.fcsz = this.pbytes;
    return fcid;
  }

  /** The client answered `subject`; returns true when it was the outstanding request. */
  answered(subject: string): boolean {
    if (subject !== this.fcid) return false;
    if (this.maxpb < this.limit) this.maxpb = Math.min(this.maxpb * 2, this.limit);
    this.pbytes = Math.max(0, this.pbytes - this.fcsz);
    this.fcid = "";
    this.fcsz = 0;
    return true;
  }
}

/**
 * Token bucket for rate_limit_bps (bits per second), burst of one second's worth or one
 * message, whichever is larger. Returns how long to wait before sending a message.
 */
export class RateLimiter {
  private tokens: number;
  private lastNs: bigint;
  private readonly bytesPerSec: number;

  constructor(bitsPerSec: number, nowNs: bigint) {
    this.bytesPerSec = bitsPerSec / 8;
    this.tokens = this.bytesPerSec;
    this.lastNs = nowNs;
  }

  /** Takes `bytes` when available (returns 0), else returns the ms to wait before asking again. */
  reserve(bytes: number, nowNs: bigint): number {
    const elapsed = Number(nowNs - this.lastNs) / 1e9;
    this.lastNs = nowNs;
    this.tokens = Math.min(Math.max(this.bytesPerSec, bytes), this.tokens + elapsed * this.bytesPerSec);
    if (this.tokens >= bytes) {
      this.tokens -= bytes;
      return 0;
    }
    // not enough yet: nothing is taken, the caller retries after the returned delay
    return Math.max(1, Math.ceil(((bytes - this.tokens) / this.bytesPerSec) * 1000));
  }
}
