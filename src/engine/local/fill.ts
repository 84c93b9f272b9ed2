import type { FillRequest, FillResult, PromptPiece, RequestOptions } from "../api";
import type { Session } from "./deps";
import type { LlamaContextSequence, LlamaModel, Token } from "./llamaRuntime";

/** Prompt evaluation runs in slices this long so an abort takes effect between them. */
const EVAL_SLICE = 128;
/** Tokens kept free after the prompt beyond the generation cap. */
const CONTEXT_MARGIN = 8;

/** Tokenized long pieces (prefix, suffix, chunks: the stable ones) per model, so a keystroke re-tokenizes little. */
const tokenCaches = new WeakMap<LlamaModel, Map<string, Token[]>>();

/**
 * Runs one fill-in-the-middle request: tokenizes the pieces, fits them to the context, picks the
 * KV state (context sequence) that holds most of the prompt (kvStates.ts), reuses its cache for
 * the longest common token prefix (previous prompt plus its generated tokens), so typing forward
 * evaluates only the new tokens, then generates greedily until a stop rule fires.
 */
export async function runFill(
  session: Pick<Session, "model" | "sequence" | "states">,
  request: FillRequest,
  signal: AbortSignal,
  stream: Pick<RequestOptions, "onText" | "stopSignal"> = {},
): Promise<FillResult> {
  const { model } = session;
  const tokenized = tokenizePieces(model, request.pieces);
  const limit = session.sequence.context.contextSize - request.maxTokens - CONTEXT_MARGIN;
  const prompt = tokenized.length <= limit ? tokenized : [tokenized[0]!, ...tokenized.slice(tokenized.length - limit + 1)];
  const cutFromTokens = prompt.length < tokenized.length ? tokenized.length : undefined;
  const picked = session.states?.pick(prompt, request.stateKey);
  const sequence = picked?.sequence ?? session.sequence;
  const reusedBefore = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);

  const slicesStarted = performance.now();
  await evaluateInSlices(sequence, prompt, signal);
  const slicesMs = performance.now() - slicesStarted;
  const result = await generate(model, sequence, prompt, request, signal, stream);
  const common = Math.min(reusedBefore, result.promptTokens);
  // Reported against what the sequence held before this request, the sliced evaluation included.
  const reusedTokens = request.evaluateOnly ? common : reusedBefore;
  const evaluatedTokens = request.evaluateOnly ? result.reusedTokens + result.evaluatedTokens - common : result.promptTokens - reusedBefore;
  return {
    ...result, reusedTokens, evaluatedTokens, evalMs: result.evalMs + slicesMs,
    ...(picked ? { stateUse: picked.use } : {}), ...(cutFromTokens ? { cutFromTokens } : {}),
  };
}

export function tokenizePieces(model: LlamaModel, pieces: readonly PromptPiece[]): Token[] {
  let cache = tokenCaches.get(model);
  if (!cache) tokenCaches.set(model, (cache = new Map<string, Token[]>()));
  const tokens: Token[] = [];
  for (const piece of pieces) {
    const special = "special" in piece;
    const text = special ? piece.special : piece.text;
    const trim = !special && piece.trimLeadingSpace === true;
    const key = `${special ? "S" : trim ? "T" : "L"}${text}`;
    let pieceTokens = cache.get(key);
    if (!pieceTokens) {
      pieceTokens = special ? model.tokenize(text, true) : model.tokenize(text, false, trim ? "trimLeadingSpace" : undefined);
      if (text.length > 64) {
        cache.set(key, pieceTokens);
        if (cache.size > 32) cache.delete(cache.keys().next().value!);
      }
    }
    tokens.push(...pieceTokens);
  }
  return tokens;
}

/** Evaluates all but the last few prompt tokens in slices, so an abort is honoured between them. */
async function evaluateInSlices(sequence: LlamaContextSequence, tokens: readonly Token[], signal: AbortSignal): Promise<void> {
  const common = sequence.compareContextTokens([...tokens]).firstDifferentIndex;
  if (tokens.length - common <= EVAL_SLICE) return;
  await sequence.adaptStateToTokens(tokens.slice(0, common), false);
  let at = sequence.nextTokenIndex;
  while (tokens.length - 1 - at > EVAL_SLICE) {
    if (signal.aborted) return;
    await sequence.evaluateWithoutGeneratingNewTokens(tokens.slice(at, at + EVAL_SLICE));
    at += EVAL_SLICE;
  }
}

