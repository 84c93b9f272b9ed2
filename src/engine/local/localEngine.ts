import {
  EngineUnavailableError,
  type ChatRequest,
  type ChatResult,
  type Engine,
  type FillRequest,
  type FillResult,
  type GenerateRequest,
  type GenerationResult,
  type LaneFacts,
  type LogLevel,
  type RequestOptions,
} from "../api";
import { Emitter } from "../events";
import { LogBuffer } from "../logBuffer";
import { explainLoadFailure, ModelProblem } from "../../models/problems";
import { resolveEngineSettings } from "../settings";
import type { EngineError, EngineSettings, EngineState, Lane, RawEngineSettings } from "../types";
import { startChat } from "./chat";
import { startGenerate } from "./generate";
import { runFill, tokenizePieces } from "./fill";
import { LaneQueue, raceAbort, throwIfAborted } from "./lanes";
import { onLlamaLog, type LlamaModel } from "./llamaRuntime";
import { ModelLoader } from "./loader";
import { loadNotices, readyState } from "./readyState";
import type { LoadAwareThreads } from "../cpuLoad";
import { followCpuLoad } from "./threads";
import { EDITOR_CORES, TypingGate } from "./typingGate";
import type { EngineDeps, Session } from "./deps";
import { detectModelFim } from "./modelFim";
import { contextKey, keepReusableModels, modelKey, planSlots, type Slot } from "./slots";

export type { EngineDeps, Session } from "./deps";

/**
 * Runs a GGUF model in this process through node-llama-cpp. Loads lazily, applies settings live
 * (reloading only what a change needs), reports every state, and serves one request per lane at
 * a time. Knows nothing of VS Code.
 */
export class LocalEngine implements Engine {
  private readonly stateEmitter = new Emitter<EngineState>();
  readonly onDidChangeState = this.stateEmitter.event;

  private currentState: EngineState = { kind: "noModel", notices: [] };
  private settings?: EngineSettings;
  private settingNotices: string[] = [];
  private readonly loader: ModelLoader;
  private slots: Slot[] = [];
  /** Features whose own model failed to load while the other feature's model loaded. */
  private laneErrors: Partial<Record<Lane, EngineError>> = {};
  private loadAbort?: AbortController;
  private applying: Promise<void> = Promise.resolve();
  private readonly lanes = new LaneQueue();
  private activeRequests = 0;
  /** Aborted when the context goes away, so requests in flight end instead of hanging. */
  private requestsAbort = new AbortController();
  private readonly logBuffer = new LogBuffer();
  private disposed = false;
  private idleUnloadMs = 0;
  private idleTimer?: ReturnType<typeof setTimeout>;
  /** While a model is loaded with automatic threads: follows other programs' CPU use. */
  private cpuLoad?: LoadAwareThreads;
  private readonly typingGate: TypingGate;

  private readonly logSubscription: { dispose(): void };

  constructor(private readonly deps: EngineDeps) {
    this.typingGate = new TypingGate(
      () => this.editorCoresLeft() < EDITOR_CORES,
      undefined,
      (paused) => this.deps.log("debug", paused
        ? `You are typing: chat answers and next-edit predictions wait until you pause (the model's threads leave the editor ${this.editorCoresLeft()} of ${this.deps.machine.logicalCores} cores).`
        : "Typing paused: chat answers and next-edit predictions go on."),
    );
    this.loader = new ModelLoader(
      deps,
      this.logBuffer,
      (file, progress) => {
        if (this.currentState.kind === "loading") this.setState({ ...this.currentState, modelPath: file, progress });
      },
      () => this.typingGate.beforeDecode(),
    );
    this.logSubscription = onLlamaLog((level, message) => {
      this.logBuffer.push(message);
      const mapped: LogLevel = level === "error" || level === "fatal" ? "error" : level === "warn" ? "warn" : "debug";
      this.deps.log(mapped, `llama.cpp: ${message.trimEnd()}`);
    });
  }

  get state(): EngineState {
    return this.currentState;
  }

  /** Applies new settings; resolves when the resulting load (if any) has finished or failed. */
  configure(raw: RawEngineSettings): Promise<void> {
    const { settings, notices } = resolveEngineSettings(raw, this.deps.machine);
    for (const notice of notices) this.deps.log("warn", notice);
    return this.enqueueApply(settings, notices, false);
  }

  /**
   * Frees the model's memory after `ms` without a request (0: never); the next request loads it
   * again. The timer restarts whenever the engine becomes ready.
   */
  setIdleUnload(ms: number): void {
    this.idleUnloadMs = Number.isFinite(ms) && ms > 0 ? ms : 0;
    this.scheduleIdleUnload();
  }

  noteTyping(): void {
    this.typingGate.typing();
  }

