import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EngineSettings, GpuLayersSetting, GpuSetting, LoraAdapterSetting, RawEngineSettings } from "./types";

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
  const modelPath = cleanPath(raw.modelPath, machine);
  const modelPaths = {
    completion: cleanPath(raw.completionModelPath, machine) || modelPath,
    chat: cleanPath(raw.chatModelPath, machine) || modelPath,
    nextEdit: cleanPath(raw.nextEditModelPath, machine),
  };

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
  const threadsAuto = threads === 0;
  if (threadsAuto) threads = machine.physicalCores;

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

  const gpuLayers = resolveGpuLayers(raw.gpuLayers, notices);
  const loraAdapters = resolveLoraAdapters(raw.loraAdapters, machine, notices);
  const completionStatesMiB = resolveStatesBudget(raw.completionStatesMiB, notices);

  return {
    settings: { modelPaths, threads, threadsAuto, contextSize, gpu, gpuLayers, flashAttention: raw.flashAttention !== false, loraAdapters, completionStatesMiB,
      nextEditPromptLookup: raw.nextEditPromptLookup !== false, nextEditDraftTokens: draftTokens(raw.nextEditDraftTokens),
    },
    notices,
  };
}

/** Most tokens a prompt-lookup draft holds by default (see bench:nextedit, BENCH_DRAFT_TOKENS). */
export const DEFAULT_DRAFT_TOKENS = 32;

function draftTokens(value: number | undefined): number {
  return value !== undefined && Number.isFinite(value) ? Math.max(1, Math.min(64, Math.round(value))) : DEFAULT_DRAFT_TOKENS;
}

function cleanPath(value: unknown, machine: MachineFacts): string {
  const trimmed = typeof value === "string" ? value.trim() : "";
  return trimmed ? expandHome(trimmed, machine.homeDir) : "";
}

/** Default memory for the completion lane's KV states: eight places of a 0.5B model, three of a 1.5B one. */
export const DEFAULT_COMPLETION_STATES_MIB = 384;

function resolveStatesBudget(value: unknown, notices: string[]): number {
  if (value === undefined || value === null) return DEFAULT_COMPLETION_STATES_MIB;
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  notices.push(`The memory for remembered completion places is ${JSON.stringify(value)} MiB; it must be a number of MiB (0 keeps one place). Using ${DEFAULT_COMPLETION_STATES_MIB}.`);
  return DEFAULT_COMPLETION_STATES_MIB;
}

function resolveGpuLayers(value: unknown, notices: string[]): GpuLayersSetting {
  if (value === undefined || value === null || value === "auto") return "auto";
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === "string" && /^\d+$/.test(value.trim())) return Number(value.trim());
  notices.push(`slm.gpuLayers is ${JSON.stringify(value)}; expected "auto" or a whole number of layers (0 = CPU only). Using "auto".`);
  return "auto";
}

function resolveLoraAdapters(value: unknown, machine: MachineFacts, notices: string[]): LoraAdapterSetting[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    notices.push(`slm.loraAdapters must be a list like [{"path": "~/models/adapter.gguf", "scale": 1}]; ignoring it.`);
    return [];
  }
  const adapters: LoraAdapterSetting[] = [];
  for (const entry of value as unknown[]) {
    const record = typeof entry === "string" ? { path: entry } : entry;
    const file = record && typeof record === "object" ? cleanPath((record as { path?: unknown }).path, machine) : "";
    if (!file) {
      notices.push(`slm.loraAdapters has an entry without a "path" (${JSON.stringify(entry)}); skipping it.`);
      continue;
    }
    const rawScale = (record as { scale?: unknown }).scale;
    let scale = 1;
    if (rawScale !== undefined) {
      if (typeof rawScale === "number" && Number.isFinite(rawScale) && rawScale >= 0 && rawScale <= 4) scale = rawScale;
      else notices.push(`slm.loraAdapters: the scale of ${path.basename(file)} is ${JSON.stringify(rawScale)}; it must be a number from 0 to 4. Using 1.`);
    }
    adapters.push({ path: file, scale });
  }
  return adapters;
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
