import type { Lane } from "../types";

/** How long after a keystroke background decoding stays paused. */
export const TYPING_QUIET_MS = 500;
/** Logical cores the editor keeps to itself while the user types. */
export const EDITOR_CORES = 2;

/**
 * Typing comes first. On a machine where llama.cpp's threads leave the editor fewer than
 * EDITOR_CORES logical cores, decoding that the typing does not wait for (a chat answer, a
 * next-edit prediction, another extension's request) pauses while the user types, and goes on
 * TYPING_QUIET_MS after the last keystroke. A completion request is what the typing waits for: while one is
 * in flight nothing pauses. Measured in the browser tests on 2 cores: a chat answer streaming at
 * nice 5, even on one thread, made keys reach the screen about twice as late at p95 (the
 * workbench, its renderer and code-server share the cores with it); stopped while typing, 1.05×.
 *
 * node-llama-cpp calls `beforeDecode` before each batch (carried as a patch:
 * patches/node-llama-cpp+3.22.1.patch); a returned promise holds the batch until it resolves.
 */
export class TypingGate {
  private typingUntil = 0;
  private foreground = 0;
  private waiters: (() => void)[] = [];
  private timer?: ReturnType<typeof setTimeout>;
  private paused = false;

  constructor(
    /** Whether the model's threads leave the editor too few cores (checked at each decision). */
    private readonly crowdsEditor: () => boolean,
    private readonly now: () => number = () => performance.now(),
    /** Told when background decoding pauses and goes on (for the log). */
    private readonly onPause?: (paused: boolean) => void,
  ) {}

  /** The user typed in the editor. */
  typing(): void {
    this.typingUntil = this.now() + TYPING_QUIET_MS;
    this.update();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.update(), TYPING_QUIET_MS + 5);
    this.timer.unref?.();
  }

  /** A request starts on a lane; returns the function that ends it (idempotent). */
  enter(lane: Lane): () => void {
    if (lane !== "completion") return () => undefined;
    this.foreground++;
    this.update();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.foreground--;
      this.update();
    };
  }

  /** For node-llama-cpp before each batch: undefined to decode now, or a promise to wait for. */
  beforeDecode(): Promise<void> | undefined {
    if (!this.isPaused()) return undefined;
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Lets every held batch go and forgets the typing (the engine unloads or ends); usable after. */
  release(): void {
    clearTimeout(this.timer);
    this.typingUntil = 0;
    this.update();
  }

  private isPaused(): boolean {
    return this.foreground === 0 && this.now() < this.typingUntil && this.crowdsEditor();
  }

  private update(): void {
    const paused = this.isPaused();
    if (!paused && this.waiters.length > 0) {
      const waiting = this.waiters;
      this.waiters = [];
      for (const resolve of waiting) resolve();
    }
    if (paused !== this.paused) {
      this.paused = paused;
      this.onPause?.(paused);
    }
  }
}
