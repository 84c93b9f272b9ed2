/**
 * Fill-in-the-middle through a server, streamed so the generation time budget and an abort end it
 * at once (closing the request stops the server's generation too).
 *   llama-server: `/completion` with our own prompt as token ids, `cache_prompt`, pinned to the
 *   slot that holds our cache: typing forward evaluates only the new tokens there as well, and
 *   `timings.prompt_n` says how many it evaluated.
 *   OpenAI-compatible: `/v1/completions` with the family's raw FIM prompt as text (vLLM and
 *   Ollama cache prefixes too); evaluated tokens from `timings` or `usage` when the server says.
 */
import type { FillRequest, FillResult, FillStopReason, RequestOptions } from "../api";
import type { ServerConnection } from "./connection";
import type { PieceTokenizer } from "./tokens";

/** As locally: tokens kept free after the prompt beyond the generation cap. */
const CONTEXT_MARGIN = 8;
/** Longest wait for the first event (a long prompt on a busy server). */
const FIRST_EVENT_TIMEOUT_MS = 60_000;

export type RemoteFillResult = FillResult & { readonly model?: string };

export interface LlamaFillTarget {
  readonly connection: ServerConnection;
  readonly tokenizer: PieceTokenizer;
  readonly contextSize: number;
  /** The slot our cache lives in (-1 until the server has chosen one); updated from each answer. */
  slot: number;
}

export async function llamaServerFill(target: LlamaFillTarget, request: FillRequest, options: RequestOptions): Promise<RemoteFillResult> {
  const tokenized = await target.tokenizer.tokenizePieces(request.pieces, options.signal);
  const limit = target.contextSize - request.maxTokens - CONTEXT_MARGIN;
  const prompt = tokenized.length <= limit ? tokenized : [tokenized[0]!, ...tokenized.slice(tokenized.length - limit + 1)];
  const run = new StreamedFill(request, options);
  const body = {
    prompt,
    n_predict: request.evaluateOnly ? 0 : request.maxTokens,
    ...samplingFor(request),
    cache_prompt: true,
    id_slot: target.slot,
    stop: run.stops,
    stream: true,
    timings_per_token: true,
  };
  await run.send(target.connection, "/completion", body, (event) => {
    if (typeof event.id_slot === "number" && event.id_slot >= 0) target.slot = event.id_slot;
    if (typeof event.content === "string") run.append(event.content);
    if (typeof event.stop_type === "string") run.stopType = event.stop_type;
    if (typeof event.stopping_word === "string") run.stoppingWord = event.stopping_word;
    return event.stop === true;
  });
  return run.result(prompt.length, prompt.length < tokenized.length ? tokenized.length : undefined);
}

export async function openAiFill(connection: ServerConnection, model: string, request: FillRequest, options: RequestOptions, extra: Record<string, unknown> = {}): Promise<RemoteFillResult> {
  const prompt = request.pieces.map((piece) => ("special" in piece ? piece.special : piece.text)).join("");
  const run = new StreamedFill(request, options);
  const body = {
    model,
    prompt,
    max_tokens: request.evaluateOnly ? 1 : request.maxTokens,
    ...samplingFor(request),
    stop: run.stops,
    stream: true,
    stream_options: { include_usage: true },
    ...extra,
  };
  await run.send(connection, "/v1/completions", body, (event) => {
    const choice = (event.choices as { text?: unknown; finish_reason?: unknown }[] | undefined)?.[0];
    if (typeof choice?.text === "string" && !request.evaluateOnly) run.append(choice.text);
    if (typeof choice?.finish_reason === "string") run.stopType = choice.finish_reason === "length" ? "limit" : choice.finish_reason === "stop" ? "word" : choice.finish_reason;
    const usage = event.usage as { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } } | undefined;
    if (typeof usage?.prompt_tokens === "number") run.usagePrompt = usage.prompt_tokens;
    if (typeof usage?.completion_tokens === "number") run.usageGenerated = usage.completion_tokens;
    if (typeof usage?.prompt_tokens_details?.cached_tokens === "number") run.usageCached = usage.prompt_tokens_details.cached_tokens;
    return false;
  });
  return run.result(run.usagePrompt ?? 0, undefined);
}

/** One streamed fill: text, the time budget, and the server's own counts. */
class StreamedFill {
  readonly stops: string[];
  private text = "";
  /** What went out through onText. */
  private streamed = "";
  private firstAt = 0;
  private readonly started = performance.now();
  private reason?: FillStopReason;
  private timings?: { cache_n?: number; prompt_n?: number; prompt_ms?: number; predicted_n?: number; predicted_ms?: number };
  private model?: string;
  stopType?: string;
  stoppingWord?: string;
  usagePrompt?: number;
  usageGenerated?: number;
  usageCached?: number;

  constructor(
    private readonly request: FillRequest,
    private readonly options: RequestOptions,
  ) {
    this.stops = [...request.stopStrings, ...(request.stopAtNewline ? ["\n"] : [])];
  }

