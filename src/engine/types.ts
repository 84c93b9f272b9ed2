/** Plain data shared by the engine and its callers; no `vscode`, no node-llama-cpp types. */

export type GpuSetting = "auto" | "off" | "cuda" | "vulkan" | "metal";

/**
 * Each feature evaluates on its own context sequence so one does not evict the other's KV cache.
 * "nextEdit" runs only on its own model setting (no fallback to slm.modelPath): off until chosen.
 */
export type Lane = "completion" | "chat" | "nextEdit";
export const LANES: readonly Lane[] = ["completion", "chat", "nextEdit"];

/** Layers to offload to the GPU: as many as fit, or a fixed number (0 = CPU only). */
export type GpuLayersSetting = "auto" | number;

export interface LoraAdapterSetting {
  /** Absolute path with `~` expanded. */
  readonly path: string;
  /** 1 = as trained. */
  readonly scale: number;
}

/** What the user configured, as read from settings (before validation). */
export interface RawEngineSettings {
  readonly modelPath: string;
  /** Overrides modelPath for one feature when not empty. */
  readonly completionModelPath?: string;
  readonly chatModelPath?: string;
  /** The next-edit model (slm.nextEdit.modelPath); empty: next-edit suggestions are off. */
  readonly nextEditModelPath?: string;
  /** Prompt-lookup speculative decoding on the next-edit lane (default on). */
  readonly nextEditPromptLookup?: boolean;
  /**
   * Most tokens drafted at once by prompt lookup (not a user setting: the benchmark compares
   * lengths with it). Default DEFAULT_DRAFT_TOKENS (settings.ts), 1–64.
   */
  readonly nextEditDraftTokens?: number;
  readonly threads: number;
  readonly contextSize: number;
  readonly gpu: string;
  /** "auto" or a number; anything else is corrected with a notice. */
  readonly gpuLayers?: unknown;
  readonly flashAttention: boolean;
  /** `[{ path, scale }]` as typed into settings; invalid entries are skipped with a notice. */
  readonly loraAdapters?: unknown;
  /**
   * Memory for the completion lane's KV states (places whose prompt stays evaluated), in MiB;
   * default 384. Each state costs one context sequence's KV cache.
   */
  readonly completionStatesMiB?: number;
}

/** Validated settings the engine acts on. */
export interface EngineSettings {
  /** The model file each feature runs on: absolute, `~` expanded; empty when none is configured. */
  readonly modelPaths: Readonly<Record<Lane, string>>;
  /** Threads to evaluate with; always a concrete number (auto already resolved). */
  readonly threads: number;
  /** slm.threads is automatic: fewer threads while other programs keep cores busy (cpuLoad.ts). */
  readonly threadsAuto: boolean;
  readonly contextSize: number;
  readonly gpu: GpuSetting;
  readonly gpuLayers: GpuLayersSetting;
  readonly flashAttention: boolean;
  /** Applied to the completion model (and so to chat when it runs on the same file). */
  readonly loraAdapters: readonly LoraAdapterSetting[];
  /** Memory budget for the completion lane's KV states, in MiB (at least one state is kept). */
  readonly completionStatesMiB: number;
  /** The next-edit sequence drafts tokens by looking its own output up in the prompt. */
  readonly nextEditPromptLookup: boolean;
  /** Most tokens a prompt-lookup draft holds. */
  readonly nextEditDraftTokens: number;
}

/** "unloaded": freed after slm.unloadAfterMinutes without use; the next request loads it again. */
export type EngineStateKind = "noModel" | "loading" | "ready" | "busy" | "error" | "unloaded";

export type { EngineError, ModelProblemCode } from "../models/problems";
import type { EngineError } from "../models/problems";

export interface ModelSummary {
  readonly path: string;
  readonly name: string;
  readonly architecture: string;
  readonly sizeBytes: number;
  readonly trainContextSize?: number;
}

export interface LaneModel {
  readonly path: string;
  readonly name: string;
}

export interface EngineState {
  readonly kind: EngineStateKind;
  /** The completion model's file (else the chat model's); the one loading or failing while loading/error. */
  readonly modelPath?: string;
  /** Display name: one name, or "completion name + chat name" when the features run different models. */
  readonly modelName?: string;
  /** Which model file each feature runs on, once loaded; a feature with no model is absent. */
  readonly lanes?: Readonly<Partial<Record<Lane, LaneModel>>>;
  /** 0..1 while loading. */
  readonly progress?: number;
  readonly error?: EngineError;
  /** Values in effect once loaded. */
  readonly contextSize?: number;
  readonly threads?: number;
  /** With automatic threads: the threads in use now, fewer than `threads` while other programs keep cores busy. */
  readonly threadsInUse?: number;
  /** With automatic threads: cores' worth of CPU other programs use (smoothed). */
  readonly otherCpuCores?: number;
  readonly gpu?: string;
  /** Why the backend is what it is, e.g. "no GPU backend here; running on the CPU". */
  readonly backendNote?: string;
  /** Layers on the GPU per loaded model (0 on the CPU). */
  readonly gpuLayers?: number;
  readonly flashAttention?: boolean;
  readonly loraAdapters?: readonly LoraAdapterSetting[];
  /**
   * While ready: a feature whose own model file failed to load (the other feature's model did);
   * that feature's requests fail with this message.
   */
  readonly laneErrors?: Readonly<Partial<Record<Lane, EngineError>>>;
  /** Every loaded model with the features that run on it. */
  readonly models?: readonly LoadedModelSummary[];
  /** Things the user should know that did not stop the load (e.g. a clamped setting). */
  readonly notices: readonly string[];
  /** Features configured to run on a team server (slm.engine.server), and how that went. */
  readonly remote?: Readonly<Partial<Record<Lane, RemoteLaneState>>>;
}

/** What a server says about the model it serves (engine/remote/serverFacts.ts). */
export interface RemoteModelFacts {
  /** The model's name or alias as the server reports it. */
  readonly id: string;
  /** The model file on the server (llama-server says; OpenAI-compatible servers do not). */
  readonly file?: string;
  readonly contextSize: number;
  readonly trainContextSize?: number;
  /** Parallel sequences (llama-server's slots). */
  readonly slots?: number;
  readonly parameters?: number;
  readonly sizeBytes?: number;
  /** The SHA-256 the server states for its model (the alias convention; see docs/team-server.md). */
  readonly sha256?: string;
  /** The FIM format found, or why the model cannot fill in the middle. */
  readonly fim: string;
  readonly chatTemplate?: boolean;
  readonly build?: string;
}

export interface RemoteLaneState {
  /** The server's URL as configured. */
  readonly url: string;
  readonly kind: "llama-server" | "openai";
  /** Read when a request first needed it, and again after a failure or a change of model. */
  readonly model?: RemoteModelFacts;
  /** The last request's failure, in the user's words (cleared by the next success). */
  readonly problem?: { readonly code: string; readonly label: string; readonly message: string };
  /** Which engine answered the last request. */
  readonly answeredBy?: "server" | "local";
  /** slm.allowNetwork is off: nothing is sent to the server. */
  readonly networkOff?: boolean;
  /** slm.engine.fallback is local and this feature has a local model. */
  readonly fallback?: boolean;
}

export interface LoadedModelSummary {
  readonly lanes: readonly Lane[];
  readonly summary: ModelSummary;
}

/**
 * A model policy (the SHA-256 allowlist): given every file a load opens, refuses with a
 * ModelProblem or returns each file's identity as checked (undefined when no policy applies).
 */
export type ModelCheck = (files: readonly string[], signal: AbortSignal) => Promise<readonly string[] | undefined>;
