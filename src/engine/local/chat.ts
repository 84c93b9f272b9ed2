import type { ChatRequest, ChatResult, ChatStopReason, RequestOptions } from "../api";
import { buildPrompt, describeTrimming, SYSTEM_PROMPT } from "../chatPrompt";
import { measureWith, resolveTemplate, toHistoryItems } from "./chatTemplate";
import type { LlamaContextSequence, LlamaModel, LlamaModule } from "./llamaRuntime";

/** The chat lane yields to completion requests when both want the same batch. */
const CHAT_EVALUATION_PRIORITY = 1;
/** Tokens kept free beyond the answer, so a template's closing tokens always fit. */
const SAFETY_TOKENS = 8;

export interface ChatSession {
  readonly module: LlamaModule;
  readonly model: LlamaModel;
  readonly sequence: LlamaContextSequence;
}

/**
 * Answers one question on the chat lane's sequence (its own, so the completion cache survives),
 * with the model's chat template, the history trimmed to the context, and the answer streamed
 * through `onText`. `partial()` gives what was answered so far, for an abort.
 */
export function startChat(
  session: ChatSession,
  request: ChatRequest,
  options: RequestOptions & { readonly signal: AbortSignal },
): { readonly done: Promise<ChatResult>; readonly partial: () => ChatResult } {
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

  const run = async ({ module, model, sequence }: ChatSession): Promise<ChatResult> => {
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
          signal: options.signal,
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
            options.onText?.(chunk);
          },
        });
        // The streamed text is what the user saw; the library's final text can differ only in
        // trailing whitespace it trims.
        if (response.response.length > text.length && response.response.startsWith(text)) {
          const rest = response.response.slice(text.length);
          text = response.response;
          options.onText?.(rest);
        }
        const endOfTurnToken = response.metadata.stopReason === "eogToken" ? 1 : 0;
        generatedTokens = sequence.tokenMeter.usedOutputTokens - meteredBefore - endOfTurnToken;
        return result(response.metadata.stopReason);
      } finally {
        chat.dispose({ disposeSequence: false });
      }
  };
  return { done: run(session), partial: () => result("abort") };
}
