/** The prompt that asks a chat model to rewrite a selection by instruction. Pure. */
import type { ChatRequest } from "../engine/api";

export const EDIT_SYSTEM_PROMPT = [
  "You rewrite code in the user's editor.",
  "Reply with the rewritten code only: no explanation, no Markdown fences, no text before or after it.",
  "Keep the original indentation, style and everything the instruction does not ask to change.",
].join(" ");

export interface EditContext {
  readonly languageId: string;
  readonly fileName: string;
  /** Lines just before and after the selection, for context only. */
  readonly before: string;
  readonly selection: string;
  readonly after: string;
  readonly instruction: string;
}

/** The lines around a selection that go into the prompt. */
export const CONTEXT_LINES = 20;
/** Characters of surrounding lines at most, each side (long lines in minified files). */
export const CONTEXT_CHARS = 2_000;

export function editRequest(context: EditContext, maxAnswerTokens: number): ChatRequest {
  const parts = [`File: ${context.fileName} (${context.languageId})`];
  if (context.before.trim()) parts.push(`Code before the selection (do not repeat it):\n${fence(context.before, context.languageId)}`);
  parts.push(`Selected code to rewrite:\n${fence(context.selection, context.languageId)}`);
  if (context.after.trim()) parts.push(`Code after the selection (do not repeat it):\n${fence(context.after, context.languageId)}`);
  parts.push(`Instruction: ${context.instruction.trim()}`);
  parts.push("Reply with the rewritten selected code only.");
  return { history: [], question: parts.join("\n\n"), system: EDIT_SYSTEM_PROMPT, maxAnswerTokens, temperature: 0.1 };
}

function fence(code: string, languageId: string): string {
  const longest = Math.max(2, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const marker = "`".repeat(longest + 1);
  return `${marker}${languageId}\n${code.replace(/\n$/, "")}\n${marker}`;
}

/** The tail or head of surrounding text, cut at a line boundary to at most `chars` characters. */
export function clipContext(text: string, side: "before" | "after", chars = CONTEXT_CHARS): string {
  if (text.length <= chars) return text;
  if (side === "before") {
    const cut = text.slice(text.length - chars);
    const newline = cut.indexOf("\n");
    return newline >= 0 ? cut.slice(newline + 1) : cut;
  }
  const cut = text.slice(0, chars);
  const newline = cut.lastIndexOf("\n");
  return newline >= 0 ? cut.slice(0, newline + 1) : cut;
}

/**
 * Whether the model may answer with a rewrite of `selectionTokens` tokens: the rewrite has to
 * fit in the answer, and is usually a little longer than the original. Undefined when it fits,
 * else the sentence that says why not.
 */
export function selectionTooLarge(selectionTokens: number, maxAnswerTokens: number, contextSize: number): string | undefined {
  const limit = rewriteLimit(maxAnswerTokens);
  if (selectionTokens <= limit) return undefined;
  return (
    `The selection is ${selectionTokens.toLocaleString("en-US")} tokens: too large to rewrite here. The chat model's context ` +
    `(${contextSize.toLocaleString("en-US")} tokens, slm.contextSize) leaves room for a rewrite of about ${limit.toLocaleString("en-US")}. ` +
    "Select a smaller part of the code."
  );
}

export function rewriteLimit(maxAnswerTokens: number): number {
  return Math.floor((maxAnswerTokens - 16) / 1.25);
}
