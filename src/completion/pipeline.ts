import { EngineUnavailableError, isAbortError, type Engine, type FillResult, type PromptPiece, type RequestOptions } from "../engine/api";
import type { FimFormat } from "../models/fimFormat";
import { SuggestionCache, cacheBeforeChars } from "./cache/suggestionCache";
import { ExtraContext } from "./context/extraContext";
import { buildFimPrompt, type FimChunk } from "./prompt/fimPrompt";
import { EndWatcher, allowsMultiline, postprocessCompletion, type PostprocessContext } from "./postprocess";
import type { CompletionOutcome, CompletionRequest, DropReason, CompletionSettings, RequestTimings, TextSource } from "./types";
import { PREFIX_SLACK, WindowPlanner, sliceText, type PromptWindow, type WindowBudget } from "./context/window";

/** Characters per token assumed until the model's own ratio has been seen. */
const INITIAL_CHARS_PER_TOKEN = 3;
/**
 * Time the prompt of a request at a new place may take to evaluate: the cold start's window is
 * sized from the measured prompt speed to fit it (idle warm-up then grows it to full size).
 */
export const COLD_EVAL_MS = 1000;
/** Prompt speed assumed until one has been measured (a 0.5B model on two laptop cores). */
const INITIAL_PROMPT_TOKENS_PER_SECOND = 200;

export interface PipelineDeps {
  readonly engine: Pick<Engine, "fill" | "laneFacts">;
  readonly settings: () => CompletionSettings;
  readonly log: (message: string) => void;
  /** Called each time a request reaches the model (not for cache hits or warm-ups). */
  readonly onModelCall?: () => void;
}

interface ModelFim {
  readonly modelPath: string;
  readonly contextSize: number;
  /** KV states the engine keeps for completion: the planner remembers that many documents' windows. */
  readonly kvStates: number;
  readonly format?: FimFormat;
  readonly refusal?: string;
  readonly stopTokens: readonly string[];
  readonly stopStrings: readonly string[];
}

interface BuiltPrompt {
  readonly documentKey: string;
  readonly pieces: readonly PromptPiece[];
  readonly window: PromptWindow;
  /** Characters of document text in the prompt, to learn the model's characters per token. */
  readonly textChars: number;
}

/**
 * The completion pipeline, top to bottom: cache → context window → FIM prompt → engine.fill()
 * (KV reuse there) → post-processing → cache. Knows nothing of VS Code or node-llama-cpp; takes
 * plain data and an AbortSignal.
 */
/** Why a request had no suggestion, where a runner-up first token cannot change that. */
const HOPELESS: ReadonlySet<DropReason> = new Set<DropReason>(["noFim", "noModel", "binary", "cancelled", "error"]);

/** The suggestion to show first (or why there is none) and the others to cycle through. */
export interface Alternatives {
  readonly outcome: CompletionOutcome;
  readonly others: readonly string[];
}

export class CompletionPipeline {
  readonly extraContext = new ExtraContext();
  private readonly planner = new WindowPlanner();
  private readonly cache = new SuggestionCache();
  /** Extra chunks in use; they change only during warm-up, since the prompt starts with them. */
  private chunks: readonly FimChunk[] = [];
  private fim?: ModelFim;
  private charsPerToken = INITIAL_CHARS_PER_TOKEN;
  /** Prompt tokens evaluated per second, learned from requests that evaluated many. */
  private promptTokensPerSecond = INITIAL_PROMPT_TOKENS_PER_SECOND;
  private inflight?: AbortController;
  /** The alternatives computed last, for the place they were computed at. */
  private lastAlternatives?: { readonly key: string; readonly texts: readonly string[]; readonly asked: number };
  /** The pieces of the last prompt sent to the model (for benchmarks and diagnostics). */
  lastPrompt: readonly PromptPiece[] = [];

  constructor(private readonly deps: PipelineDeps) {}

  /** The rest of a suggestion the user is typing along with, with no model call. */
  fromCache(request: CompletionRequest): string | undefined {
    return this.cache.lookup(this.cacheKey(request));
  }

  async complete(request: CompletionRequest, signal?: AbortSignal): Promise<CompletionOutcome> {
    const started = performance.now();
    const cached = this.fromCache(request);
    if (cached) return { kind: "suggestion", text: cached, fromCache: true };

    const own = this.takeOver(signal);
    try {
      return await this.generate(request, own.signal, started);
    } finally {
      own.done();
    }
  }

