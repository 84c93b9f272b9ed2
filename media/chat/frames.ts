// Measures how smoothly the view keeps up while an answer streams, passively: our own render
// times and the browser's long-animation-frame entries (frames over 50 ms). It requests no
// animation frames of its own: the chat view shares the workbench's renderer, and a frame loop
// running for a whole answer costs the editor time at every frame.

export interface FrameStats {
  /** Renders of the streamed answer. */
  readonly frames: number;
  readonly longestFrameMs: number;
  readonly framesOver50Ms: number;
}

export class FrameMonitor {
  private running = false;
  private renders = 0;
  private longest = 0;
  private over50 = 0;
  private observer?: PerformanceObserver;

  start(): void {
    if (this.running) return;
    this.running = true;
    this.renders = 0;
    this.longest = 0;
    this.over50 = 0;
    if (PerformanceObserver.supportedEntryTypes?.includes("long-animation-frame")) {
      this.observer = new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
          this.longest = Math.max(this.longest, entry.duration);
          this.over50++;
        }
      });
      this.observer.observe({ type: "long-animation-frame", buffered: false });
    }
  }

  recordRender(durationMs: number): void {
    if (!this.running) return;
    this.renders++;
    this.longest = Math.max(this.longest, durationMs);
  }

  stop(): FrameStats | undefined {
    if (!this.running) return undefined;
    this.running = false;
    this.observer?.disconnect();
    this.observer = undefined;
    return { frames: this.renders, longestFrameMs: Math.round(this.longest * 10) / 10, framesOver50Ms: this.over50 };
  }
}
