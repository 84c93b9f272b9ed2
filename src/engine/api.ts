/**
 * The engine boundary: everything the extension asks of a model, as plain, serializable data.
 * Two hosts implement it: `LocalEngine` (node-llama-cpp in this process) and `ProcessEngine`
 * (the same LocalEngine in a child process, over host/protocol.ts). Nothing outside src/engine
 * sees node-llama-cpp; the linter enforces it.
 */
import type { Event } from "./events";
import type { FimDetection } from "../models/fimFormat";
import type { EngineState, Lane, RawEngineSettings } from "./types";

export type { Lane } from "./types";
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A piece of a fill-in-the-middle prompt: a special token by its text, or text tokenized as text. */
export type PromptPiece =
  | { readonly special: string }
  | { readonly text: string; readonly role?: string; readonly trimLeadingSpace?: boolean };

export interface FillRequest {
  /** The lane whose model and sequence run it: "completion" (default) or "nextEdit". */
  readonly lane?: "completion" | "nextEdit";
  /** Laid out by the caller (prefix, suffix, chunks, FIM tokens), in prompt order. */
  readonly pieces: readonly PromptPiece[];
  /** 0 with `evaluateOnly`. */
  readonly maxTokens: number;
  /** Stop generating after this many ms of generation (the prompt's evaluation is not counted). */
  readonly maxTimeMs: number;
  /** Texts of single tokens that end the completion (the FIM format's stop tokens). */
  readonly stopTokens: readonly string[];
  /** Texts that end the completion where they appear in the output (not included). */
  readonly stopStrings: readonly string[];
  /** Stop at the first line break of the output (single-line mode). */
  readonly stopAtNewline: boolean;
  /** Evaluate the prompt into the KV cache and generate nothing (idle warm-up). */
  readonly evaluateOnly?: boolean;
  /**
   * What the prompt is for (the completion pipeline gives the document): the engine keeps a few
   * KV states, and a prompt that continues none of them replaces the state of the same key.
   */
  readonly stateKey?: string;
  /**
   * An alternative suggestion (inline completion's cycling): start with the n-th most likely first
   * token (1 = the runner-up) instead of the most likely one, then generate greedily as usual. A
   * team server, which gives no such choice, samples with seed n instead.
   */
  readonly alternative?: number;
}

/**
 * Which KV state a fill ran on: one that already held most of the prompt ("continued"), the
 * one of the same key ("replaced"), an empty one ("new"), or the least recently used ("evicted").
 */
export type FillStateUse = "continued" | "replaced" | "new" | "evicted";

/** `decided`: the caller's `stopSignal` said the answer was decided (post-processing's end rules). */
export type FillStopReason = "eog" | "stopString" | "newline" | "maxTokens" | "timeout" | "abort" | "evaluated" | "decided";

export interface FillResult {
  readonly text: string;
  readonly stopReason: FillStopReason;
  /** Tokens in the prompt as sent (after fitting it to the context). */
  readonly promptTokens: number;
  /** Prompt tokens already in the KV cache from earlier requests. */
  readonly reusedTokens: number;
  readonly evaluatedTokens: number;
  readonly generatedTokens: number;
  /** Time to evaluate the new prompt tokens (and sample the first output token). */
  readonly evalMs: number;
  /** From the first generated token to the end of the request (the end token's decode included). */
  readonly generateMs: number;
  /**
   * Mean time between two generated tokens kept, first to last (generatedTokens - 1 decodes):
   * the speed per token, comparable with llama-bench's decode speed. Absent below two tokens.
   */
  readonly tokenGapMs?: number;
  /** Which of the engine's KV states the request ran on (absent where the engine keeps one). */
  readonly stateUse?: FillStateUse;
  /** Set when the prompt was longer than the context allows and its oldest tokens were dropped. */
  readonly cutFromTokens?: number;
  /** With prompt-lookup decoding (the next-edit lane): drafted tokens the model confirmed and refuted. */
  readonly draftTokens?: { readonly accepted: number; readonly refuted: number };
}

/** One message of a chat prompt. */
export interface PromptMessage {
  readonly role: "system" | "user" | "assistant";
  readonly text: string;
}

