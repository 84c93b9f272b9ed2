/**
 * Shared by the benchmarks that compare the engine's two hosts: `process` (ProcessEngine: the
 * engine in a forked child, over the IPC protocol, as the extension runs it by default) and
 * `inProcess` (LocalEngine in this process). Also reads what Linux says about a process's memory,
 * its mappings of the model file and its threads' niceness, and times the IPC round trip.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Engine, LogLevel } from "../src/engine/api";
import { ProcessEngine } from "../src/engine/host/processEngine";
import { LocalEngine } from "../src/engine/local/localEngine";
import type { MachineFacts } from "../src/engine/settings";
import type { RawEngineSettings } from "../src/engine/types";

export type HostKind = "process" | "inProcess";
export const HOST_KINDS: readonly HostKind[] = ["process", "inProcess"];

/**
 * The engine script the child runs: `out/src/engine/host/child.js` (compiled by tsc with the
 * benchmark), or BENCH_ENGINE_SCRIPT (e.g. dist/engineHost.js, the bundle the extension ships).
 */
export function engineScript(): string {
  const script = process.env.BENCH_ENGINE_SCRIPT
    ? path.resolve(process.env.BENCH_ENGINE_SCRIPT)
    : path.join(__dirname, "..", "src", "engine", "host", "child.js");
  if (!fs.existsSync(script)) throw new Error(`engine script ${script} is missing: run npx tsc -p . (or npm run build for dist/engineHost.js)`);
  return script;
}

export function benchMachine(physicalCores: number): MachineFacts {
  return { logicalCores: os.availableParallelism(), physicalCores, homeDir: os.homedir() };
}

export interface Hosts {
  readonly process: ProcessEngine;
  readonly inProcess: LocalEngine;
}

export function createProcessEngine(machine: MachineFacts, log: (level: LogLevel, message: string) => void): ProcessEngine {
  return new ProcessEngine({ scriptPath: engineScript(), machine, log });
}

export function createLocalEngine(machine: MachineFacts, log: (level: LogLevel, message: string) => void): LocalEngine {
  return new LocalEngine({ machine, log });
}

/** Configures and checks that the model is ready. */
export async function load(engine: Engine, settings: RawEngineSettings, label: string): Promise<number> {
  const started = performance.now();
  await engine.configure(settings);
  if (engine.state.kind !== "ready") throw new Error(`${label}: the model did not load: ${engine.state.error?.message ?? engine.state.kind}`);
  return performance.now() - started;
}

// ---- /proc --------------------------------------------------------------------------------------

export interface ProcessMemory {
  readonly pid: number;
  readonly vmRssMiB: number;
  readonly rssAnonMiB: number;
  readonly rssFileMiB: number;
  readonly vmHwmMiB: number;
}

/** VmRSS and its parts from /proc/<pid>/status, in MiB. */
export function processMemory(pid: number): ProcessMemory {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  const mib = (key: string) => Math.round((kib(key) / 1024) * 10) / 10;
  return { pid, vmRssMiB: mib("VmRSS"), rssAnonMiB: mib("RssAnon"), rssFileMiB: mib("RssFile"), vmHwmMiB: mib("VmHWM") };
}

export interface FileMappings {
  /** Memory areas (VMAs) that map the file. */
  readonly areas: number;
  /** Distinct file ranges mapped (areas split by mprotect count once). */
  readonly ranges: number;
  readonly mappedMiB: number;
  readonly rssMiB: number;
  readonly privateMiB: number;
  readonly fileMiB: number;
}

