/** A fixed-window counter: at most `limit` events per `intervalMs`. */
export class RateWindow {
  private windowStart = Number.NEGATIVE_INFINITY;
  private count = 0;

  constructor(
    private readonly limit: number,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one event; false if the current window is already full. */
  take(): boolean {
    const time = this.now();
    if (time - this.windowStart >= this.intervalMs) {
      this.windowStart = time;
      this.count = 0;
    }
    if (this.count >= this.limit) return false;
    this.count += 1;
    return true;
  }
}
