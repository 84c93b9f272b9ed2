import type { LocalModelEngine } from "../engine/engine";
import { measureWith, resolveTemplate, SYSTEM_PROMPT, toHistoryItems } from "./chatTemplate";
import { buildPrompt, describeTrimming, type PromptMessage } from "./prompt";

export interface ChatRequest {
  /** Earlier turns, oldest first (without the new question). */
  readonly history: readonly PromptMessage[];
  readonly question: string;
  readonly maxAnswerTokens: number;
  readonly temperature: number;
  readonly signal: AbortSignal;
  readonly onText?: (text: string) => void;
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

/** The chat lane yields to completion requests when both want the same batch. */
const CHAT_EVALUATION_PRIORITY = 1;
/** Tokens kept free beyond the answer, so a template's closing tokens always fit. */
const SAFETY_TOKENS = 8;

/**
 * Answers one question on the engine's chat lane (its own context sequence, so the completion
 * cache survives), with the model's chat template, the history trimmed to the context, and the
 * answer streamed through `onText`. Settles within a tick of `signal` aborting, with the partial
 * answer. Knows nothing of VS Code.
 */
export function runChat(engine: Pick<LocalModelEngine, "withSession">, request: ChatRequest): Promise<ChatResult> {
  const started = performance.now();
  let text = "";
  let generatedTokens = 0;
  let firstTokenAt: number | undefined;
  let lastTokenAt = 0;
  let promptTokens = 0;
  const notes: string[] = [];

  const result = (stopReason: ChatStopReason): ChatResult => {
    const now = performance.now();
    const firstAt = firstTokenAt ?? now;
    const decodeMs = lastTokenAt - firstAt;
    return {
      text,
      stopReason,
      generatedTokens,
      promptTokens,
      timeToFirstTokenMs: firstAt - started,
      durationMs: now - started,
      tokensPerSecond: generatedTokens > 1 && decodeMs > 0 ? ((generatedTokens - 1) * 1000) / decodeMs : 0,
      notes,
    };
  };

  return engine.withSession(
    "chat",
    request.signal,
    async ({ module, model, sequence }) => {
      const template = resolveTemplate(module, model);
      if (template.notice) notes.push(template.notice);
      const contextSize = sequence.context.contextSize;
      const answerReserve = Math.max(16, Math.min(request.maxAnswerTokens, Math.floor(contextSize / 2)));
      const prompt = buildPrompt({
        system: request.system ?? SYSTEM_PROMPT,
        history: request.history,
        question: request.question,
        budgetTokens: contextSize - answerReserve - SAFETY_TOKENS,
        measure: measureWith(template.wrapper, model),
      });
      if (!prompt.fits) throw new Error(`The context (${contextSize} tokens) is too small for even the system prompt. Raise slm.contextSize.`);
      notes.push(...describeTrimming(prompt, contextSize));
      promptTokens = prompt.promptTokens;

      const chat = new module.LlamaChat({ contextSequence: sequence, chatWrapper: template.wrapper, autoDisposeSequence: false });
      // The count comes from the sequence's meter, which counts every sampled token (the
      // end-of-turn token included). onToken's batches do not add up to it when the answer ends on
      // text held back as a possible stop trigger: 15 or 17 for a cap of 16, in about 1 answer in 4.
      const meteredBefore = sequence.tokenMeter.usedOutputTokens;
      try {
        const response = await chat.generateResponse(toHistoryItems(prompt.messages, true), {
          signal: request.signal,
          stopOnAbortSignal: true,
          maxTokens: Math.max(1, Math.min(request.maxAnswerTokens, contextSize - prompt.promptTokens - SAFETY_TOKENS)),
          temperature: request.temperature,
          evaluationPriority: CHAT_EVALUATION_PRIORITY,
          onToken: (tokens) => {
            lastTokenAt = performance.now();
            firstTokenAt ??= lastTokenAt;
            generatedTokens += tokens.length;
          },
          onTextChunk: (chunk) => {
            text += chunk;
            request.onText?.(chunk);
          },
        });
        // The streamed text is what the user saw; the library's final text can differ only in
        // trailing whitespace it trims.
        if (response.response.length > text.length && response.response.startsWith(text)) {
          const rest = response.response.slice(text.length);
          text = response.response;
          request.onText?.(rest);
        }
        const endOfTurnToken = response.metadata.stopReason === "eogToken" ? 1 : 0;
        generatedTokens = sequence.tokenMeter.usedOutputTokens - meteredBefore - endOfTurnToken;
        return result(response.metadata.stopReason);
      } finally {
        chat.dispose({ disposeSequence: false });
      }
    },
    () => result("abort"),
  );
}