/** How `pid` maps `file`, from /proc/<pid>/smaps: once means one range covering (at most) the file. */
export function fileMappings(pid: number, file: string): FileMappings {
  const real = fs.realpathSync(file);
  const { ino } = fs.statSync(real);
  const lines = fs.readFileSync(`/proc/${pid}/smaps`, "utf8").split("\n");
  let areas = 0;
  let mappedKiB = 0;
  let rssKiB = 0;
  let privateKiB = 0;
  let current = false;
  const ranges = new Set<string>();
  for (const line of lines) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ (\d+)\s+(.*)$/.exec(line);
    if (header) {
      current = Number(header[4]) === ino && header[5] === real;
      if (current) {
        areas++;
        const size = Number.parseInt(header[2]!, 16) - Number.parseInt(header[1]!, 16);
        mappedKiB += size / 1024;
        // Areas of one mmap are adjacent in memory and in the file: key a range by its start in memory minus its file offset.
        ranges.add((BigInt(`0x${header[1]}`) - BigInt(`0x${header[3]}`)).toString(16));
      }
      continue;
    }
    if (!current) continue;
    const field = /^(Rss|Private_Clean|Private_Dirty):\s+(\d+) kB/.exec(line);
    if (!field) continue;
    if (field[1] === "Rss") rssKiB += Number(field[2]);
    else privateKiB += Number(field[2]);
  }
  const mib = (value: number) => Math.round((value / 1024) * 10) / 10;
  return { areas, ranges: ranges.size, mappedMiB: mib(mappedKiB), rssMiB: mib(rssKiB), privateMiB: mib(privateKiB), fileMiB: mib(fs.statSync(real).size / 1024) };
}

/** The niceness of each thread of `pid` (field 19 of /proc/<pid>/task/<tid>/stat), counted by value. */
export function threadNiceness(pid: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const nice = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]!;
      counts[nice] = (counts[nice] ?? 0) + 1;
    } catch {
      // The thread ended.
    }
  }
  return counts;
}

/**
 * Sets the niceness of every thread of `pid` (Linux applies setpriority to one thread; threads
 * started later inherit their creator's). Lowering it needs CAP_SYS_NICE. Returns false if refused.
 */
export function reniceThreads(pid: number, nice: number): boolean {
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) os.setPriority(Number(tid), nice);
    return true;
  } catch {
    return false;
  }
}

/** USER_HZ: the unit of the CPU times in /proc/<pid>/stat (100 on every Linux we ship for). */
const CLOCK_TICKS = 100;

/** User + system CPU time of a process (all its threads), in ms. */
export function processCpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

/**
 * Waits until the processes together use at most `maxCpuMs` of CPU in a `windowMs` window (the
 * clock ticks every 10 ms), or `timeoutMs` passed: a server that goes on working after it answered
 * (llama-server saving its prompt cache, threads winding down) would otherwise be measured as part
 * of the next system's request. Returns how long it waited and whether it timed out.
 */
export async function waitForQuiet(pids: readonly number[], windowMs = 100, maxCpuMs = 10, timeoutMs = 3_000): Promise<{ waitedMs: number; timedOut: boolean }> {
  const started = performance.now();
  const total = () => pids.reduce((sum, pid) => {
    try {
      return sum + processCpuMs(pid);
    } catch {
      return sum; // the process is gone
    }
  }, 0);
  let before = total();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const after = total();
    const waitedMs = performance.now() - started;
    if (after - before <= maxCpuMs) return { waitedMs, timedOut: false };
    if (waitedMs >= timeoutMs) return { waitedMs, timedOut: true };
    before = after;
  }
}

export function cpuPressure(): string | undefined {
  try {
    return fs.readFileSync("/proc/pressure/cpu", "utf8").split("\n")[0];
  } catch {
    return undefined;
  }
}

// ---- the IPC round trip -------------------------------------------------------------------------

export interface RoundTrip {
  readonly samples: number;
  /** p50 / p95 per host and method, in ms. */
  readonly ms: Record<string, Record<HostKind, { p50: number; p95: number }>>;
  /** p50(process) − p50(inProcess) per method: what the boundary adds to one call. */
  readonly addedP50Ms: Record<string, number>;
}

