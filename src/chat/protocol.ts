/**
 * The one message protocol between the chat host (src/chat) and its webview (media/chat).
 * Both sides import these types; each side handles the other's messages with an exhaustive
 * switch. Plain data only: no `vscode`, no DOM.
 */

/** Longest message a user may send from the chat box, in characters. */
export const MAX_USER_MESSAGE_CHARS = 100_000;
/** Longest code block the webview may ask the host to copy or insert, in characters. */
export const MAX_CODE_CHARS = 1_000_000;
/** Longest link the webview may ask the host to open. */
export const MAX_LINK_CHARS = 2_048;
/** Anything larger than this (serialized) is refused before it is looked at. */
export const MAX_WEBVIEW_MESSAGE_BYTES = 1_200_000;

export type Role = "user" | "assistant";

/** Measurements shown under an answer. */
export interface AnswerStats {
  readonly model: string;
  readonly generatedTokens: number;
  readonly tokensPerSecond: number;
  readonly timeToFirstTokenMs: number;
  readonly durationMs: number;
}

export type AnswerEnd = "done" | "stopped" | "maxTokens" | "error";

export interface ChatTurn {
  readonly id: string;
  readonly role: Role;
  /** Markdown as the user wrote it or as the model produced it. */
  readonly text: string;
  /** For assistant turns: how the answer ended (absent while it streams). */
  readonly end?: AnswerEnd;
  readonly stats?: AnswerStats;
  /** Things the user should know about this turn (trimmed history, truncation, why it stopped). */
  readonly notes?: readonly string[];
}

/** A command the user may run from a notice's button; the host accepts only these. */
export type NoticeAction = "selectModel" | "selectChatModel" | "showLog" | "openSettings";

export interface Notice {
  readonly level: "info" | "warning" | "error";
  readonly text: string;
  readonly action?: { readonly label: string; readonly run: NoticeAction };
}

export interface ModelStatus {
  readonly kind: "noModel" | "loading" | "ready" | "busy" | "error";
  readonly modelName?: string;
}

// ---- host → webview --------------------------------------------------------------------------

export type HostMessage =
  /** The whole conversation, sent when the view (re)loads. `streamingId` names an answer still being written. */
  | { readonly type: "init"; readonly turns: readonly ChatTurn[]; readonly dropped: number; readonly streamingId?: string; readonly model: ModelStatus }
  /** The oldest turns left the conversation (its bounds); `total` were dropped from it so far. */
  | { readonly type: "turnsDropped"; readonly ids: readonly string[]; readonly total: number }
  /** A new turn (a user question, or an empty assistant answer about to stream). */
  | { readonly type: "turnAdded"; readonly turn: ChatTurn }
  /** More text for the streaming answer. */
  | { readonly type: "answerDelta"; readonly id: string; readonly text: string }
  /** The answer is complete (or stopped, or failed); its final form. */
  | { readonly type: "answerEnded"; readonly turn: ChatTurn }
  | { readonly type: "cleared" }
  | { readonly type: "notice"; readonly notice: Notice }
  | { readonly type: "modelStatus"; readonly model: ModelStatus }
  /** Puts text in the input box (e.g. a message the host refused, so it is not lost). */
  | { readonly type: "restoreInput"; readonly text: string };

// ---- webview → host --------------------------------------------------------------------------

export type WebviewMessage =
  | { readonly type: "ready" }
  | { readonly type: "send"; readonly text: string }
  | { readonly type: "stop" }
  | { readonly type: "newChat" }
  | { readonly type: "copyCode"; readonly code: string }
  | { readonly type: "insertCode"; readonly code: string }
  | { readonly type: "openLink"; readonly href: string }
  | { readonly type: "runAction"; readonly action: NoticeAction }
  /** Rendering measurements, sent when a benchmark asks for them (see bench/chat*). */
  | { readonly type: "renderStats"; readonly frames: number; readonly longestFrameMs: number; readonly framesOver50Ms: number };

export type WebviewMessageType = WebviewMessage["type"];

/** Fails to compile when a switch over a union misses a case. */
export function assertNever(value: never): never {
  throw new Error(`Unexpected value: ${JSON.stringify(value)}`);
}