  /**
   * Up to `count` different suggestions at this place, the usual one first (inline completion's
   * cycling): the others start with the model's runner-up first tokens. Computed only when asked,
   * and remembered for the place, so cycling back and forth costs nothing more. When none comes
   * out, the outcome says why, as `complete()` would (no FIM, filtered, no model…).
   */
  async alternatives(request: CompletionRequest, count: number, signal?: AbortSignal): Promise<Alternatives> {
    const place = this.cacheKey(request);
    const key = `${place.documentKey}\u0000${place.before}\u0000${place.after}`;
    const known = this.lastAlternatives;
    if (known?.key === key && known.texts.length >= Math.min(count, known.asked) && known.texts.length > 0) {
      return { outcome: { kind: "suggestion", text: known.texts[0]!, fromCache: true }, others: known.texts.slice(1, count) };
    }
    const primary = await this.complete(request, signal);
    const texts = primary.kind === "suggestion" ? [primary.text] : [];
    let first = primary.kind === "suggestion" ? primary : undefined;
    // A model that cannot fill in the middle, or none at all, has no runner-ups either.
    const hopeless = primary.kind === "dropped" && HOPELESS.has(primary.reason);
    const own = this.takeOver(signal);
    try {
      // A runner-up may come out the same after post-processing: a few more tries than asked.
      for (let rank = 1; !hopeless && texts.length < count && rank < count + 2 && !own.signal.aborted; rank++) {
        const outcome = await this.generate(request, own.signal, performance.now(), rank);
        if (outcome.kind === "suggestion" && !texts.includes(outcome.text)) {
          texts.push(outcome.text);
          first ??= outcome;
        }
      }
    } finally {
      own.done();
    }
    if (!own.signal.aborted) this.lastAlternatives = { key, texts, asked: count };
    if (own.signal.aborted && !first) return { outcome: { kind: "dropped", reason: "cancelled", timings: primary.timings }, others: [] };
    return { outcome: first ?? primary, others: texts.filter((text) => text !== first?.text) };
  }

  /**
   * Idle warm-up: moves the anchor to the cursor, takes in new extra context, and evaluates the
   * prompt into the KV cache so the next request only evaluates what the user types next.
   */
  async warm(request: CompletionRequest, signal?: AbortSignal): Promise<FillResult | undefined> {
    // A request still running warms the cache itself; never cancel it for a warm-up.
    if (this.inflight) return undefined;
    const own = this.takeOver(signal);
    try {
      const fim = await this.modelFim();
      if (!fim.format) return undefined;
      // Moving the anchor or the extra context re-evaluates the rest of the prompt: only when worth it.
      const refresh = this.planner.needsRefresh(request, this.budget(fim.contextSize));
      if (refresh) this.chunks = this.selectChunks(request, fim.contextSize);
      const prompt = this.buildPrompt(request, fim, refresh);
      const result = await this.fill(fim, prompt, { maxTokens: 0, maxTimeMs: 0, stopAtNewline: false, evaluateOnly: true }, own.signal);
      return result.stopReason === "abort" ? undefined : result;
    } catch (error) {
      if (error instanceof EngineUnavailableError || isAbortError(error)) return undefined;
      throw error;
    } finally {
      own.done();
    }
  }

  /**
   * After a suggestion was shown: computes the suggestion that follows accepting it, so Tab then
   * a pause shows the next one at once. The accepted text is mostly in the KV cache already.
   */
  async prefetchAfter(request: CompletionRequest, suggestion: string, signal?: AbortSignal): Promise<void> {
    const accepted = withInsertedText(request, suggestion);
    if (this.fromCache(accepted)) return;
    const outcome = await this.complete(accepted, signal).catch(() => undefined);
    if (outcome?.kind === "suggestion") this.deps.log(`prefetched ${outcome.text.length} chars after the shown suggestion`);
  }

  /**
   * Why the completion model cannot fill in the middle (no FIM tokens, an instruct model, not
   * trained for it), or undefined when it can. Reads the loaded model; runs nothing.
   */
  async fimRefusal(): Promise<string | undefined> {
    const fim = await this.modelFim();
    return fim.format ? undefined : fim.refusal;
  }

  /** Forget everything tied to the model (after a model change). */
  reset(): void {
    this.fim = undefined;
    this.lastAlternatives = undefined;
    this.cache.clear();
    this.planner.reset();
  }

  // ---- stages --------------------------------------------------------------------------------

