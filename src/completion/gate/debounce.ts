/**
 * Debounce that follows the user's typing speed: while they type in a burst, wait a little less
 * than their usual gap between keys (a request would be cancelled by the next key anyway); when
 * they type slowly or pause, ask at once. Cache hits are served before this, never delayed.
 */
export class AdaptiveDebounce {
  private lastKeyAt = 0;
  private gaps: number[] = [];

  noteKeystroke(now = performance.now()): void {
    if (this.lastKeyAt > 0) {
      const gap = now - this.lastKeyAt;
      if (gap < 2_000) {
        this.gaps.push(gap);
        if (this.gaps.length > 20) this.gaps.shift();
      }
    }
    this.lastKeyAt = now;
  }

  /** How long to wait before asking the model, at most `maxMs`. */
  delayFor(explicit: boolean, maxMs: number, now = performance.now()): number {
    if (explicit || maxMs <= 0 || this.gaps.length < 3) return 0;
    const sinceLastKey = now - this.lastKeyAt;
    const typical = median(this.gaps);
    // Only a burst (keys coming faster than ~250 ms) is worth waiting out.
    if (typical > 250 || sinceLastKey > typical) return 0;
    return Math.min(maxMs, Math.max(0, typical * 0.8 - sinceLastKey));
  }
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export { sleep } from "../../util/sleep";
