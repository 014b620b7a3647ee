import type { SeededRng } from "../core/rng.js";
import type { Message, NodeId } from "../core/types.js";

/** Probabilities and delays of the simulated network. */
export interface NetworkProfile {
  dropRate: number;
  duplicateRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export const RELIABLE: NetworkProfile = { dropRate: 0, duplicateRate: 0, minDelayMs: 1, maxDelayMs: 3 };

/**
 * A lossy network between simulated nodes: drops, duplicates, delays (and so reorders)
 * messages, and blocks directed links to model symmetric and asymmetric partitions.
 */
export class SimNetwork {
  profile: NetworkProfile = RELIABLE;
  private blocked = new Set<string>();

  constructor(private readonly rng: SeededRng) {}

  /** Delivery times for one message: none when lost, two when duplicated. */
  schedule(m: Message, now: number): number[] {
    if (this.blocked.has(link(m.from, m.to))) return [];
    if (this.rng.chance(this.profile.dropRate)) return [];
    const times = [now + this.delay()];
    if (this.rng.chance(this.profile.duplicateRate)) times.push(now + this.delay());
    return times;
  }

  /** Delivery is re-checked against partitions that appeared while in flight. */
  canDeliver(from: NodeId, to: NodeId): boolean {
    return !this.blocked.has(link(from, to));
  }

  /** Cuts every link between the two groups (both directions). */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) for (const y of b) {
      this.blocked.add(link(x, y));
      this.blocked.add(link(y, x));
    }
  }

  /** Cuts only the links from `from` to `to`: messages still flow the other way. */
  blockOneWay(from: readonly NodeId[], to: readonly NodeId[]): void {
    for (const x of from) for (const y of to) this.blocked.add(link(x, y));
  }

  isolate(node: NodeId, others: readonly NodeId[]): void {
    this.partition([node], others.filter((o) => o !== node));
  }

  heal(): void {
    this.blocked.clear();
  }

  get partitioned(): boolean {
    return this.blocked.size > 0;
  }

  private delay(): number {
    const { minDelayMs, maxDelayMs } = this.profile;
    return minDelayMs + this.rng.int(maxDelayMs - minDelayMs + 1);
  }
}

function link(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}
