import type { Session } from "../engine/engine";
import type { Token } from "../engine/llamaRuntime";

export interface FimRunOptions {
  readonly prompt: readonly Token[];
  readonly maxTokens: number;
  /** Stop generating after this many ms of generation (the prompt's evaluation is not counted). */
  readonly maxTimeMs: number;
  readonly stopTokens: ReadonlySet<Token>;
  readonly stopStrings: readonly string[];
  /** Stop at the first line break of the output (single-line mode). */
  readonly stopAtNewline: boolean;
  /** Evaluate the prompt into the KV cache and generate nothing (idle warm-up). */
  readonly evaluateOnly?: boolean;
  readonly signal?: AbortSignal;
}

export interface FimRunResult {
  readonly text: string;
  readonly stopReason: "eog" | "stopString" | "newline" | "maxTokens" | "timeout" | "abort" | "evaluated";
  readonly promptTokens: number;
  readonly reusedTokens: number;
  readonly evaluatedTokens: number;
  readonly generatedTokens: number;
  /** Time to evaluate the new prompt tokens (and sample the first output token). */
  readonly evalMs: number;
  readonly generateMs: number;
}

/**
 * Runs one FIM request on a context sequence, reusing the KV cache for the longest common token
 * prefix with whatever the sequence holds (previous prompt plus its generated tokens), so typing
 * forward evaluates only the new tokens.
 */
export async function runFim(session: Session, options: FimRunOptions): Promise<FimRunResult> {
  const { sequence, model } = session;
  const prompt = [...options.prompt];
  const common = sequence.compareContextTokens(prompt).firstDifferentIndex;
  // At least one prompt token must be evaluated to get logits for the next token.
  const reuse = options.evaluateOnly ? Math.min(common, prompt.length) : Math.min(common, prompt.length - 1);
  await sequence.adaptStateToTokens(prompt.slice(0, reuse), false);
  const reused = sequence.nextTokenIndex;
  const toEvaluate = prompt.slice(reused);
  const base = { promptTokens: prompt.length, reusedTokens: reused, evaluatedTokens: toEvaluate.length };

  const started = performance.now();
  if (options.evaluateOnly) {
    // Leave the last token for the real request, which needs its logits.
    const warm = toEvaluate.slice(0, Math.max(0, toEvaluate.length - 1));
    if (warm.length > 0) await sequence.evaluateWithoutGeneratingNewTokens(warm);
    return { ...base, evaluatedTokens: warm.length, text: "", stopReason: "evaluated", generatedTokens: 0, evalMs: performance.now() - started, generateMs: 0 };
  }

  const generated: Token[] = [];
  let text = "";
  let stopReason: FimRunResult["stopReason"] = "maxTokens";
  let firstTokenAt = 0;
  for await (const token of sequence.evaluate(toEvaluate, { temperature: 0 })) {
    const now = performance.now();
    if (firstTokenAt === 0) firstTokenAt = now;
    if (options.signal?.aborted) {
      stopReason = "abort";
      break;
    }
    if (options.stopTokens.has(token) || model.isEogToken(token)) {
      stopReason = "eog";
      break;
    }
    generated.push(token);
    text = model.detokenize(generated);
    const cut = stopCut(text, options);
    if (cut) {
      text = text.slice(0, cut.index);
      stopReason = cut.reason;
      break;
    }
    if (generated.length >= options.maxTokens) break;
    if (now - firstTokenAt > options.maxTimeMs) {
      stopReason = "timeout";
      break;
    }
  }
  const ended = performance.now();
  return {
    ...base,
    text: text.replace(/\uFFFD+$/, ""),
    stopReason,
    generatedTokens: generated.length,
    evalMs: (firstTokenAt || ended) - started,
    generateMs: firstTokenAt ? ended - firstTokenAt : 0,
  };
}

function stopCut(text: string, options: FimRunOptions): { index: number; reason: "stopString" | "newline" } | undefined {
  let best: { index: number; reason: "stopString" | "newline" } | undefined;
  for (const stop of options.stopStrings) {
    const index = text.indexOf(stop);
    if (index >= 0 && (!best || index < best.index)) best = { index, reason: "stopString" };
  }
  if (options.stopAtNewline) {
    const newline = text.indexOf("\n");
    if (newline >= 0 && (!best || newline < best.index)) best = { index: newline, reason: "newline" };
  }
  return best;
}