  /** `alternative` n > 0: the suggestion that starts with the model's n-th runner-up first token (not cached). */
  private async generate(request: CompletionRequest, signal: AbortSignal, started: number, alternative = 0): Promise<CompletionOutcome> {
    const timings: RequestTimings = {
      contextMs: 0, queueMs: 0, evalMs: 0, generateMs: 0, postprocessMs: 0, totalMs: 0,
      promptTokens: 0, reusedTokens: 0, evaluatedTokens: 0, generatedTokens: 0,
    };
    let fim: ModelFim;
    try {
      fim = await this.modelFim();
    } catch (error) {
      if (error instanceof EngineUnavailableError) return { kind: "dropped", reason: "noModel", detail: error.message };
      throw error;
    }
    if (!fim.format) return { kind: "dropped", reason: "noFim", detail: fim.refusal };
    if (looksBinary(request)) return { kind: "dropped", reason: "binary", detail: "The file looks binary." };

    const contextStarted = performance.now();
    const prompt = this.buildPrompt(request, fim, false);
    timings.contextMs = performance.now() - contextStarted;

    const settings = this.deps.settings();
    const ppContext: PostprocessContext = { ...postprocessContext(request, prompt.window, settings), family: fim.format?.family };
    const queued = performance.now();
    this.deps.onModelCall?.();
    // Generation stops as soon as an end rule decides where the suggestion ends.
    const watcher = new EndWatcher(ppContext);
    const decided = new AbortController();
    const onText = (chunk: string): void => {
      if (watcher.push(chunk)) decided.abort();
    };
    let result: FillResult;
    try {
      const limits = { maxTokens: settings.maxTokens, maxTimeMs: settings.maxTimeMs, stopAtNewline: !allowsMultiline(ppContext), ...(alternative ? { alternative } : {}) };
      result = await this.fill(fim, prompt, limits, signal, { onText, stopSignal: decided.signal });
    } catch (error) {
      if (error instanceof EngineUnavailableError) return { kind: "dropped", reason: "noModel", detail: error.message };
      if (isAbortError(error)) return { kind: "dropped", reason: "cancelled", timings: finish(timings, started) };
      throw error;
    }
    timings.queueMs = Math.max(0, performance.now() - queued - result.evalMs - result.generateMs);
    if (result.stopReason === "abort") return { kind: "dropped", reason: "cancelled", timings: finish(timings, started) };
    Object.assign(timings, {
      evalMs: result.evalMs, generateMs: result.generateMs, promptTokens: result.promptTokens,
      reusedTokens: result.reusedTokens, evaluatedTokens: result.evaluatedTokens, generatedTokens: result.generatedTokens,
      ...(result.tokenGapMs !== undefined ? { tokenGapMs: result.tokenGapMs } : {}),
    });

    const postStarted = performance.now();
    // Where a rule decided the end, the text as it stood then (the engine may have written a token more).
    const raw = watcher.rule ? watcher.text : result.text;
    const cutOff = result.stopReason === "maxTokens" || result.stopReason === "timeout" || watcher.rule === "repeatedLines";
    if (watcher.rule) this.deps.log(`stopped generating after ${result.generatedTokens} tokens: ${watcher.rule} decided the end`);
    const processed = postprocessCompletion(raw, { ...ppContext, cutOff });
    timings.postprocessMs = performance.now() - postStarted;
    finish(timings, started);
    if (!processed.text) {
      const reason = result.stopReason === "timeout" && !raw.trim() ? "timeout" : raw.trim() ? "filtered" : "empty";
      return { kind: "dropped", reason, detail: processed.droppedBy, timings };
    }
    if (!alternative) this.cache.store(this.cacheKey(request), processed.text);
    return { kind: "suggestion", text: processed.text, fromCache: false, timings, filter: processed.changedBy.join(",") || undefined };
  }

