/**
 * Turns the messages another extension (or VS Code's chat) sends through `vscode.lm` into our
 * engine's chat request. Pure: parts are read by shape, so this runs without an editor.
 */
import type { ChatRequest, PromptMessage } from "../engine/api";

/** VS Code's LanguageModelChatMessageRole values (System is 3 where the editor has it). */
export const ROLE = { user: 1, assistant: 2, system: 3 } as const;

export interface LmMessage {
  readonly role: number;
  readonly content: readonly unknown[];
  readonly name?: string | undefined;
}

/** The text of one message: its text parts, and the text inside tool results; other parts are dropped. */
export function messageText(message: LmMessage | string): string {
  if (typeof message === "string") return message;
  return message.content.map(partText).join("");
}

function partText(part: unknown): string {
  if (typeof part === "string") return part;
  if (typeof part !== "object" || part === null) return "";
  const value = (part as { value?: unknown }).value;
  if (typeof value === "string") return value;
  const content = (part as { content?: unknown }).content;
  if (Array.isArray(content)) return content.map(partText).join("");
  return "";
}

/** True when a message carries something we cannot pass on (an image, a tool call). */
export function hasNonTextParts(message: LmMessage): boolean {
  return message.content.some((part) => {
    if (typeof part !== "object" || part === null) return false;
    if (typeof (part as { value?: unknown }).value === "string") return false;
    return !Array.isArray((part as { content?: unknown }).content);
  });
}

export interface RequestShape {
  readonly maxAnswerTokens: number;
  readonly temperature: number;
}

/**
 * System messages become the system prompt (joined), the last user message the question, and
 * everything before it the history. An assistant message after the last user message (a reply the
 * caller wants continued) cannot be continued by our chat template and is left out.
 */
export function toChatRequest(messages: readonly LmMessage[], shape: RequestShape): ChatRequest {
  const system = messages.filter((m) => m.role === ROLE.system).map(messageText).filter((t) => t.trim() !== "");
  const turns: PromptMessage[] = messages
    .filter((m) => m.role !== ROLE.system)
    .map((m) => ({ role: m.role === ROLE.assistant ? "assistant" : "user", text: messageText(m) }));
  let last = turns.length - 1;
  while (last >= 0 && turns[last]?.role !== "user") last--;
  if (last < 0) throw new Error("The request has no user message to answer.");
  const question = turns[last]!.text;
  const history = turns.slice(0, last);
  return {
    history,
    question,
    maxAnswerTokens: shape.maxAnswerTokens,
    temperature: shape.temperature,
    ...(system.length > 0 ? { system: system.join("\n\n") } : {}),
  };
}

/** `modelOptions` a caller may pass: temperature and a token cap (common names); anything else is ignored. */
export function requestShape(modelOptions: Readonly<Record<string, unknown>> | undefined, defaults: RequestShape, maxOutputTokens: number): RequestShape {
  const number = (value: unknown): number | undefined => (typeof value === "number" && Number.isFinite(value) ? value : undefined);
  const temperature = number(modelOptions?.temperature);
  const cap = number(modelOptions?.maxTokens) ?? number(modelOptions?.max_tokens) ?? number(modelOptions?.maxOutputTokens);
  return {
    temperature: temperature !== undefined ? Math.min(2, Math.max(0, temperature)) : defaults.temperature,
    maxAnswerTokens: Math.max(1, Math.min(maxOutputTokens, Math.round(cap ?? defaults.maxAnswerTokens))),
  };
}