  /** Logical cores llama.cpp's threads leave to everything else. */
  private editorCoresLeft(): number {
    const threads = this.loader.llama?.instance.maxThreads ?? this.settings?.threads ?? 1;
    return this.deps.machine.logicalCores - threads;
  }

  /** Loads the configured model again from disk (e.g. after the file was replaced). */
  reload(): Promise<void> {
    if (!this.settings) return Promise.resolve();
    return this.enqueueApply(this.settings, this.settingNotices, true);
  }

  async tokenize(lane: Lane, text: string, specialTokens = false): Promise<number[]> {
    const model = await this.readyModel(lane);
    return model.tokenize(text, specialTokens);
  }

  async detokenize(lane: Lane, tokens: readonly number[]): Promise<string> {
    const model = await this.readyModel(lane);
    return model.detokenize(tokens as Parameters<LlamaModel["detokenize"]>[0]);
  }

  async laneFacts(lane: Lane): Promise<LaneFacts> {
    const model = await this.readyModel(lane);
    const slot = this.slotFor(lane);
    if (!slot) throw new EngineUnavailableError("The model was unloaded while the request waited.");
    let facts = slot.facts.get(lane);
    if (!facts) {
      facts = {
        lane,
        modelPath: slot.path,
        name: slot.model.summary.name,
        contextSize: slot.context.contextSize,
        fim: detectModelFim(model, slot.path),
        chatTemplate: slot.model.chatTemplate,
        kvStates: lane === "completion" ? (slot.context.completionStates?.count ?? 1) : 1,
      };
      slot.facts.set(lane, facts);
    }
    return facts;
  }

  /** Plain completion of a text on the lane's sequence. */
  generate(request: GenerateRequest, options: RequestOptions = {}): Promise<GenerationResult> {
    return this.streamed(request.lane, options, (session, signal) => startGenerate(session, request, { ...options, signal }), () => ({
      text: "", stopReason: "abort", generatedTokens: 0, durationMs: 0,
    }));
  }

  /** Fill-in-the-middle on the completion lane (or a next-edit window on its lane), reusing its KV cache. */
  fill(request: FillRequest, options: RequestOptions = {}): Promise<FillResult> {
    const aborted: FillResult = { text: "", stopReason: "abort", promptTokens: 0, reusedTokens: 0, evaluatedTokens: 0, generatedTokens: 0, evalMs: 0, generateMs: 0 };
    const lane = request.lane ?? "completion";
    return this.withSession(
      lane,
      options.signal,
      async (session, signal) => {
        const predictor = session.sequence.tokenPredictor;
        // Prompt lookup drafts from the input tokens it is given (node-llama-cpp's completion
        // classes give it theirs; a raw sequence must): the prompt, where the window it copies is.
        predictor?.updateInputTokens?.(tokenizePieces(session.model, request.pieces));
        const before = predictor ? { ...session.sequence.tokenPredictions } : undefined;
        const result = await runFill(session, request, signal, options);
        if (!before) return result;
        const after = session.sequence.tokenPredictions;
        return { ...result, draftTokens: { accepted: after.used - before.used, refuted: after.refuted - before.refuted } };
      },
      () => aborted,
    );
  }

  /** One chat answer on the chat lane, streamed through `onText`. */
  chat(request: ChatRequest, options: RequestOptions = {}): Promise<ChatResult> {
    return this.streamed("chat", options, (session, signal) => startChat(session, request, { ...options, signal }), emptyChatResult);
  }

  /** A streamed request: an abort answers at once with what was streamed so far. */
  private streamed<T>(
    lane: Lane,
    options: RequestOptions,
    start: (session: Session, signal: AbortSignal) => { readonly done: Promise<T>; readonly partial: () => T },
    empty: () => T,
  ): Promise<T> {
    let partial: (() => T) | undefined;
    return this.withSession(
      lane,
      options.signal,
      (session, signal) => {
        const run = start(session, signal);
        partial = run.partial;
        return run.done;
      },
      () => partial?.() ?? empty(),
    );
  }