export interface ChatRequest {
  /** Earlier turns, oldest first (without the new question). */
  readonly history: readonly PromptMessage[];
  readonly question: string;
  readonly maxAnswerTokens: number;
  readonly temperature: number;
  readonly system?: string;
}

export type ChatStopReason = "eogToken" | "stopGenerationTrigger" | "customStopTrigger" | "functionCalls" | "maxTokens" | "abort";

export interface ChatResult {
  readonly text: string;
  readonly stopReason: ChatStopReason;
  readonly generatedTokens: number;
  readonly promptTokens: number;
  readonly timeToFirstTokenMs: number;
  readonly durationMs: number;
  /** Generation speed after the first token. */
  readonly tokensPerSecond: number;
  /** What the user should be told about this answer (trimmed history, default template…). */
  readonly notes: readonly string[];
}

/** Plain text completion on a lane (diagnostics, tests and benchmarks). */
export interface GenerateRequest {
  readonly lane: Lane;
  readonly prompt: string;
  readonly maxTokens?: number;
  readonly stopTriggers?: readonly string[];
  readonly temperature?: number;
  readonly seed?: number;
}

export interface GenerationResult {
  readonly text: string;
  readonly stopReason: "eogToken" | "stopGenerationTrigger" | "customStopTrigger" | "maxTokens" | "abort";
  readonly generatedTokens: number;
  readonly durationMs: number;
}

/** What a feature needs to know about the model its lane runs, read once per load. */
export interface LaneFacts {
  readonly lane: Lane;
  readonly modelPath: string;
  readonly name: string;
  /** Tokens per sequence of the lane's context. */
  readonly contextSize: number;
  /** The model's fill-in-the-middle format, or why it cannot fill in the middle. */
  readonly fim: FimDetection;
  /** The GGUF carries a chat template. */
  readonly chatTemplate: boolean;
  /** KV states the lane keeps (places whose prompt stays evaluated); 1 for chat. */
  readonly kvStates?: number;
}

export interface RequestOptions {
  readonly signal?: AbortSignal;
  /**
   * Streamed output, in order; all chunks together are the result's text. `fill` calls it once per
   * generated token with the text that token made final (possibly ""), and once more at the end
   * for text it held back (a possible start of a stop string, an unfinished character).
   */
  readonly onText?: (text: string) => void;
  /**
   * Ends generation early but normally (fill only): the request settles with everything it
   * generated and its real counts, stop reason "decided". Unlike `signal`, nothing is discarded.
   */
  readonly stopSignal?: AbortSignal;
}

/**
 * A model engine. Requests on one lane run one at a time, in order; each settles within a tick of
 * its signal aborting, with what was produced so far (stop reason "abort").
 */
export interface Engine {
  readonly state: EngineState;
  readonly onDidChangeState: Event<EngineState>;
  /** Applies new settings; resolves when the resulting load (if any) has finished or failed. */
  configure(raw: RawEngineSettings): Promise<void>;
  /** Frees the model's memory after `ms` without a request (0: never). */
  setIdleUnload(ms: number): void;
  /**
   * The user typed or moved the cursor in the editor: where the model's threads leave the editor
   * fewer than two cores, work the typing does not wait for (a chat answer, a next-edit prediction) pauses until a
   * moment after the last keystroke (local/typingGate.ts). Cheap on every keystroke.
   */
  noteTyping(): void;
  /** Loads the configured models again from disk; also loads a model that once crashed the engine. */
  reload(): Promise<void>;
  fill(request: FillRequest, options?: RequestOptions): Promise<FillResult>;
  chat(request: ChatRequest, options?: RequestOptions): Promise<ChatResult>;
  generate(request: GenerateRequest, options?: RequestOptions): Promise<GenerationResult>;
  tokenize(lane: Lane, text: string, specialTokens?: boolean): Promise<number[]>;
  detokenize(lane: Lane, tokens: readonly number[]): Promise<string>;
  /** Waits for a pending load. */
  laneFacts(lane: Lane): Promise<LaneFacts>;
  dispose(): Promise<void>;
}

/** Why a request could not run; `message` is for the user. */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineUnavailableError";
  }
}

export function abortError(): Error {
  const error = new Error("The request was cancelled.");
  error.name = "AbortError";
  return error;
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}