  /** Text the server streamed: passed on at once (the server holds back stop strings itself). */
  append(text: string): void {
    // Decided, timed out or aborted: events already in the socket's buffer are not the answer.
    if (this.reason) return;
    this.firstAt ||= performance.now();
    if (text.length === 0) return;
    let piece = text;
    // A line break is a stop string here; the server never sends past it, but a stop string that
    // contains one could arrive in the same piece.
    if (this.request.stopAtNewline && this.text.includes("\n")) return;
    if (this.request.stopAtNewline && piece.includes("\n")) piece = piece.slice(0, piece.indexOf("\n"));
    this.text += text;
    this.streamed += piece;
    if (piece.length > 0) this.options.onText?.(piece);
  }

  async send(connection: ServerConnection, path: string, body: unknown, onEvent: (event: Record<string, unknown>) => boolean): Promise<void> {
    const own = new AbortController();
    const forward = (): void => own.abort();
    // The caller decided the answer: end it normally with what came so far ("decided").
    const decided = (): void => {
      this.reason ??= "decided";
      own.abort();
    };
    this.options.signal?.addEventListener("abort", forward, { once: true });
    this.options.stopSignal?.addEventListener("abort", decided, { once: true });
    if (this.options.stopSignal?.aborted) decided();
    try {
      await connection.stream({ method: "POST", path, body, signal: own.signal, timeoutMs: FIRST_EVENT_TIMEOUT_MS }, (data) => {
        const event = data as Record<string, unknown>;
        if (typeof event.model === "string") this.model = event.model;
        if (typeof event.timings === "object" && event.timings !== null) this.timings = event.timings;
        const last = onEvent(event);
        // The generation budget counts from the first token, as on this machine.
        if (!last && this.firstAt && performance.now() - this.firstAt > this.request.maxTimeMs && !this.request.evaluateOnly) {
          this.reason = "timeout";
          own.abort();
        }
      }, () => false);
    } catch (error) {
      if (!(error instanceof Error && error.name === "AbortError")) throw error;
      this.reason ??= "abort";
    } finally {
      this.options.signal?.removeEventListener("abort", forward);
      this.options.stopSignal?.removeEventListener("abort", decided);
    }
  }

  result(promptTokens: number, cutFromTokens: number | undefined): RemoteFillResult {
    const ended = performance.now();
    const t = this.timings;
    const evaluated = t?.prompt_n ?? (this.usagePrompt !== undefined && this.usageCached !== undefined ? this.usagePrompt - this.usageCached : promptTokens);
    const prompt = promptTokens || (t ? (t.cache_n ?? 0) + (t.prompt_n ?? 0) : 0);
    let reason = this.reason ?? this.stopReason();
    // A line break arrived inside a piece: generation ends there as on this machine.
    if (this.request.stopAtNewline && this.text.includes("\n") && reason !== "abort" && reason !== "decided") reason = "newline";
    let text = this.streamed;
    if (reason === "stopString") {
      const cut = cutAtStop(text, this.stops);
      // Never take back what was streamed; a stop string the server let through ends it here.
      if (cut.length < text.length) text = cut;
    }
    return {
      text,
      stopReason: reason,
      promptTokens: prompt,
      reusedTokens: t?.cache_n ?? Math.max(0, prompt - evaluated),
      evaluatedTokens: evaluated,
      generatedTokens: t?.predicted_n ?? this.usageGenerated ?? 0,
      evalMs: t?.prompt_ms ?? (this.firstAt ? this.firstAt - this.started : ended - this.started),
      generateMs: t?.predicted_ms ?? (this.firstAt ? ended - this.firstAt : 0),
      ...(cutFromTokens !== undefined ? { cutFromTokens } : {}),
      ...(this.model ? { model: this.model } : {}),
    };
  }

  private stopReason(): FillStopReason {
    if (this.request.evaluateOnly) return "evaluated";
    switch (this.stopType) {
      case "eos":
        return "eog";
      case "word":
        // OpenAI's "stop" is an end token or a stop string alike: the text says which.
        if (this.stoppingWord === "\n" || (this.stoppingWord === undefined && this.request.stopAtNewline && this.stops.length === 1)) return "newline";
        return this.stoppingWord === undefined || this.stoppingWord === "" ? "eog" : "stopString";
      case "limit":
      case "length":
        return "maxTokens";
      default:
        return "eog";
    }
  }
}

function cutAtStop(text: string, stops: readonly string[]): string {
  let at = text.length;
  for (const stop of stops) {
    const index = text.indexOf(stop);
    if (index >= 0 && index < at) at = index;
  }
  return text.slice(0, at);
}

/** Greedy, or for an alternative suggestion (the server cannot start at a chosen first token) sampled with its own seed. */
function samplingFor(request: FillRequest): { temperature: number; seed?: number; top_k?: number } {
  return request.alternative ? { temperature: 0.8, top_k: 20, seed: request.alternative } : { temperature: 0 };
}
