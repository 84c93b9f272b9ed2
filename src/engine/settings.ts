import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineSettings, GpuSetting, RawEngineSettings } from "./types";

export const MIN_CONTEXT_SIZE = 256;
export const DEFAULT_CONTEXT_SIZE = 4096;
const GPU_SETTINGS: readonly GpuSetting[] = ["auto", "off", "cuda", "vulkan", "metal"];

export interface MachineFacts {
  /** Logical CPUs the OS reports. */
  readonly logicalCores: number;
  /** Physical cores: the useful thread count for llama.cpp's math. */
  readonly physicalCores: number;
  readonly homeDir: string;
}

export interface ResolvedSettings {
  readonly settings: EngineSettings;
  /** Each problem found, in the user's words; the value used instead is part of the sentence. */
  readonly notices: string[];
}

export function expandHome(p: string, homeDir: string): string {
  if (p === "~") return homeDir;
  if (p.startsWith("~/") || p.startsWith("~\\")) return path.join(homeDir, p.slice(2));
  return p;
}

/** Validates what the user typed into settings; never throws, always says what it changed. */
export function resolveEngineSettings(raw: RawEngineSettings, machine: MachineFacts): ResolvedSettings {
  const notices: string[] = [];
  const trimmed = (raw.modelPath ?? "").trim();
  const modelPath = trimmed ? expandHome(trimmed, machine.homeDir) : "";

  let threads = Number.isFinite(raw.threads) ? Math.round(raw.threads) : 0;
  if (threads < 0) {
    notices.push(
      `slm.threads is ${raw.threads}; it must be 0 (automatic) or between 1 and ${machine.logicalCores}. ` +
        `Using ${machine.physicalCores} (one per physical core).`,
    );
    threads = 0;
  } else if (threads > machine.logicalCores) {
    notices.push(
      `slm.threads is ${raw.threads}, but this machine has ${machine.logicalCores} CPU threads; more would make ` +
        `generation much slower. Using ${machine.logicalCores}.`,
    );
    threads = machine.logicalCores;
  }
  if (threads === 0) threads = machine.physicalCores;

  let contextSize = Number.isFinite(raw.contextSize) ? Math.round(raw.contextSize) : DEFAULT_CONTEXT_SIZE;
  if (contextSize < MIN_CONTEXT_SIZE) {
    notices.push(
      `slm.contextSize is ${raw.contextSize}; the smallest useful context is ${MIN_CONTEXT_SIZE} tokens. ` +
        `Using ${MIN_CONTEXT_SIZE}.`,
    );
    contextSize = MIN_CONTEXT_SIZE;
  }

  let gpu: GpuSetting = "auto";
  if ((GPU_SETTINGS as readonly string[]).includes(raw.gpu)) {
    gpu = raw.gpu as GpuSetting;
  } else {
    notices.push(`slm.gpu is "${raw.gpu}"; expected one of ${GPU_SETTINGS.join(", ")}. Using "auto".`);
  }

  return {
    settings: { modelPath, threads, contextSize, gpu, flashAttention: raw.flashAttention !== false },
    notices,
  };
}

/** Clamps the context size to what the model was trained for, once the model is known. */
export function fitContextToModel(
  contextSize: number,
  trainContextSize: number | undefined,
  modelFile: string,
): { contextSize: number; notice?: string } {
  if (trainContextSize === undefined || trainContextSize <= 0 || contextSize <= trainContextSize) {
    return { contextSize };
  }
  return {
    contextSize: trainContextSize,
    notice:
      `slm.contextSize is ${contextSize}, but ${path.basename(modelFile)} was trained for at most ` +
      `${trainContextSize} tokens; longer contexts give poor results. Using ${trainContextSize}.`,
  };
}

/** Physical cores on Linux from /proc/cpuinfo; elsewhere the logical count is the best we know. */
export function readMachineFacts(readCpuInfo: () => string | undefined = defaultCpuInfo): MachineFacts {
  const logicalCores = Math.max(1, typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length);
  return { logicalCores, physicalCores: countPhysicalCores(readCpuInfo()) ?? logicalCores, homeDir: os.homedir() };
}

export function countPhysicalCores(cpuinfo: string | undefined): number | undefined {
  if (!cpuinfo) return undefined;
  const cores = new Set<string>();
  for (const block of cpuinfo.split(/\n\s*\n/)) {
    const physical = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (physical !== undefined && core !== undefined) cores.add(`${physical}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

function defaultCpuInfo(): string | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return fs.readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    return undefined;
  }
}
