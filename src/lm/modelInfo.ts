/**
 * What VS Code's language model picker and the `vscode.lm` API are told about our chat model,
 * from the engine's state. Pure: the provider (editor/provider.ts) hands it to VS Code.
 */
import type { EngineState } from "../engine/types";

/** The one entry the provider lists; its id stays the same whichever model file is loaded. */
export const CHAT_MODEL_ID = "local-chat";
export const VENDOR = "slm-assistant";

export interface ChatModelInfo {
  readonly id: string;
  readonly name: string;
  readonly family: string;
  readonly version: string;
  readonly tooltip: string;
  readonly detail: string;
  readonly maxInputTokens: number;
  readonly maxOutputTokens: number;
  /** Neither: our engine runs a plain chat template, without tool calls or image input. */
  readonly capabilities: { readonly imageInput: false; readonly toolCalling: false };
  /** False while no chat model is loaded or loading: a request then fails with `unavailableReason`. */
  readonly available: boolean;
  readonly unavailableReason?: string;
}

/** The same split chat.ts makes: the answer may use at most half the context. */
export function answerTokens(contextSize: number, maxAnswerTokens: number): number {
  return Math.max(16, Math.min(maxAnswerTokens, Math.floor(contextSize / 2)));
}

const NO_MODEL = "No chat model is loaded in SLM Assistant. Choose one with “SLM: Select Chat Model…” (or “SLM: Select Model…”).";

/**
 * The entry for the chat lane's model: its name, its architecture as the family, and the token
 * budget of its context. With no model there is still an entry, named so, whose requests fail
 * with a sentence saying what to do (other extensions and the picker see why, not an empty list).
 */
export function chatModelInfo(state: EngineState, maxAnswerTokens: number): ChatModelInfo {
  const chatModel = state.lanes?.chat;
  const summary = state.models?.find((model) => model.lanes.includes("chat"))?.summary;
  const contextSize = state.contextSize ?? 4096;
  const maxOutputTokens = answerTokens(contextSize, maxAnswerTokens);
  const capabilities = { imageInput: false, toolCalling: false } as const;
  const laneError = state.laneErrors?.chat?.message;
  if (chatModel && !laneError && (state.kind === "ready" || state.kind === "busy" || state.kind === "unloaded" || state.kind === "loading")) {
    return {
      id: CHAT_MODEL_ID,
      name: chatModel.name,
      family: summary?.architecture ?? "gguf",
      version: fileName(chatModel.path),
      tooltip: `${chatModel.name}, running on this machine through SLM Assistant (${chatModel.path}). Nothing leaves the machine.`,
      detail: "local",
      maxInputTokens: contextSize - maxOutputTokens,
      maxOutputTokens,
      capabilities,
      available: true,
    };
  }
  const reason =
    laneError ??
    (state.kind === "loading"
      ? "SLM Assistant is still loading its chat model; try again in a moment."
      : state.kind === "error" && state.error
        ? `SLM Assistant's chat model is not available: ${state.error.message}`
        : NO_MODEL);
  return {
    id: CHAT_MODEL_ID,
    name: "SLM Assistant (no model loaded)",
    family: "none",
    version: "none",
    tooltip: reason,
    detail: "local",
    maxInputTokens: Math.max(1, contextSize - maxOutputTokens),
    maxOutputTokens,
    capabilities,
    available: false,
    unavailableReason: reason,
  };
}

function fileName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