async function generate(
  model: LlamaModel,
  sequence: LlamaContextSequence,
  prompt: Token[],
  request: FillRequest,
  signal: AbortSignal,
  stream: Pick<RequestOptions, "onText" | "stopSignal">,
): Promise<Omit<FillResult, "cutFromTokens">> {
  const common = sequence.compareContextTokens(prompt).firstDifferentIndex;
  // At least one prompt token must be evaluated to get logits for the next token.
  const reuse = request.evaluateOnly ? Math.min(common, prompt.length) : Math.min(common, prompt.length - 1);
  await sequence.adaptStateToTokens(prompt.slice(0, reuse), false);
  const reused = sequence.nextTokenIndex;
  const toEvaluate = prompt.slice(reused);
  const base = { promptTokens: prompt.length, reusedTokens: reused, evaluatedTokens: toEvaluate.length };

  const started = performance.now();
  if (request.evaluateOnly) {
    // Leave the last token for the real request, which needs its logits.
    const warm = toEvaluate.slice(0, Math.max(0, toEvaluate.length - 1));
    if (warm.length > 0 && !signal.aborted) await sequence.evaluateWithoutGeneratingNewTokens(warm);
    return { ...base, evaluatedTokens: warm.length, text: "", stopReason: "evaluated", generatedTokens: 0, evalMs: performance.now() - started, generateMs: 0 };
  }

  const stopTokens = stopTokenIds(model, request.stopTokens);
  const generated: Token[] = [];
  let text = "";
  let stopReason: FillResult["stopReason"] = "maxTokens";
  let firstTokenAt = 0;
  let lastTokenAt = 0;
  let streamed = 0;
  /** Takes one generated token; false when generation ends here. */
  const accept = (token: Token, now: number): boolean => {
    if (firstTokenAt === 0) firstTokenAt = now;
    if (signal.aborted) {
      stopReason = "abort";
      return false;
    }
    if (stream.stopSignal?.aborted) {
      stopReason = "decided";
      return false;
    }
    if (stopTokens.has(token) || model.isEogToken(token)) {
      stopReason = "eog";
      return false;
    }
    generated.push(token);
    lastTokenAt = now;
    text = model.detokenize(generated);
    const cut = stopCut(text, request);
    if (cut) {
      text = text.slice(0, cut.index);
      stopReason = cut.reason;
      return false;
    }
    if (stream.onText) {
      const final = finalLength(text, request.stopStrings);
      stream.onText(text.slice(streamed, Math.max(streamed, final)));
      streamed = Math.max(streamed, final);
    }
    if (generated.length >= request.maxTokens) return false;
    if (now - firstTokenAt > request.maxTimeMs) {
      stopReason = "timeout";
      return false;
    }
    return true;
  };
  // An alternative starts with a runner-up first token, evaluated next; the model goes on from it.
  let input = toEvaluate;
  if (request.alternative) {
    const first = await rankedFirstToken(sequence, toEvaluate, request.alternative, (token) => stopTokens.has(token) || model.isEogToken(token));
    input = first === undefined ? [] : [first];
    if (first === undefined) stopReason = "eog";
  }
  if (input.length > 0 && (!request.alternative || accept(input[0]!, performance.now()))) {
    for await (const token of sequence.evaluate(input, { temperature: 0 })) {
      if (!accept(token, performance.now())) break;
    }
  }
  const ended = performance.now();
  // node-llama-cpp ends the token stream itself at an end-of-generation token it knows.
  if (stopReason === "maxTokens" && generated.length < request.maxTokens) stopReason = "eog";
  text = text.replace(/\uFFFD+$/, "");
  if (stream.onText && text.length > streamed) stream.onText(text.slice(streamed));
  return {
    ...base,
    text,
    stopReason,
    generatedTokens: generated.length,
    evalMs: (firstTokenAt || ended) - started,
    generateMs: firstTokenAt ? ended - firstTokenAt : 0,
    ...(generated.length > 1 ? { tokenGapMs: (lastTokenAt - firstTokenAt) / (generated.length - 1) } : {}),
  };
}

/**
 * The n-th most likely next token after `tokens` (1 = the runner-up), skipping end tokens; the
 * tokens are evaluated into the sequence, the chosen one is not.
 */
async function rankedFirstToken(sequence: LlamaContextSequence, tokens: Token[], rank: number, ends: (token: Token) => boolean): Promise<Token | undefined> {
  // Sampling at temperature 1 over the top candidates only to read their probabilities, in order.
  const probe = sequence.evaluateWithMetadata(tokens, { probabilities: true }, { temperature: 1, topK: rank + 8, topP: 1, minP: 0, yieldEogToken: true });
  try {
    const first = await probe.next();
    if (first.done) return undefined;
    const ranked = [...first.value.probabilities.keys()].filter((token) => !ends(token));
    return ranked[rank];
  } finally {
    await probe.return();
  }
}

function stopTokenIds(model: LlamaModel, texts: readonly string[]): ReadonlySet<Token> {
  const ids = new Set<Token>();
  for (const text of texts) {
    const tokens = model.tokenize(text, true);
    if (tokens.length === 1) ids.add(tokens[0]!);
  }
  return ids;
}

function stopCut(text: string, request: FillRequest): { index: number; reason: "stopString" | "newline" } | undefined {
  let best: { index: number; reason: "stopString" | "newline" } | undefined;
  for (const stop of request.stopStrings) {
    const index = text.indexOf(stop);
    if (index >= 0 && (!best || index < best.index)) best = { index, reason: "stopString" };
  }
  if (request.stopAtNewline) {
    const newline = text.indexOf("\n");
    if (newline >= 0 && (!best || newline < best.index)) best = { index: newline, reason: "newline" };
  }
  return best;
}

/**
 * How much of the text so far no later token can change: all of it but an unfinished character
 * and an end that may be the start of a stop string.
 */
function finalLength(text: string, stopStrings: readonly string[]): number {
  let end = text.length;
  while (end > 0 && text[end - 1] === "\uFFFD") end--;
  let held = 0;
  for (const stop of stopStrings) {
    for (let k = Math.min(stop.length - 1, end); k > held; k--) {
      if (text.endsWith(stop.slice(0, k), end)) {
        held = k;
        break;
      }
    }
  }
  return end - held;
}
