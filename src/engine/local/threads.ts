import { LoadAwareThreads, type CpuSample } from "../cpuLoad";
import type { LogLevel } from "../api";
import type { EngineSettings, Lane } from "../types";
import type { Llama } from "./llamaRuntime";

/** How long after a keystroke background work keeps yielding a core to the editor. */
export const TYPING_YIELD_MS = 1_000;

/**
 * The thread count llama.cpp decodes with (node-llama-cpp applies the Llama's maxThreads to each
 * batch), from three things:
 * - slm.threads (or, when automatic, one thread per physical core);
 * - with automatic threads, one thread fewer per core other programs keep busy (cpuLoad.ts);
 * - while the user types in the editor and no completion is being asked for, one thread fewer:
 *   a chat answer or a next-edit prediction decoding on every core holds up the editor's own
 *   threads, so typing stutters. A completion request is what the typing waits for, so it keeps
 *   every thread; background work gets them back TYPING_YIELD_MS after the last keystroke.
 */
export class ThreadBudget {
  private loadThreads: number;
  private typingUntil = 0;
  private foreground = 0;
  private timer?: ReturnType<typeof setTimeout>;

  constructor(
    private readonly llama: Pick<Llama, "maxThreads">,
    private readonly full: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.loadThreads = full;
    this.apply();
  }

  /** Threads in use now. */
  get threads(): number {
    const yielding = this.foreground === 0 && this.now() < this.typingUntil;
    return yielding ? Math.max(1, this.loadThreads - 1) : this.loadThreads;
  }

  /** The load-aware count changed (automatic threads). */
  setLoadThreads(threads: number): void {
    this.loadThreads = Math.max(1, Math.min(this.full, threads));
    this.apply();
  }

  /** The user typed in the editor. */
  typing(): void {
    this.typingUntil = this.now() + TYPING_YIELD_MS;
    this.apply();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.apply(), TYPING_YIELD_MS + 5);
    this.timer.unref?.();
  }

  /** A request starts on a lane; returns the function that ends it. */
  enter(lane: Lane): () => void {
    if (lane !== "completion") return () => undefined;
    this.foreground++;
    this.apply();
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.foreground--;
      this.apply();
    };
  }

  dispose(): void {
    clearTimeout(this.timer);
  }

  private apply(): void {
    const threads = this.threads;
    if (this.llama.maxThreads !== threads) this.llama.maxThreads = threads;
  }
}

/**
 * Sets llama.cpp's thread count through a ThreadBudget, and with automatic threads gives it one
 * thread fewer per core other programs keep busy (see cpuLoad.ts). `onChange` gets the threads
 * in use and other programs' cores while reduced by load, undefined when all threads are in use
 * again. Returns the budget and the load follower (to stop later).
 */
export function followCpuLoad(
  llama: Llama,
  settings: EngineSettings,
  deps: { readonly sampleCpu?: () => CpuSample; readonly log: (level: LogLevel, message: string) => void },
  onChange: (threadsInUse: number | undefined, otherCpuCores: number | undefined) => void,
): { readonly budget: ThreadBudget; readonly follower?: LoadAwareThreads } {
  const budget = new ThreadBudget(llama, settings.threads);
  if (!settings.threadsAuto || settings.threads < 2) return { budget };
  const full = settings.threads;
  const follower = new LoadAwareThreads({
    maxThreads: full,
    sample: deps.sampleCpu,
    onChange: (threads, otherCores) => {
      budget.setLoadThreads(threads);
      const reduced = threads < full;
      const cores = otherCores.toFixed(1);
      deps.log(
        "info",
        reduced
          ? `Other programs are using about ${cores} CPU cores: generating with ${threads} of ${full} threads until they are done (slm.threads is automatic).`
          : `The CPU is free again (other programs use about ${cores} cores): generating with all ${full} threads.`,
      );
      onChange(reduced ? threads : undefined, reduced ? otherCores : undefined);
    },
  });
  follower.start();
  return { budget, follower };
}
