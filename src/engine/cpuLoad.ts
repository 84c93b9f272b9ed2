// Load-aware thread count for automatic `slm.threads`. llama.cpp's threads wait for each other at
// every step of a token, so when another program keeps a core busy, a thread that shares that core
// holds all the others up: on 2 cores with one kept busy, a keystroke's completion takes 1.6× as
// long on 2 threads as on 1 (npm run bench:threads). The engine samples how much CPU other
// programs use and gives llama.cpp one thread fewer per core they keep busy, back to all cores
// when they stop.
import * as os from "node:os";

/** Cumulative CPU time, all in milliseconds. */
export interface CpuSample {
  /** Wall-clock time of the sample. */
  readonly atMs: number;
  /** Busy time of every core together (user, nice, system and interrupt time). */
  readonly busyMs: number;
  /** This process's own CPU time (the model's threads included). */
  readonly ownMs: number;
}

export function sampleCpu(): CpuSample {
  let busyMs = 0;
  for (const cpu of os.cpus()) busyMs += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  const own = process.cpuUsage();
  return { atMs: performance.now(), busyMs, ownMs: (own.user + own.system) / 1000 };
}

/** Cores' worth of CPU that other programs used between two samples (0 when it cannot tell). */
export function otherProgramsCores(before: CpuSample, after: CpuSample): number {
  const elapsed = after.atMs - before.atMs;
  if (!(elapsed > 0)) return 0;
  const others = (after.busyMs - before.busyMs - (after.ownMs - before.ownMs)) / elapsed;
  return Number.isFinite(others) ? Math.max(0, others) : 0;
}

/**
 * Threads for llama.cpp when other programs use `otherCores` of the CPU: one fewer per core they
 * keep busy, counting 0.6 of a core as busy (a program sharing a core with our threads gets only
 * part of it), never fewer than 1.
 */
export function threadsForLoad(maxThreads: number, otherCores: number): number {
  const busyCores = Math.floor(otherCores + 0.4);
  return Math.max(1, Math.min(maxThreads, maxThreads - busyCores));
}

export interface LoadAwareThreadsOptions {
  /** The thread count when nothing else runs (the automatic setting: physical cores). */
  readonly maxThreads: number;
  /** Called when the count changes, with the smoothed load of other programs. */
  readonly onChange: (threads: number, otherCores: number) => void;
  readonly sample?: () => CpuSample;
}

/**
 * Samples the CPU every second while started; the load is smoothed (half of each new sample), so
 * a one-second burst changes nothing and a sustained one changes the count within two seconds.
 */
export class LoadAwareThreads {
  private readonly sample: () => CpuSample;
  private last?: CpuSample;
  private smoothed = 0;
  private current: number;
  private timer?: ReturnType<typeof setInterval>;

  constructor(private readonly options: LoadAwareThreadsOptions) {
    this.sample = options.sample ?? sampleCpu;
    this.current = options.maxThreads;
  }

  get threads(): number {
    return this.current;
  }

  get otherCores(): number {
    return this.smoothed;
  }

  start(): void {
    if (this.timer) return;
    this.last = this.sample();
    this.timer = setInterval(() => this.tick(), 1_000);
    this.timer.unref?.();
  }

  /** Stops sampling and forgets the load: the next start begins at the full count. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.last = undefined;
    this.smoothed = 0;
    this.current = this.options.maxThreads;
  }

  /** One sampling step (the timer's; tests call it directly). */
  tick(): void {
    const next = this.sample();
    if (this.last) this.smoothed = (this.smoothed + otherProgramsCores(this.last, next)) / 2;
    this.last = next;
    const threads = threadsForLoad(this.options.maxThreads, this.smoothed);
    if (threads === this.current) return;
    this.current = threads;
    this.options.onChange(threads, this.smoothed);
  }
}

/** "2", or "1 of 2 (other programs are using about 1.2 CPU cores)" while fewer are in use. */
export function threadsLabel(state: { readonly threads?: number; readonly threadsInUse?: number; readonly otherCpuCores?: number }): string {
  if (state.threads === undefined) return "?";
  if (state.threadsInUse === undefined || state.threadsInUse >= state.threads) return String(state.threads);
  return `${state.threadsInUse} of ${state.threads} (other programs are using about ${(state.otherCpuCores ?? 0).toFixed(1)} CPU cores)`;
}
