/** A fixed-size ring of the most recent items, oldest first (Go keeps 10 000 closed connections). */
export class RecentRing<T> {
  private readonly ring: T[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  add(item: T): void {
    if (this.ring.length < this.capacity) this.ring.push(item);
    else this.ring[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  list(): T[] {
    return this.ring.length < this.capacity ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }

  get size(): number {
    return this.ring.length;
  }
}
