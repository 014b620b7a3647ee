import type { Subscription } from "@nats-ts/core";

/** The key Go uses for a subscription on a leaf connection: `subject` or `subject queue`. */
export function interestKey(sub: Subscription): string {
  return sub.queue === undefined ? sub.subject : `${sub.subject} ${sub.queue}`;
}

/**
 * The interest this server announces over one leaf connection (Go's smap): a count per key, for
 * plain subscriptions how many local ones share the subject, for queue groups their total weight.
 *
 * Changes are coalesced: {@link take} returns the LS+/LS- lines that bring the other side from
 * what it was last told to the current counts (LS+ when a subject gains interest, LS- when it
 * loses it, and LS+ with the new weight whenever a queue group's weight changes).
 *
 * @example
 * const i = new OutboundInterest();
 * i.add("foo", 1); i.add("foo bar", 1);
 * i.take(); // "LS+ foo\r\nLS+ foo bar 1\r\n"
 */
export class OutboundInterest {
  private readonly counts = new Map<string, number>();
  private readonly announced = new Map<string, number>();
  private dirty = new Set<string>();

  /** Adjusts a key's count; a removal of a key never counted is ignored (as Go does). */
  add(key: string, delta: number): void {
    const n = this.counts.get(key);
    if (delta < 0 && n === undefined) return;
    const next = (n ?? 0) + delta;
    if (next > 0) this.counts.set(key, next);
    else this.counts.delete(key);
    this.dirty.add(key);
  }

  get pending(): boolean {
    return this.dirty.size > 0;
  }

  /** Keys currently announced (for monitoring and tests). */
  keys(): string[] {
    return [...this.counts.keys()];
  }

  /** The protocol lines for every change since the last call, in the order the keys changed. */
  take(): string {
    let out = "";
    for (const key of this.dirty) {
      const now = this.counts.get(key) ?? 0;
      const before = this.announced.get(key) ?? 0;
      const queue = key.includes(" ");
      if (now > 0 && (before === 0 || (queue && now !== before))) {
        out += queue ? `LS+ ${key} ${now}\r\n` : `LS+ ${key}\r\n`;
        this.announced.set(key, now);
      } else if (now === 0 && before > 0) {
        out += `LS- ${key}\r\n`;
        this.announced.delete(key);
      }
    }
    this.dirty = new Set();
    return out;
  }
}
