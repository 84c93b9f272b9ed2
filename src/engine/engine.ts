import * as os from "node:os";
import { Emitter } from "./events";
import {
  getSharedLlama,
  importLlamaModule,
  onLlamaLog,
  type GpuChoice,
  type GgufFileInfo,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type LlamaModule,
  type Token,
} from "./llamaRuntime";
import { LogBuffer } from "./logBuffer";
import { checkModelFile } from "./preflight";
import { ModelProblem, explainLoadFailure, fileLabel, formatBytes, modelDisplayName } from "./problems";
import { fitContextToModel, resolveEngineSettings, type MachineFacts } from "./settings";
import type { EngineSettings, EngineState, ModelSummary, RawEngineSettings } from "./types";

/** Each feature evaluates on its own context sequence so one does not evict the other's KV cache. */
export type Lane = "completion" | "chat";
const LANES: readonly Lane[] = ["completion", "chat"];

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface EngineDeps {
  readonly machine: MachineFacts;
  readonly log: (level: LogLevel, message: string) => void;
  /** Bytes of memory available to a new allocation (MemAvailable on Linux). */
  readonly freeMemory?: () => number;
  readonly importLlama?: () => Promise<LlamaModule>;
  /** The process-wide Llama for a backend; injectable for tests. */
  readonly getLlama?: (gpu: GpuChoice) => Promise<Llama>;
  /**
   * Policy checks on the file before llama.cpp sees it (e.g. the SHA-256 allowlist); throw a
   * ModelProblem to refuse the model with a message for the user.
   */
  readonly checkModel?: (file: string, signal: AbortSignal) => Promise<void>;
}

export interface GenerateOptions {
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
  readonly onText?: (text: string) => void;
  readonly stopTriggers?: readonly string[];
  readonly temperature?: number;
  readonly seed?: number;
}

export interface GenerationResult {
  readonly text: string;
  readonly stopReason: "eogToken" | "stopGenerationTrigger" | "customStopTrigger" | "maxTokens" | "abort";
  readonly generatedTokens: number;
  readonly durationMs: number;
}

/** Why a request could not run; `message` is for the user. */
export class EngineUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EngineUnavailableError";
  }
}

export interface Session {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly sequence: LlamaContextSequence;
  readonly module: LlamaModule;
}

interface LoadedModel {
  readonly instance: LlamaModel;
  readonly summary: ModelSummary;
  readonly flashAttentionSupported: boolean;
}

interface LoadedContext {
  readonly key: string;
  readonly instance: LlamaContext;
  readonly sequences: ReadonlyMap<Lane, LlamaContextSequence>;
  readonly contextSize: number;
  readonly flashAttention: boolean;
}

/**
 * Runs a GGUF model in this process through node-llama-cpp. Loads lazily, applies settings live
 * (reloading only what a change needs), reports every state, and serves one request per lane at
 * a time. Knows nothing of VS Code.
 */
export class LocalModelEngine {
  private readonly stateEmitter = new Emitter<EngineState>();
  readonly onDidChangeState = this.stateEmitter.event;

  private currentState: EngineState = { kind: "noModel", notices: [] };
  private settings?: EngineSettings;
  private settingNotices: string[] = [];
  private module?: LlamaModule;
  private llama?: { gpu: string; instance: Llama };
  private model?: LoadedModel;
  private context?: LoadedContext;
  private loadAbort?: AbortController;
  private applying: Promise<void> = Promise.resolve();
  private readonly laneTails = new Map<Lane, Promise<void>>();
  private activeRequests = 0;
  /** Aborted when the context goes away, so requests in flight end instead of hanging. */
  private requestsAbort = new AbortController();
  private readonly logBuffer = new LogBuffer();
  private disposed = false;
  private idleUnloadMs = 0;
  private idleTimer?: ReturnType<typeof setTimeout>;

  private readonly logSubscription: { dispose(): void };

