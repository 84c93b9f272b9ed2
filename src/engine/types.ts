/** Plain data shared by the engine and its callers; no `vscode`, no node-llama-cpp types. */

export type GpuSetting = "auto" | "off" | "cuda" | "vulkan" | "metal";

/** What the user configured, as read from settings (before validation). */
export interface RawEngineSettings {
  readonly modelPath: string;
  readonly threads: number;
  readonly contextSize: number;
  readonly gpu: string;
  readonly flashAttention: boolean;
}

/** Validated settings the engine acts on. */
export interface EngineSettings {
  /** Absolute path with `~` expanded; empty when no model is configured. */
  readonly modelPath: string;
  /** Threads to evaluate with; always a concrete number (auto already resolved). */
  readonly threads: number;
  readonly contextSize: number;
  readonly gpu: GpuSetting;
  readonly flashAttention: boolean;
}

/** "unloaded": freed after slm.unloadAfterMinutes without use; the next request loads it again. */
export type EngineStateKind = "noModel" | "loading" | "ready" | "busy" | "error" | "unloaded";

export interface EngineError {
  /** One or two sentences in the user's words, naming the file. */
  readonly message: string;
  /** Technical detail for the log (llama.cpp's own words, stack). */
  readonly detail?: string;
  readonly code: ModelProblemCode;
}

export type ModelProblemCode =
  | "missing"
  | "directory"
  | "unreadable"
  | "empty"
  | "notGguf"
  | "truncated"
  | "unsupportedArchitecture"
  | "tooLarge"
  | "noBinary"
  | "loadFailed"
  | "notAllowed";

export interface ModelSummary {
  readonly path: string;
  readonly name: string;
  readonly architecture: string;
  readonly sizeBytes: number;
  readonly trainContextSize?: number;
}

export interface EngineState {
  readonly kind: EngineStateKind;
  readonly modelPath?: string;
  readonly modelName?: string;
  /** 0..1 while loading. */
  readonly progress?: number;
  readonly error?: EngineError;
  /** Values in effect once loaded. */
  readonly contextSize?: number;
  readonly threads?: number;
  readonly gpu?: string;
  readonly flashAttention?: boolean;
  /** Things the user should know that did not stop the load (e.g. a clamped setting). */
  readonly notices: readonly string[];
}
