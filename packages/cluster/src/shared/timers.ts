/**
 * One-shot timers a service cancels all at once when it stops (reconnect attempts, solicit
 * delays), so nothing fires after shutdown.
 *
 * @example
 * const timers = new Timers();
 * timers.after(1000, () => reconnect());
 * timers.clear(); // at stop
 */
export class Timers {
  private readonly pending = new Set<NodeJS.Timeout>();

  after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.pending.delete(t);
      fn();
    }, ms);
    this.pending.add(t);
  }

  clear(): void {
    for (const t of this.pending) clearTimeout(t);
    this.pending.clear();
  }
}