/**
 * Times small calls on both hosts, interleaved (A B, then B A): `laneFacts` (the smallest call:
 * a cached object) and `tokenize` of a short text. The difference of the medians is the round
 * trip of one message each way through the protocol, JSON included.
 */
export async function measureRoundTrip(hosts: Hosts, samples: number): Promise<RoundTrip> {
  const calls: Record<string, (engine: Engine) => Promise<unknown>> = {
    laneFacts: (engine) => engine.laneFacts("completion"),
    tokenize: (engine) => engine.tokenize("completion", "const value = compute(input);"),
  };
  const times: Record<string, Record<HostKind, number[]>> = {};
  for (const name of Object.keys(calls)) times[name] = { process: [], inProcess: [] };
  // Warm both paths (the first laneFacts reads the model's FIM format).
  for (const kind of HOST_KINDS) for (const call of Object.values(calls)) await call(hosts[kind]);
  for (let i = 0; i < samples; i++) {
    const order = i % 2 === 0 ? HOST_KINDS : [...HOST_KINDS].reverse();
    for (const [name, call] of Object.entries(calls)) {
      for (const kind of order) {
        const started = performance.now();
        await call(hosts[kind]);
        times[name]![kind].push(performance.now() - started);
      }
    }
  }
  const ms: RoundTrip["ms"] = {};
  const addedP50Ms: Record<string, number> = {};
  for (const [name, byHost] of Object.entries(times)) {
    ms[name] = {
      process: { p50: round3(percentile(byHost.process, 50)), p95: round3(percentile(byHost.process, 95)) },
      inProcess: { p50: round3(percentile(byHost.inProcess, 50)), p95: round3(percentile(byHost.inProcess, 95)) },
    };
    addedP50Ms[name] = round3(ms[name].process.p50 - ms[name].inProcess.p50);
  }
  return { samples, ms, addedP50Ms };
}

// ---- the JS thread ------------------------------------------------------------------------------

/**
 * How late a 5 ms timer fires on this process's JS thread, attributed to the host serving a
 * request at that moment (`during`): what a host's work blocks the extension host's thread.
 * (perf_hooks' monitorEventLoopDelay cannot be paused: its first delay after enable() spans
 * the whole pause.)
 */
export class LoopLag {
  private readonly lags = new Map<string, number[]>();
  private current?: string;
  private timer?: ReturnType<typeof setTimeout>;
  private static readonly INTERVAL_MS = 5;

  start(): void {
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      if (this.current) this.list(this.current).push(Math.max(0, now - last - LoopLag.INTERVAL_MS));
      last = now;
      this.timer = setTimeout(tick, LoopLag.INTERVAL_MS);
    };
    this.timer = setTimeout(tick, LoopLag.INTERVAL_MS);
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  async during<T>(label: string, work: () => Promise<T>): Promise<T> {
    this.current = label;
    try {
      return await work();
    } finally {
      this.current = undefined;
    }
  }

  summary(label: string): { p99: number; max: number; samples: number } {
    const list = this.list(label);
    return { p99: round3(percentile(list, 99)), max: round3(Math.max(0, ...list)), samples: list.length };
  }

  private list(label: string): number[] {
    let list = this.lags.get(label);
    if (!list) this.lags.set(label, (list = []));
    return list;
  }
}

// ---- other programs -----------------------------------------------------------------------------

/** `count` busy loops at this process's priority: other programs keeping cores busy. */
export function startBusyLoops(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
}

export async function stopBusyLoops(loops: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    loops.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/**
 * Geometric mean of the median ratio when A ran first and when B ran first. Whichever host runs
 * second in a pair was seen to pay a penalty (~15% here) that the order, not the host, causes;
 * it multiplies the ratio one way in one order and the other way in the other, so this cancels it.
 */
export function orderBalanced(ratioWhenAFirst: number, ratioWhenBFirst: number): number {
  return Math.sqrt(ratioWhenAFirst * ratioWhenBFirst);
}

// ---- statistics ---------------------------------------------------------------------------------

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
