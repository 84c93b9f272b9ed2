/**
 * Builds the message list for one chat answer and fits it to the context. Pure: the token count
 * comes from `measure`, which the caller implements with the model's own chat template and
 * tokenizer (see chatTemplate.ts), so what is counted is exactly what the model will read.
 */
import type { PromptMessage } from "./api";

export type { PromptMessage } from "./api";

/**
 * What the model is told before every conversation. Short on purpose: small models follow a
 * few plain sentences better than the library's long generic default.
 */
export const SYSTEM_PROMPT = [
  "You are a coding assistant running locally inside the user's code editor.",
  "Answer questions about code clearly and briefly. Use Markdown; put code in fenced blocks with a language tag.",
  "When asked to explain code, say what it does and why, then point out anything surprising or risky.",
  "If you are not sure, say so.",
].join(" ");

export interface PromptInput {
  readonly system: string;
  /** Earlier turns, oldest first, without the new question. */
  readonly history: readonly PromptMessage[];
  readonly question: string;
  /** Tokens the prompt may use: the context size less what is kept free for the answer. */
  readonly budgetTokens: number;
  /** Tokens the messages take once formatted with the chat template. */
  readonly measure: (messages: readonly PromptMessage[]) => number;
}

export interface BuiltPrompt {
  readonly messages: readonly PromptMessage[];
  /** Earlier turns left out because they did not fit (oldest first). */
  readonly droppedTurns: number;
  /** Characters cut from the end of the question because it alone did not fit. */
  readonly questionCutChars: number;
  readonly promptTokens: number;
  /** False when not even the system prompt and a scrap of the question fit. */
  readonly fits: boolean;
}

export const QUESTION_CUT_MARKER = "\n\n[… the rest of this message was left out: it does not fit in the model's context …]";

/**
 * Keeps the system prompt and the latest question always; drops the oldest earlier turns until
 * the rest fits; a question that does not fit on its own is cut at the end, visibly.
 */
export function buildPrompt(input: PromptInput): BuiltPrompt {
  const system: PromptMessage = { role: "system", text: input.system };
  const question: PromptMessage = { role: "user", text: input.question };
  const history = input.history;
  const measureWith = (first: number, last: PromptMessage) => input.measure([system, ...history.slice(first), last]);

  const full = measureWith(0, question);
  if (full <= input.budgetTokens) {
    return { messages: [system, ...history, question], droppedTurns: 0, questionCutChars: 0, promptTokens: full, fits: true };
  }

  // Estimate where to start from each turn's own cost, then correct with exact counts.
  const base = input.measure([system, question]);
  if (base <= input.budgetTokens) {
    const costs = history.map((message) => Math.max(1, input.measure([message])));
    let first = history.length;
    let used = base;
    while (first > 0 && used + costs[first - 1]! <= input.budgetTokens) used += costs[--first]!;
    first = alignToUserTurn(history, first);
    let tokens = measureWith(first, question);
    while (tokens > input.budgetTokens && first < history.length) {
      first = alignToUserTurn(history, first + 1);
      tokens = measureWith(first, question);
    }
    // The estimate may have been pessimistic: take back whole turns while they still fit.
    while (first > 0) {
      const earlier = startOfTurnBefore(history, first);
      const more = measureWith(earlier, question);
      if (more > input.budgetTokens) break;
      first = earlier;
      tokens = more;
    }
    return { messages: [system, ...history.slice(first), question], droppedTurns: first, questionCutChars: 0, promptTokens: tokens, fits: true };
  }

  // The question alone is too long: keep as much of its start as fits.
  const cut = longestFittingPrefix(input.question, (text) => input.measure([system, { role: "user", text }]) <= input.budgetTokens);
  if (cut === undefined) {
    return { messages: [system, question], droppedTurns: history.length, questionCutChars: 0, promptTokens: base, fits: false };
  }
  const kept: PromptMessage = { role: "user", text: cut.text };
  return {
    messages: [system, kept],
    droppedTurns: history.length,
    questionCutChars: input.question.length - cut.keptChars,
    promptTokens: input.measure([system, kept]),
    fits: true,
  };
}

/** Never start the kept history with an answer whose question was dropped. */
function alignToUserTurn(history: readonly PromptMessage[], first: number): number {
  let index = first;
  while (index < history.length && history[index]?.role !== "user") index++;
  return index;
}

function startOfTurnBefore(history: readonly PromptMessage[], first: number): number {
  let index = first - 1;
  while (index > 0 && history[index]?.role !== "user") index--;
  return Math.max(0, index);
}

function longestFittingPrefix(text: string, fits: (candidate: string) => boolean): { text: string; keptChars: number } | undefined {
  const withMarker = (chars: number) => `${text.slice(0, cutPoint(text, chars))}${QUESTION_CUT_MARKER}`;
  if (!fits(withMarker(0))) return undefined;
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (fits(withMarker(middle))) low = middle;
    else high = middle - 1;
  }
  const keptChars = cutPoint(text, low);
  return { text: withMarker(low), keptChars };
}

/** Does not split a surrogate pair. */
function cutPoint(text: string, chars: number): number {
  if (chars > 0 && chars < text.length) {
    const code = text.charCodeAt(chars - 1);
    if (code >= 0xd800 && code <= 0xdbff) return chars - 1;
  }
  return chars;
}

/** The words shown to the user for what was left out. */
export function describeTrimming(prompt: BuiltPrompt, contextSize: number): string[] {
  const notes: string[] = [];
  if (prompt.droppedTurns > 0) {
    const what = prompt.droppedTurns === 1 ? "1 earlier message" : `${prompt.droppedTurns} earlier messages`;
    notes.push(
      `${what} no longer fit in the model's context (${contextSize.toLocaleString("en-US")} tokens) and ${prompt.droppedTurns === 1 ? "was" : "were"} left out of this answer. Start a new chat to begin afresh.`,
    );
  }
  if (prompt.questionCutChars > 0) {
    notes.push(
      `Your message was too long for the model's context: its last ${prompt.questionCutChars.toLocaleString("en-US")} characters were left out.`,
    );
  }
  return notes;
}