  private async fill(
    fim: ModelFim,
    prompt: BuiltPrompt,
    limits: { maxTokens: number; maxTimeMs: number; stopAtNewline: boolean; evaluateOnly?: boolean; alternative?: number },
    signal: AbortSignal,
    stream: Pick<RequestOptions, "onText" | "stopSignal"> = {},
  ): Promise<FillResult> {
    this.lastPrompt = prompt.pieces;
    const result = await this.deps.engine.fill(
      { pieces: prompt.pieces, stopTokens: fim.stopTokens, stopStrings: fim.stopStrings, stateKey: prompt.documentKey, ...limits },
      { signal, ...stream },
    );
    // Learn the prompt speed from evaluations long enough to time, for sizing cold starts.
    if (result.stopReason !== "abort" && result.evaluatedTokens >= 64 && result.evalMs > 0) {
      const speed = result.evaluatedTokens / (result.evalMs / 1000);
      this.promptTokensPerSecond = (this.promptTokensPerSecond + speed) / 2;
    }
    // Learn the model's characters per token from the real prompt, so the window fits next time.
    if (prompt.textChars > 256 && result.promptTokens > 0) {
      this.charsPerToken = Math.min(6, Math.max(1.5, prompt.textChars / (result.cutFromTokens ?? result.promptTokens)));
    }
    if (result.cutFromTokens) {
      this.deps.log(`prompt of ${result.cutFromTokens} tokens cut to ${result.promptTokens} to fit the context`);
      this.charsPerToken *= 0.8;
    }
    return result;
  }

  private buildPrompt(request: CompletionRequest, fim: ModelFim, reanchor: boolean): BuiltPrompt {
    const format = fim.format!;
    const window = this.planner.plan(request, this.budget(fim.contextSize), reanchor);
    const parts = { prefix: window.prefix, suffix: window.suffix, chunks: this.chunks, fileName: request.fileName, languageId: request.languageId };
    const pieces: PromptPiece[] = [...buildFimPrompt(format, parts, { includeBos: true }).pieces];
    // The text typed since the anchor goes last, as the start of the middle (see window.ts).
    if (window.middle) pieces.push({ text: window.middle, role: "prefix", trimLeadingSpace: true });
    return { documentKey: request.documentKey, pieces, window, textChars: window.prefix.length + window.suffix.length + window.middle.length };
  }

  /** Token budget split: suffix ~15%, extra chunks ~20%, prefix the rest, leaving room to generate. */
  private budget(contextSize: number): WindowBudget {
    const settings = this.deps.settings();
    const middleTokens = Math.min(512, Math.floor(contextSize * 0.1));
    const available = Math.max(128, contextSize - settings.maxTokens - middleTokens - 64);
    const suffixTokens = Math.min(512, Math.floor(available * 0.15));
    const chunkTokens = this.chunks.length ? Math.min(1024, Math.floor(available * 0.2)) : 0;
    // Room for a cold start that keeps the previous prompt start (window.ts).
    const prefixTokens = Math.min(2048, Math.floor((available - suffixTokens - chunkTokens) / PREFIX_SLACK));
    const chars = (tokens: number) => Math.floor(tokens * this.charsPerToken);
    const coldChars = chars((this.promptTokensPerSecond * COLD_EVAL_MS) / 1000);
    return { prefixChars: chars(prefixTokens), suffixChars: chars(suffixTokens), middleChars: chars(middleTokens), middleLines: 16, coldChars };
  }

  private selectChunks(request: CompletionRequest, contextSize: number): FimChunk[] {
    const around = sliceText(
      request.text,
      { line: Math.max(0, request.cursor.line - 32), character: 0 },
      { line: Math.min(request.text.lineCount - 1, request.cursor.line + 32), character: 0 },
    );
    const budgetChars = Math.floor(Math.min(1024, contextSize * 0.2) * this.charsPerToken);
    return this.extraContext
      .select(budgetChars, around)
      .filter((chunk) => chunk.file !== request.fileName)
      .map((chunk) => ({ fileName: chunk.file, text: chunk.text }));
  }

  private async modelFim(): Promise<ModelFim> {
    const facts = await this.deps.engine.laneFacts("completion");
    if (this.fim?.modelPath === facts.modelPath && this.fim.contextSize === facts.contextSize && this.fim.kvStates === (facts.kvStates ?? 1)) return this.fim;
    const { format, refusal } = facts.fim;
    const fim: ModelFim = {
      modelPath: facts.modelPath,
      contextSize: facts.contextSize,
      kvStates: facts.kvStates ?? 1,
      format,
      refusal: refusal?.message,
      stopTokens: format?.stopTokens ?? [],
      stopStrings: format ? buildFimPrompt(format, { prefix: "", suffix: "" }).stopStrings : [],
    };
    if (fim.modelPath !== this.fim?.modelPath) {
      this.reset();
      this.deps.log(
        fim.format
          ? `FIM format: ${fim.format.label}, layout ${fim.format.defaultLayout}, stops ${fim.format.stopTokens.join(" ")}`
          : `No FIM: ${fim.refusal}`,
      );
    }
    this.planner.setCapacity(fim.kvStates);
    this.fim = fim;
    return fim;
  }

