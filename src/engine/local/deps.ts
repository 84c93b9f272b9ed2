/** What the local engine is given (log, machine facts, policy), and what a request works with. */
import type { LogLevel } from "../api";
import type { CpuSample } from "../cpuLoad";
import type { MachineFacts } from "../settings";
import type { KvStates } from "./kvStates";
import type { ModelCheck } from "../types";
import type { GpuChoice, Llama, LlamaContextSequence, LlamaModel, LlamaModule } from "./llamaRuntime";

export interface EngineDeps {
  readonly machine: MachineFacts;
  readonly log: (level: LogLevel, message: string) => void;
  /** Bytes of memory available to a new allocation (MemAvailable on Linux). */
  readonly freeMemory?: () => number;
  /** Bytes of free video memory on the backend in use; injectable for tests. */
  readonly freeVram?: (llama: Llama) => Promise<number>;
  readonly importLlama?: () => Promise<LlamaModule>;
  /** The process-wide Llama for a backend; injectable for tests. */
  readonly getLlama?: (gpu: GpuChoice) => Promise<Llama>;
  /**
   * Policy checks on every file a load opens (the model, its split parts, LoRA adapters) before
   * llama.cpp sees them (e.g. the SHA-256 allowlist); throw a ModelProblem to refuse the model
   * with a message for the user. Returns each file's identity (models/fileIdentity.ts) as checked,
   * when a policy applied, so the engine can compare once llama.cpp has opened the files.
   */
  readonly checkModel?: ModelCheck;
  /** CPU time counters for automatic threads; injectable for tests. */
  readonly sampleCpu?: () => CpuSample;
}

export interface Session {
  readonly llama: Llama;
  readonly model: LlamaModel;
  /** The lane's sequence; for completion, the KV state its last request ran on. */
  readonly sequence: LlamaContextSequence;
  readonly module: LlamaModule;
  /** The completion lane's KV states, from which a fill picks its sequence. */
  readonly states?: KvStates;
}

