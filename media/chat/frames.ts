// Measures how smoothly the view keeps up while an answer streams: the gap between animation
// frames, our own render time, and the browser's long-animation-frame entries where supported.

export interface FrameStats {
  readonly frames: number;
  readonly longestFrameMs: number;
  readonly framesOver50Ms: number;
}

export class FrameMonitor {
  private running = false;
  private last = 0;
  private frames = 0;
  private longest = 0;
  private over50 = 0;
  private observer?: PerformanceObserver;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.frames = 0;
    this.longest = 0;
    this.over50 = 0;
    this.last = performance.now();
    if (PerformanceObserver.supportedEntryTypes?.includes("long-animation-frame")) {
      this.observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) this.record(entry.duration, false);
      });
      this.observer.observe({ type: "long-animation-frame", buffered: false });
    }
    const tick = (now: number) => {
      if (!this.running) return;
      // A frame gap only counts when the page is visible (hidden pages get no frames at all).
      if (document.visibilityState === "visible") this.record(now - this.last, true);
      this.frames++;
      this.last = now;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }

  recordRender(durationMs: number): void {
    if (this.running) this.record(durationMs, false);
  }

  stop(): FrameStats | undefined {
    if (!this.running) return undefined;
    this.running = false;
    this.observer?.disconnect();
    this.observer = undefined;
    return { frames: this.frames, longestFrameMs: Math.round(this.longest * 10) / 10, framesOver50Ms: this.over50 };
  }

  /** Only frame gaps are counted as frames; long-frame entries and render times raise the maximum. */
  private record(durationMs: number, isFrame: boolean): void {
    this.longest = Math.max(this.longest, durationMs);
    if (isFrame && durationMs > 50) this.over50++;
  }
}