  /** Each new request (or warm-up) cancels the previous one: one generation in flight, ever. */
  private takeOver(signal: AbortSignal | undefined): { signal: AbortSignal; done: () => void } {
    this.inflight?.abort();
    const controller = new AbortController();
    this.inflight = controller;
    const forward = () => controller.abort();
    signal?.addEventListener("abort", forward, { once: true });
    if (signal?.aborted) controller.abort();
    return {
      signal: controller.signal,
      done: () => {
        signal?.removeEventListener("abort", forward);
        if (this.inflight === controller) this.inflight = undefined;
      },
    };
  }

  private cacheKey(request: CompletionRequest): { documentKey: string; before: string; after: string } {
    const { text, cursor } = request;
    const beforeChars = cacheBeforeChars(this.deps.settings().maxTokens * 8);
    const before = textBefore(text, cursor, beforeChars);
    const after = textAfter(text, cursor, 200);
    return { documentKey: request.documentKey, before, after };
  }
}

function postprocessContext(request: CompletionRequest, window: PromptWindow, settings: CompletionSettings): PostprocessContext {
  const line = request.text.lineAt(request.cursor.line);
  const indentUnit = request.insertSpaces === false ? "\t" : request.tabSize ? " ".repeat(request.tabSize) : undefined;
  return {
    prefix: window.prefix + window.middle,
    suffix: window.suffix,
    linePrefix: line.slice(0, request.cursor.character),
    lineSuffix: line.slice(request.cursor.character),
    indentUnit,
    eol: request.eol,
    multiline: settings.multiline,
    languageId: request.languageId,
  };
}

function finish(timings: RequestTimings, started: number): RequestTimings {
  timings.totalMs = performance.now() - started;
  return timings;
}

/** NUL characters near the cursor mean a binary file: completing it would only produce noise. */
function looksBinary(request: CompletionRequest): boolean {
  const { text, cursor } = request;
  for (let line = Math.max(0, cursor.line - 8); line <= Math.min(text.lineCount - 1, cursor.line + 8); line++) {
    if (text.lineAt(line).slice(0, 4096).includes("\u0000")) return true;
  }
  return false;
}

function textBefore(text: TextSource, cursor: { line: number; character: number }, chars: number): string {
  const parts = [text.lineAt(cursor.line).slice(0, cursor.character)];
  let used = parts[0]!.length;
  for (let line = cursor.line - 1; line >= 0 && used < chars; line--) {
    const lineText = text.lineAt(line);
    parts.unshift(lineText.length > chars ? lineText.slice(-chars) : lineText);
    used += lineText.length + 1;
  }
  const joined = parts.join("\n");
  return joined.length > chars ? joined.slice(-chars) : joined;
}

function textAfter(text: TextSource, cursor: { line: number; character: number }, chars: number): string {
  const parts = [text.lineAt(cursor.line).slice(cursor.character)];
  let used = parts[0]!.length;
  for (let line = cursor.line + 1; line < text.lineCount && used < chars; line++) {
    const lineText = text.lineAt(line).slice(0, chars);
    parts.push(lineText);
    used += lineText.length + 1;
  }
  return parts.join("\n").slice(0, chars);
}

/** The request as it would be after inserting `inserted` at the cursor (for pre-fetching). */
export function withInsertedText(request: CompletionRequest, inserted: string): CompletionRequest {
  const { text, cursor } = request;
  const insertedLines = inserted.replace(/\r\n?/g, "\n").split("\n");
  const line = text.lineAt(cursor.line);
  const head = line.slice(0, cursor.character);
  const tail = line.slice(cursor.character);
  const newLines =
    insertedLines.length === 1
      ? [head + insertedLines[0] + tail]
      : [head + insertedLines[0], ...insertedLines.slice(1, -1), insertedLines[insertedLines.length - 1] + tail];
  const extra = newLines.length - 1;
  const source: TextSource = {
    lineCount: text.lineCount + extra,
    lineAt: (n) => {
      if (n < cursor.line) return text.lineAt(n);
      if (n <= cursor.line + extra) return newLines[n - cursor.line]!;
      return text.lineAt(n - extra);
    },
  };
  const last = insertedLines[insertedLines.length - 1]!;
  return {
    ...request,
    text: source,
    cursor: { line: cursor.line + extra, character: extra === 0 ? cursor.character + last.length : last.length },
  };
}
