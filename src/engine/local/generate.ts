import type { GenerateRequest, GenerationResult, RequestOptions } from "../api";
import type { ChatSession } from "./chat";

/**
 * A plain completion of `request.prompt` on the lane's sequence (no template), streamed through
 * `onText`. `partial()` gives what was generated so far, for an abort.
 */
export function startGenerate(
  { module, sequence }: ChatSession,
  request: GenerateRequest,
  options: RequestOptions & { readonly signal: AbortSignal },
): { readonly done: Promise<GenerationResult>; readonly partial: () => GenerationResult } {
  const startedAt = performance.now();
  let text = "";
  let generatedTokens = 0;
  const partial = (): GenerationResult => ({ text, stopReason: "abort", generatedTokens, durationMs: performance.now() - startedAt });
  const run = async (): Promise<GenerationResult> => {
    const completion = new module.LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      const response = await completion.generateCompletionWithMeta(request.prompt, {
        maxTokens: request.maxTokens,
        signal: options.signal,
        stopOnAbortSignal: true,
        temperature: request.temperature ?? 0,
        seed: request.seed,
        customStopTriggers: request.stopTriggers ? [...request.stopTriggers] : undefined,
        onToken: (tokens) => {
          generatedTokens += tokens.length;
        },
        onTextChunk: (chunk) => {
          text += chunk;
          options.onText?.(chunk);
        },
      });
      return { text: response.response, stopReason: response.metadata.stopReason, generatedTokens, durationMs: performance.now() - startedAt };
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  };
  return { done: run(), partial };
}
