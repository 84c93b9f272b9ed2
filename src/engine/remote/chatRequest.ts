/**
 * Chat through a server's `/v1/chat/completions`, streamed as server-sent events: the server
 * applies the model's own chat template. The history is trimmed to the server's context with the
 * same rules as on this machine (engine/chatPrompt.ts), counted with the server's tokenizer when
 * it has one, else estimated generously.
 */
import type { ChatRequest, ChatResult, ChatStopReason, RequestOptions } from "../api";
import { buildPrompt, describeTrimming, SYSTEM_PROMPT, type PromptMessage } from "../chatPrompt";
import type { ServerConnection } from "./connection";
import { RemoteProblem } from "./problems";

/** Template tokens around each message (role markers, separators): generous for every common template. */
const TOKENS_PER_MESSAGE = 8;
const SAFETY_TOKENS = 16;
/** Without the server's tokenizer: no common tokenizer averages fewer characters per token on code. */
const CHARS_PER_TOKEN_ESTIMATE = 2.5;
const FIRST_TOKEN_TIMEOUT_MS = 120_000;

export interface ChatTarget {
  readonly connection: ServerConnection;
  readonly contextSize: number;
  /** The model name to ask for (OpenAI-compatible servers need one). */
  readonly model: string;
  /** Token counts by the server's tokenizer, when it has one. */
  readonly count?: (text: string, signal?: AbortSignal) => Promise<number>;
  /** Extra request fields (llama-server: cache_prompt). */
  readonly extra?: Record<string, unknown>;
}

export async function remoteChat(
  target: ChatTarget,
  request: ChatRequest,
  options: RequestOptions,
): Promise<ChatResult & { readonly model?: string }> {
  const started = performance.now();
  const system = request.system ?? SYSTEM_PROMPT;
  const all = [system, ...request.history.map((m) => m.text), request.question];
  const counts = new Map<string, number>();
  await Promise.all(
    all.map(async (text) => {
      counts.set(text, target.count ? await target.count(text, options.signal) : Math.ceil(text.length / CHARS_PER_TOKEN_ESTIMATE));
    }),
  );
  const measure = (messages: readonly PromptMessage[]): number =>
    messages.reduce((sum, m) => sum + TOKENS_PER_MESSAGE + (counts.get(m.text) ?? Math.ceil(m.text.length / CHARS_PER_TOKEN_ESTIMATE)), 0);
  const answerReserve = Math.max(16, Math.min(request.maxAnswerTokens, Math.floor(target.contextSize / 2)));
  const prompt = buildPrompt({ system, history: request.history, question: request.question, budgetTokens: target.contextSize - answerReserve - SAFETY_TOKENS, measure });
  if (!prompt.fits) throw new RemoteProblem("badResponse", `The server's context (${target.contextSize} tokens) is too small for even the system prompt.`);
  const notes = describeTrimming(prompt, target.contextSize);

  let text = "";
  let generatedTokens = 0;
  let promptTokens = prompt.promptTokens;
  let firstTokenAt: number | undefined;
  let lastTokenAt = 0;
  let finish: string | undefined;
  let model: string | undefined;
  const result = (stopReason: ChatStopReason): ChatResult & { model?: string } => {
    const now = performance.now();
    const firstAt = firstTokenAt ?? now;
    const decodeMs = lastTokenAt - firstAt;
    return {
      text, stopReason, generatedTokens, promptTokens, notes,
      timeToFirstTokenMs: firstAt - started,
      durationMs: now - started,
      tokensPerSecond: generatedTokens > 1 && decodeMs > 0 ? ((generatedTokens - 1) * 1000) / decodeMs : 0,
      ...(model ? { model } : {}),
    };
  };

  try {
    const { complete } = await target.connection.stream(
      {
        method: "POST",
        path: "/v1/chat/completions",
        signal: options.signal,
        timeoutMs: FIRST_TOKEN_TIMEOUT_MS,
        body: {
          model: target.model,
          messages: prompt.messages.map((m) => ({ role: m.role, content: m.text })),
          stream: true,
          stream_options: { include_usage: true },
          max_tokens: Math.max(1, Math.min(request.maxAnswerTokens, target.contextSize - prompt.promptTokens - SAFETY_TOKENS)),
          temperature: request.temperature,
          ...target.extra,
        },
      },
      (data) => {
        const event = data as { model?: unknown; choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
        if (typeof event.model === "string") model = event.model;
        const choice = event.choices?.[0];
        const piece = choice?.delta?.content;
        if (typeof piece === "string" && piece.length > 0) {
          lastTokenAt = performance.now();
          firstTokenAt ??= lastTokenAt;
          generatedTokens++;
          text += piece;
          options.onText?.(piece);
        }
        if (typeof choice?.finish_reason === "string") finish = choice.finish_reason;
        if (typeof event.usage?.completion_tokens === "number") generatedTokens = event.usage.completion_tokens;
        if (typeof event.usage?.prompt_tokens === "number") promptTokens = event.usage.prompt_tokens;
      },
      () => false,
    );
    if (!complete && finish === undefined) {
      throw new RemoteProblem("dropped", `${target.connection.label} closed the connection in the middle of the answer.`, "stream ended without [DONE]");
    }
  } catch (error) {
    if (error instanceof Error && error.name === "AbortError") return result("abort");
    // What streamed before a dropped connection stays in the view (onText had it); the problem says why it stopped.
    throw error;
  }
  return result(finish === "length" ? "maxTokens" : "eogToken");
}