  /**
   * Runs `work` with exclusive use of the lane's sequence. The returned promise settles within
   * a tick of `signal` aborting; the lane stays locked until the native work has really stopped.
   */
  async withSession<T>(
    lane: Lane,
    signal: AbortSignal | undefined,
    work: (session: Session, signal: AbortSignal) => Promise<T>,
    onAbort: () => T,
  ): Promise<T> {
    throwIfAborted(signal);
    await this.readyModel(lane);
    const release = await this.lanes.lock(lane, signal);
    let settled: Promise<T>;
    // While a completion is asked for, nothing pauses for typing (typingGate.ts).
    const leaveGate = this.typingGate.enter(lane);
    try {
      const session = this.sessionFor(lane);
      this.activeRequests++;
      this.refreshBusy();
      // Ends with the caller's signal, or when the context goes away under the request.
      const combined = signal ? AbortSignal.any([signal, this.requestsAbort.signal]) : this.requestsAbort.signal;
      settled = work(session, combined);
    } catch (error) {
      leaveGate();
      release();
      throw error;
    }
    settled
      .catch(() => undefined)
      .finally(() => {
        this.activeRequests--;
        leaveGate();
        release();
        this.refreshBusy();
      });
    return raceAbort(settled, signal, onAbort);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    this.loadAbort?.abort();
    await this.applying.catch(() => undefined);
    await this.unload();
    this.loader.llama = undefined;
    this.logSubscription.dispose();
    this.stateEmitter.dispose();
  }

  // ---- loading -------------------------------------------------------------------------------

  private enqueueApply(settings: EngineSettings, notices: string[], force: boolean): Promise<void> {
    // A newer request supersedes a load still in progress.
    this.loadAbort?.abort();
    const abort = new AbortController();
    this.loadAbort = abort;
    const run = this.applying.catch(() => undefined).then(() => this.apply(settings, notices, force, abort.signal));
    this.applying = run;
    return run;
  }

  private async apply(next: EngineSettings, notices: string[], force: boolean, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.disposed) return;
    this.settings = next;
    this.settingNotices = notices;

    const plan = planSlots(next);
    if (plan.length === 0) {
      await this.unload();
      this.setState({ kind: "noModel", notices });
      return;
    }

    const hadError = this.currentState.kind === "error";
    const needLlama = this.loader.llama?.gpu !== next.gpu;
    const reloadAll = force || hadError || needLlama;
    const unchanged =
      !reloadAll &&
      this.slots.length === plan.length &&
      plan.every((wanted, i) => {
        const slot = this.slots[i]!;
        return slot.path === wanted.path && slot.model.key === modelKey(wanted, next) && slot.context.key === contextKey(wanted, next);
      });
    if (unchanged) {
      this.setState({ ...this.currentState, threadsInUse: undefined, otherCpuCores: undefined, notices: [...notices, ...this.loadNotices()] });
      this.followCpuLoad();
      return;
    }

