/**
 * Time source for stores. Timestamps are nanoseconds since the Unix epoch as `bigint`
 * (Go's int64 UnixNano). Timers are routed through the clock so tests can run expiry
 * deterministically with {@link ManualClock}.
 */
export interface Clock {
  /** Nanoseconds since the Unix epoch. */
  now(): bigint;
  setTimer(fn: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

// Taken once: \`process\` is an accessor on globalThis, costly to go through on every store.
const hrtimeNs = process.hrtime.bigint;
const epochAtStartNs = BigInt(Date.now()) * 1_000_000n - hrtimeNs();

/** Wall clock with nanosecond resolution: epoch anchor plus the monotonic high-res timer. */
export const systemClock: Clock = {
  now: () => epochAtStartNs + hrtimeNs(),
  setTimer: (fn, delayMs) => {
    const t = setTimeout(fn, Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

interface ManualTimer {
  at: bigint;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance()` fires due timers in time order.
 *
 * @example
 * const clock = new ManualClock(1_000_000_000n);
 * const store = new MemStore({ max_age: 1e9 }, { clock });
 * clock.advance(2_000_000_000n); // expires everything older than 1 s
 */
export class ManualClock implements Clock {
  private timers: ManualTimer[] = [];
  constructor(private current: bigint = 1_700_000_000_000_000_000n) {}

  now(): bigint {
    return this.current;
  }

  setTimer(fn: () => void, delayMs: number): unknown {
    const t: ManualTimer = { at: this.current + BigInt(Math.max(0, Math.ceil(delayMs))) * 1_000_000n, fn, cancelled: false };
    this.timers.push(t);
    return t;
  }

  clearTimer(handle: unknown): void {
    if (handle) (handle as ManualTimer).cancelled = true;
  }

  /** Move time forward by `ns` nanoseconds, running every timer that falls due on the way. */
  advance(ns: bigint | number): void {
    const target = this.current + BigInt(ns);
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      let next: ManualTimer | undefined;
      for (const t of this.timers) if (t.at <= target && (!next || t.at < next.at)) next = t;
      if (!next) break;
      this.current = next.at > this.current ? next.at : this.current;
      next.cancelled = true;
      next.fn();
    }
    this.current = target;
  }
}
