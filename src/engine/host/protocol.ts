/**
 * The messages between the extension host and the engine process, defined once and imported by
 * both sides. Everything is plain data (JSON over the IPC channel of `child_process.fork`).
 * Bump PROTOCOL_VERSION on any incompatible change: the parent refuses a child that speaks another.
 */
import type {
  ChatRequest,
  ChatResult,
  FillRequest,
  FillResult,
  GenerateRequest,
  GenerationResult,
  Lane,
  LaneFacts,
  LogLevel,
} from "../api";
import type { MachineFacts } from "../settings";
import type { EngineState, RawEngineSettings } from "../types";

export const PROTOCOL_VERSION = 3;
/** Least time between two "typing" messages (the engine's typing gate waits 500 ms after one). */
export const TYPING_NOTE_MS = 250;

/** Each engine method a parent can call: its arguments and its result. */
export interface EngineCalls {
  configure: { args: [RawEngineSettings]; result: void };
  setIdleUnload: { args: [number]; result: void };
  reload: { args: []; result: void };
  fill: { args: [FillRequest]; result: FillResult };
  chat: { args: [ChatRequest]; result: ChatResult };
  generate: { args: [GenerateRequest]; result: GenerationResult };
  tokenize: { args: [Lane, string, boolean]; result: number[] };
  detokenize: { args: [Lane, number[]]; result: string };
  laneFacts: { args: [Lane]; result: LaneFacts };
}
export type EngineMethod = keyof EngineCalls;

export interface SerializedError {
  readonly name: string;
  readonly message: string;
}

/** Parent → engine process. */
export type ToEngine =
  | { readonly type: "init"; readonly version: number; readonly machine: MachineFacts; readonly checkModel: boolean }
  | { readonly [M in EngineMethod]: { readonly type: "call"; readonly id: number; readonly method: M; readonly args: EngineCalls[M]["args"] } }[EngineMethod]
  | { readonly type: "abort"; readonly id: number }
  /** The caller's `stopSignal`: end the request's generation now, with its result. */
  | { readonly type: "stop"; readonly id: number }
  /** The user typed in the editor (Engine.noteTyping); sent at most every TYPING_NOTE_MS. */
  | { readonly type: "typing" }
  | { readonly type: "checkModelDone"; readonly id: number; readonly identities?: readonly string[]; readonly error?: SerializedError & { readonly code?: string } };

/** Engine process → parent. */
export type FromEngine =
  | { readonly type: "hello"; readonly version: number; readonly pid: number }
  | { readonly type: "alive" }
  | { readonly type: "state"; readonly state: EngineState }
  | { readonly type: "log"; readonly level: LogLevel; readonly message: string }
  | { readonly type: "text"; readonly id: number; readonly text: string }
  | { readonly type: "result"; readonly id: number; readonly value: unknown }
  | { readonly type: "error"; readonly id: number; readonly error: SerializedError }
  /** Asks the parent to apply its model policy (the SHA-256 allowlist) to the files a load opens. */
  | { readonly type: "checkModel"; readonly id: number; readonly files: readonly string[] }
  /** The load that asked for a check was cancelled: stop hashing. */
  | { readonly type: "checkModelAbort"; readonly id: number };

/** How often the engine process says it is alive; the parent's watchdog counts missed beats. */
export const HEARTBEAT_MS = 500;

export function serializeError(error: unknown): SerializedError {
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}