  constructor(private readonly deps: EngineDeps) {
    this.logSubscription = onLlamaLog((level, message) => {
      this.logBuffer.push(message);
      const mapped: LogLevel = level === "error" || level === "fatal" ? "error" : level === "warn" ? "warn" : "debug";
      this.deps.log(mapped, `llama.cpp: ${message.trimEnd()}`);
    });
  }

  get state(): EngineState {
    return this.currentState;
  }

  get modelSummary(): ModelSummary | undefined {
    return this.model?.summary;
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

  /** Loads the configured model again from disk (e.g. after the file was replaced). */
  reload(): Promise<void> {
    if (!this.settings) return Promise.resolve();
    return this.enqueueApply(this.settings, this.settingNotices, true);
  }

  /** Waits for a pending load, then tokenizes with the model's own vocabulary. */
  async tokenize(text: string, specialTokens = false): Promise<Token[]> {
    const model = await this.readyModel();
    return model.tokenize(text, specialTokens);
  }

  async detokenize(tokens: readonly Token[]): Promise<string> {
    const model = await this.readyModel();
    return model.detokenize(tokens);
  }

  /** Plain completion of text or tokens on the lane's sequence. */
  generate(lane: Lane, input: string | readonly Token[], options: GenerateOptions = {}): Promise<GenerationResult> {
    return this.generateWith(lane, options, (completion, generationOptions) =>
      completion.generateCompletionWithMeta(input as Token[] | string, generationOptions),
    );
  }

  /** Fill-in-the-middle with the model's own FIM tokens. */
  infill(lane: Lane, prefix: string, suffix: string, options: GenerateOptions = {}): Promise<GenerationResult> {
    return this.generateWith(lane, options, (completion, generationOptions) => {
      if (!completion.infillSupported) {
        throw new EngineUnavailableError(
          `${this.model?.summary.name ?? "This model"} has no fill-in-the-middle tokens, so it cannot complete code between a prefix and a suffix. Choose a code model such as Qwen2.5-Coder (base).`,
        );
      }
      return completion.generateInfillCompletionWithMeta(prefix, suffix, generationOptions);
    });
  }

  /**
   * Runs `work` with exclusive use of the lane's sequence. The returned promise settles within
   * a tick of `signal` aborting; the lane stays locked until the native work has really stopped.
   */
  async withSession<T>(
    lane: Lane,
    signal: AbortSignal | undefined,
    work: (session: Session) => Promise<T>,
    onAbort: () => T,
  ): Promise<T> {
    throwIfAborted(signal);
    await this.readyModel();
    const release = await this.lockLane(lane, signal);
    let settled: Promise<T>;
    try {
      const session = this.sessionFor(lane);
      this.activeRequests++;
      this.refreshBusy();
      settled = work(session);
    } catch (error) {
      release();
      throw error;
    }
    settled
      .catch(() => undefined)
      .finally(() => {
        this.activeRequests--;
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
    this.llama = undefined;
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
    const previous = this.settings;
    this.settings = next;
    this.settingNotices = notices;

    if (!next.modelPath) {
      await this.unload();
      this.setState({ kind: "noModel", notices });
      return;
    }

    const hadError = this.currentState.kind === "error";
    const needLlama = !this.llama || this.llama.gpu !== next.gpu;
    const needModel = force || hadError || needLlama || !this.model || previous?.modelPath !== next.modelPath;
    const needContext = needModel || !this.context || this.context.key !== contextKey(next);
    if (!needContext) {
      this.setState({ ...this.currentState, notices: [...notices, ...this.loadNotices()] });
      return;
    }

    this.setState({ kind: "loading", modelPath: next.modelPath, progress: 0, notices });
    try {
      await this.endRequests();
      await this.disposeContext();
      if (needModel) await this.disposeModel();
      if (needLlama) await this.createLlama(next.gpu, signal);
      if (needModel) await this.loadModel(next, signal);
      await this.createContext(next, signal);
      this.setReady(notices);
    } catch (error) {
      if (signal.aborted && !(error instanceof ModelProblem)) return;
      const problem = error instanceof ModelProblem ? error : explainLoadFailure(next.modelPath, error, [], undefined);
      this.deps.log("error", `${problem.message}${problem.detail ? `\n${problem.detail}` : ""}`);
      await this.disposeContext();
      await this.disposeModel();
      this.setState({ kind: "error", modelPath: next.modelPath, error: problem.toEngineError(), notices });
    }
  }

  private async createLlama(gpu: EngineSettings["gpu"], signal: AbortSignal): Promise<void> {
    this.llama = undefined;
    let instance: Llama;
    try {
      instance = await (this.deps.getLlama ?? getSharedLlama)(gpu === "off" ? false : gpu);
    } catch (error) {
      if (gpu === "off" || gpu === "auto") {
        throw new ModelProblem(
          "noBinary",
          `The llama.cpp runtime could not start on this machine (${error instanceof Error ? error.message : String(error)}). Reinstall SLM Assistant for this platform.`,
          String(error),
        );
      }
      // The explicit backend is not available here: run on the CPU and say so.
      this.deps.log("warn", `The ${gpu} backend is not available on this machine; using the CPU instead. (${String(error)})`);
      instance = await (this.deps.getLlama ?? getSharedLlama)(false);
    }
    if (signal.aborted) throw new Error("aborted");
    this.llama = { gpu, instance };
    this.deps.log("info", `llama.cpp ready: backend ${instance.gpu === false ? "CPU" : instance.gpu}, build ${instance.buildType}`);
  }

  private async loadModel(settings: EngineSettings, signal: AbortSignal): Promise<void> {
    const file = settings.modelPath;
    const llama = this.llama!.instance;
    const module = await this.loadModule();
    const sizeBytes = await checkModelFile(file);
    await this.deps.checkModel?.(file, signal);
    const fileInfo = await this.readHeader(module, file);
    const architecture = String(fileInfo.metadata?.general?.architecture ?? "unknown");
    const insights = await module.GgufInsights.from(fileInfo, llama);
    await this.checkMemory(insights, settings, file);

    const mark = this.logBuffer.mark();
    const started = Date.now();
    let instance: LlamaModel;
    try {
      instance = await llama.loadModel({
        modelPath: file,
        gpuLayers: llama.gpu === false ? 0 : "auto",
        loadSignal: signal,
        onLoadProgress: (progress) => {
          if (this.currentState.kind === "loading") this.setState({ ...this.currentState, progress });
        },
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw explainLoadFailure(file, error, await this.logSince(mark), architecture);
    }
    const summary: ModelSummary = {
      path: file,
      name: modelDisplayName(file, fileInfo.metadata?.general?.name),
      architecture,
      sizeBytes,
      trainContextSize: insights.trainContextSize,
    };
    this.model = { instance, summary, flashAttentionSupported: insights.flashAttentionSupported };
    this.deps.log(
      "info",
      `Loaded ${summary.name} (${architecture}, ${formatBytes(sizeBytes)}, trained for ${summary.trainContextSize ?? "?"} tokens) from ${file} in ${Date.now() - started} ms`,
    );
  }

  /** llama.cpp's log lines reach us asynchronously, sometimes after the failure they explain. */
  private async logSince(mark: number): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return this.logBuffer.since(mark);
  }

  private async readHeader(module: LlamaModule, file: string): Promise<GgufFileInfo> {
    try {
      return await module.readGgufFileInfo(file, { readTensorInfo: true, logWarnings: false });
    } catch (error) {
      throw new ModelProblem(
        "truncated",
        `The model file ${fileLabel(file)} is damaged or incomplete: its GGUF header cannot be read. Download or copy it again, or choose another model.`,
        String(error),
      );
    }
  }

  /** Refuses a model that would not fit in free memory instead of letting the machine swap. */
  private async checkMemory(
    insights: Awaited<ReturnType<LlamaModule["GgufInsights"]["from"]>>,
    settings: EngineSettings,
    file: string,
  ): Promise<void> {
    if (this.llama!.instance.gpu !== false) return; // node-llama-cpp checks VRAM itself
    const contextSize = fitContextToModel(settings.contextSize, insights.trainContextSize, file).contextSize;
    const modelNeeds = (await insights.estimateModelResourceRequirementsV2({ gpuLayers: 0 })).cpuRam;
    const contextNeeds = (
      await insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: 0, sequences: LANES.length })
    ).cpuRam;
    const needed = modelNeeds + contextNeeds;
    const free = (this.deps.freeMemory ?? os.freemem)();
    if (needed > free) {
      throw new ModelProblem(
        "tooLarge",
        `The model file ${fileLabel(file)} needs about ${formatBytes(needed)} of memory with a ${contextSize}-token context, but only ${formatBytes(free)} is free. Choose a smaller model or quantization, or lower slm.contextSize.`,
        `model ${modelNeeds} B + context ${contextNeeds} B > free ${free} B`,
      );
    }
  }

  private async createContext(settings: EngineSettings, signal: AbortSignal): Promise<void> {
    const model = this.model!;
    const fitted = fitContextToModel(settings.contextSize, model.summary.trainContextSize, model.summary.path);
    if (fitted.notice) this.deps.log("warn", fitted.notice);
    const flashAttention = settings.flashAttention && model.flashAttentionSupported;
    const mark = this.logBuffer.mark();
    let instance: LlamaContext;
    try {
      instance = await model.instance.createContext({
        contextSize: fitted.contextSize,
        threads: settings.threads,
        sequences: LANES.length,
        flashAttention,
        createSignal: signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw explainLoadFailure(model.summary.path, error, await this.logSince(mark), model.summary.architecture);
    }
    const sequences = new Map<Lane, LlamaContextSequence>(LANES.map((lane) => [lane, instance.getSequence()]));
    this.context = { key: contextKey(settings), instance, sequences, contextSize: instance.contextSize, flashAttention };
    this.deps.log(
      "info",
      `Context ready: ${instance.contextSize} tokens per lane, ${settings.threads} threads, flash attention ${flashAttention ? "on" : "off"}`,
    );
  }

  private setReady(notices: string[]): void {
    const model = this.model!;
    const context = this.context!;
    this.setState({
      kind: this.activeRequests > 0 ? "busy" : "ready",
      modelPath: model.summary.path,
      modelName: model.summary.name,
      contextSize: context.contextSize,
      threads: this.settings?.threads,
      gpu: this.llama?.instance.gpu === false ? "cpu" : String(this.llama?.instance.gpu),
      flashAttention: context.flashAttention,
      notices: [...notices, ...this.loadNotices()],
    });
  }

  private loadNotices(): string[] {
    if (!this.model || !this.settings) return [];
    const { notice } = fitContextToModel(this.settings.contextSize, this.model.summary.trainContextSize, this.model.summary.path);
    return notice ? [notice] : [];
  }

  private async loadModule(): Promise<LlamaModule> {
    this.module ??= await (this.deps.importLlama ?? importLlamaModule)();
    return this.module;
  }

  private async unload(): Promise<void> {
    await this.endRequests();
    await this.disposeContext();
    await this.disposeModel();
  }

  /** Ends every request in flight and waits (briefly) until their lanes are free. */
  private async endRequests(): Promise<void> {
    this.requestsAbort.abort();
    this.requestsAbort = new AbortController();
    const drained = Promise.all([...this.laneTails.values()]);
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }

  private async disposeContext(): Promise<void> {
    const context = this.context;
    this.context = undefined;
    await context?.instance.dispose().catch(() => undefined);
  }

  private async disposeModel(): Promise<void> {
    const model = this.model;
    this.model = undefined;
    await model?.instance.dispose().catch(() => undefined);
  }

  // ---- requests ------------------------------------------------------------------------------

  private async generateWith(
    lane: Lane,
    options: GenerateOptions,
    start: (
      completion: InstanceType<LlamaModule["LlamaCompletion"]>,
      generationOptions: Parameters<InstanceType<LlamaModule["LlamaCompletion"]>["generateCompletion"]>[1] & object,
    ) => Promise<{ response: string; metadata: { stopReason: GenerationResult["stopReason"] } }>,
  ): Promise<GenerationResult> {
    const startedAt = performance.now();
    let partial = "";
    let generatedTokens = 0;
    return this.withSession(
      lane,
      options.signal,
      async ({ module, sequence }) => {
        const completion = new module.LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
        try {
          const signal = options.signal ? AbortSignal.any([options.signal, this.requestsAbort.signal]) : this.requestsAbort.signal;
          const response = await start(completion, {
            maxTokens: options.maxTokens,
            signal,
            stopOnAbortSignal: true,
            temperature: options.temperature ?? 0,
            seed: options.seed,
            customStopTriggers: options.stopTriggers ? [...options.stopTriggers] : undefined,
            onToken: (tokens) => {
              generatedTokens += tokens.length;
            },
            onTextChunk: (text) => {
              partial += text;
              options.onText?.(text);
            },
          });
          return {
            text: response.response,
            stopReason: response.metadata.stopReason,
            generatedTokens,
            durationMs: performance.now() - startedAt,
          };
        } finally {
          completion.dispose({ disposeSequence: false });
        }
      },
      () => ({ text: partial, stopReason: "abort", generatedTokens, durationMs: performance.now() - startedAt }),
    );
  }

  private async readyModel(): Promise<LlamaModel> {
    await this.applying.catch(() => undefined);
    if (this.currentState.kind === "unloaded" && this.settings) {
      this.deps.log("info", "Loading the model again for a request (it was unloaded while idle).");
      await this.enqueueApply(this.settings, this.settingNotices, true);
    }
    const state = this.currentState;
    if ((state.kind === "ready" || state.kind === "busy") && this.model && this.context) return this.model.instance;
    if (state.kind === "error") throw new EngineUnavailableError(state.error?.message ?? "The model failed to load.");
    if (state.kind === "noModel") {
      throw new EngineUnavailableError('No model is set. Choose a .gguf model file with "SLM: Select Model…".');
    }
    throw new EngineUnavailableError("The model is not loaded yet.");
  }

  private sessionFor(lane: Lane): Session {
    const sequence = this.context?.sequences.get(lane);
    if (!this.model || !this.context || !sequence || !this.llama || !this.module) {
      throw new EngineUnavailableError("The model was unloaded while the request waited.");
    }
    return { llama: this.llama.instance, model: this.model.instance, sequence, module: this.module };
  }

  /** Serializes requests per lane; waiting can be aborted. */
  private async lockLane(lane: Lane, signal: AbortSignal | undefined): Promise<() => void> {
    const previous = this.laneTails.get(lane) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    this.laneTails.set(lane, previous.then(() => mine));
    try {
      await raceAbort(previous, signal, () => {
        throw abortError();
      });
    } catch (error) {
      // Keep the queue intact: release our slot once the previous holder is done.
      void previous.then(release);
      throw error;
    }
    return release;
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

function contextKey(settings: EngineSettings): string {
  return `${settings.contextSize}|${settings.threads}|${settings.flashAttention}`;
}

export function abortError(): Error {
  const error = new Error("The request was cancelled.");
  error.name = "AbortError";
  return error;
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

/** Settles with `work`, or with `onAbort()` as soon as `signal` aborts, whichever comes first. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal | undefined, onAbort: () => T): Promise<T> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve().then(onAbort);
  return new Promise<T>((resolve, reject) => {
    const listener = () => {
      try {
        resolve(onAbort());
      } catch (error) {
        reject(error);
      }
    };
    signal.addEventListener("abort", listener, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", listener));
  });
}
