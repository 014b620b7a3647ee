/** setTimeout's longest delay (about 24.8 days); a longer one would fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Calls `fire` at the time `at` (ms since 1970), however far away: MQTT 5.0 intervals go up to
 * 2^32-1 seconds, beyond what one setTimeout can wait. The timer does not keep the process alive.
 *
 * @example
 * const d = new Deadline(Date.now() + 3600_000, () => endSession());
 * d.cancel(); // the client came back
 */
export class Deadline {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly at: number,
    private readonly fire: () => void,
    private readonly now: () => number = Date.now,
  ) {
    this.arm();
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const left = Math.max(0, this.at - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (left > MAX_TIMEOUT_MS) this.arm();
      else this.fire();
    }, Math.min(left, MAX_TIMEOUT_MS));
    this.timer.unref();
  }
}