    this.stopFollowingCpuLoad();
    this.setState({ kind: "loading", modelPath: plan[0]!.path, progress: 0, notices });
    try {
      await this.endRequests();
      await this.disposeContexts();
      const kept = await keepReusableModels(this.slots, plan, next, reloadAll);
      this.slots = [];
      this.laneErrors = {};
      if (needLlama) await this.loader.createLlama(next.gpu, signal);
      const { slots, failed } = await this.loader.loadSlots(plan, kept, next, signal);
      this.slots = slots;
      for (const wanted of plan) {
        const problem = failed.get(wanted.path);
        if (!problem) continue;
        this.deps.log("error", `${problem.message}${problem.detail ? `\n${problem.detail}` : ""}`);
        for (const lane of wanted.lanes) this.laneErrors[lane] = problem.toEngineError();
      }
      this.setReady(notices);
      this.followCpuLoad();
    } catch (error) {
      if (signal.aborted && !(error instanceof ModelProblem)) return;
      const file = error instanceof ModelProblem && error.file ? error.file : plan[0]!.path;
      const problem = error instanceof ModelProblem ? error : explainLoadFailure(file, error, [], undefined);
      this.deps.log("error", `${problem.message}${problem.detail ? `\n${problem.detail}` : ""}`);
      await this.unload();
      this.setState({ kind: "error", modelPath: file, error: problem.toEngineError(), notices });
    }
  }

  private followCpuLoad(): void {
    this.stopFollowingCpuLoad();
    const llama = this.loader.llama?.instance;
    if (!this.settings || !llama || this.slots.length === 0) return;
    this.cpuLoad = followCpuLoad(llama, this.settings, this.deps, (threadsInUse, otherCpuCores) => {
      const state = this.currentState;
      if (state.kind !== "ready" && state.kind !== "busy") return;
      // Not setState: a change of thread count is not use, so the idle-unload timer runs on.
      this.currentState = { ...state, threadsInUse, otherCpuCores };
      if (!this.disposed) this.stateEmitter.fire(this.currentState);
    });
  }

  private stopFollowingCpuLoad(): void {
    this.cpuLoad?.stop();
    this.cpuLoad = undefined;
  }

  private setReady(notices: string[]): void {
    const facts = { slots: this.slots, settings: this.settings, backend: this.loader.llama, laneErrors: this.laneErrors };
    this.setState(readyState(facts, this.activeRequests > 0, notices));
  }

  /** Clamped context sizes, a backend that fell back, and models that do not suit their feature. */
  private loadNotices(): string[] {
    return loadNotices({ slots: this.slots, settings: this.settings, backend: this.loader.llama, laneErrors: this.laneErrors });
  }

  private async unload(): Promise<void> {
    this.stopFollowingCpuLoad();
    await this.endRequests();
    await this.disposeContexts();
    const models = new Set(this.slots.map((slot) => slot.model));
    this.slots = [];
    this.laneErrors = {};
    for (const model of models) await model.instance.dispose().catch(() => undefined);
  }

  /** Ends every request in flight and waits (briefly) until their lanes are free. */
  private async endRequests(): Promise<void> {
    // A batch held for the user's typing would keep its lane (and its context) busy.
    this.typingGate.release();
    this.requestsAbort.abort();
    this.requestsAbort = new AbortController();
    await this.lanes.drained(2_000);
  }

  private async disposeContexts(): Promise<void> {
    this.typingGate.release();
    for (const slot of this.slots) await slot.context.instance.dispose().catch(() => undefined);
  }

  // ---- requests ------------------------------------------------------------------------------

  private async readyModel(lane: Lane): Promise<LlamaModel> {
    await this.applying.catch(() => undefined);
    if (this.currentState.kind === "unloaded" && this.settings) {
      this.deps.log("info", "Loading the model again for a request (it was unloaded while idle).");
      await this.enqueueApply(this.settings, this.settingNotices, true);
    }
    const state = this.currentState;
    if (state.kind === "error") throw new EngineUnavailableError(state.error?.message ?? "The model failed to load.");
    if (state.kind === "noModel") {
      throw new EngineUnavailableError('No model is set. Choose a .gguf model file with "SLM: Select Model…".');
    }
    if (state.kind !== "ready" && state.kind !== "busy") throw new EngineUnavailableError("The model is not loaded yet.");
    const slot = this.slotFor(lane);
    const laneError = this.laneErrors[lane];
    if (!slot && laneError) throw new EngineUnavailableError(laneError.message);
    if (!slot && lane === "nextEdit") {
      throw new EngineUnavailableError('No next-edit model is set. Choose one (such as Sweep Next-Edit 0.5B) in slm.nextEdit.modelPath or with "SLM: Select Next-Edit Model…".');
    }
    if (!slot) {
      throw new EngineUnavailableError(
        `No model is set for ${lane === "chat" ? "chat" : "completion"}. Set slm.${lane}.modelPath or slm.modelPath, or choose one with "SLM: Select Model…".`,
      );
    }
    return slot.model.instance;
  }

  private slotFor(lane: Lane): Slot | undefined {
    return this.slots.find((slot) => slot.lanes.includes(lane));
  }

  private sessionFor(lane: Lane): Session {
    const slot = this.slotFor(lane);
    const states = lane === "completion" ? slot?.context.completionStates : undefined;
    const sequence = states?.latest ?? slot?.context.sequences.get(lane);
    if (!slot || !sequence || !this.loader.llama || !this.loader.module) {
      throw new EngineUnavailableError("The model was unloaded while the request waited.");
    }
    return { llama: this.loader.llama.instance, model: slot.model.instance, sequence, module: this.loader.module, states };
  }

  private refreshBusy(): void {
    const state = this.currentState;
    if (state.kind === "ready" && this.activeRequests > 0) this.setState({ ...state, kind: "busy" });
    else if (state.kind === "busy" && this.activeRequests === 0) this.setState({ ...state, kind: "ready" });
  }

  private setState(state: EngineState): void {
    if (this.disposed) return;
    this.currentState = state;
    this.scheduleIdleUnload();
    this.stateEmitter.fire(state);
  }

  private scheduleIdleUnload(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleUnloadMs === 0 || this.disposed || this.currentState.kind !== "ready") return;
    this.idleTimer = setTimeout(() => void this.unloadIdle(), this.idleUnloadMs);
  }

  /** Runs in the load queue, so it never races a load or a settings change. */
  private unloadIdle(): Promise<void> {
    const run = this.applying.catch(() => undefined).then(async () => {
      const state = this.currentState;
      if (state.kind !== "ready" || this.activeRequests > 0 || this.disposed) return;
      await this.unload();
      this.deps.log("info", `Unloaded ${state.modelName ?? "the model"} after ${Math.round(this.idleUnloadMs / 1000)} s without use, to free memory; the next request loads it again.`);
      this.setState({ kind: "unloaded", modelPath: state.modelPath, modelName: state.modelName, contextSize: state.contextSize, notices: state.notices });
    });
    this.applying = run;
    return run;
  }
}

function emptyChatResult(): ChatResult {
  return { text: "", stopReason: "abort", generatedTokens: 0, promptTokens: 0, timeToFirstTokenMs: 0, durationMs: 0, tokensPerSecond: 0, notes: [] };
}
