import * as os from "node:os";
import {
  EngineUnavailableError,
  abortError,
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
} from "./llamaRuntime";
import { LogBuffer } from "../logBuffer";
import { checkModelFile } from "../../models/preflight";
import { formatBytes } from "../../util/bytes";
import { type CpuSample, LoadAwareThreads } from "../cpuLoad";
import { ModelProblem, explainLoadFailure, fileLabel, modelDisplayName } from "../../models/problems";
import { adapterProblem, checkAdapters, isAdapterFailure } from "./adapters";
import { largestFittingContext, type MemoryNeeds } from "../fit";
import { readModelInfo } from "../../models/modelInfo";
import { roleWarnings } from "../modelRoles";
import { fitContextToModel, MIN_CONTEXT_SIZE, resolveEngineSettings, type MachineFacts } from "../settings";
import { LANES, type EngineError, type EngineSettings, type EngineState, type Lane, type LaneModel, type ModelSummary, type RawEngineSettings } from "../types";
import { startChat } from "./chat";
import { runFill } from "./fill";
import { detectModelFim } from "./modelFim";

export interface EngineDeps {
  readonly machine: MachineFacts;
  readonly log: (level: LogLevel, message: string) => void;
  /** Bytes of memory available to a new allocation (MemAvailable on Linux). */
  readonly freeMemory?: () => number;
  /** Bytes of free video memory on the backend in use; injectable for tests. */
  readonly freeVram?: (llama: Llama) => Promise<number>;
  readonly importLlama?: () => Promise<LlamaModule>;
  /** The process-wide Llama for a backend; injectable for tests. */
  readonly getLlama?: (gpu: GpuChoice) => Promise<Llama>;
  /**
   * Policy checks on the file before llama.cpp sees it (e.g. the SHA-256 allowlist); throw a
   * ModelProblem to refuse the model with a message for the user.
   */
  readonly checkModel?: (file: string, signal: AbortSignal) => Promise<void>;
  /** CPU time counters for automatic threads; injectable for tests. */
  readonly sampleCpu?: () => CpuSample;
}

export interface GenerateOptions extends RequestOptions {
  readonly maxTokens?: number;
  readonly stopTriggers?: readonly string[];
  readonly temperature?: number;
  readonly seed?: number;
}

export interface Session {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly sequence: LlamaContextSequence;
  readonly module: LlamaModule;
}

type Insights = Awaited<ReturnType<LlamaModule["GgufInsights"]["from"]>>;

interface LoadedModel {
  /** Path, GPU layers and adapters: a change to any of them loads the file again. */
  readonly key: string;
  readonly instance: LlamaModel;
  readonly summary: ModelSummary;
  readonly insights: Insights;
  readonly flashAttentionSupported: boolean;
  /** The header has a chat template (for the role warnings). */
  readonly chatTemplate: boolean;
}

interface LoadedContext {
  readonly key: string;
  readonly instance: LlamaContext;
  readonly sequences: ReadonlyMap<Lane, LlamaContextSequence>;
  readonly contextSize: number;
  readonly flashAttention: boolean;
}

/** One model file and the features (lanes) that run on it; two lanes on one file share one load. */
interface Slot {
  readonly path: string;
  readonly lanes: readonly Lane[];
  readonly model: LoadedModel;
  readonly context: LoadedContext;
  /** Read once per load, on first use. */
  readonly facts: Map<Lane, LaneFacts>;
}

/** A model file checked and read, ready for the fit check and the load. */
interface PreparedModel {
  readonly file: string;
  readonly key: string;
  readonly lanes: readonly Lane[];
  readonly sizeBytes: number;
  readonly architecture: string;
  readonly generalName: unknown;
  readonly insights: Insights;
  readonly chatTemplate: boolean;
}

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
  private module?: LlamaModule;
  private llama?: { gpu: string; instance: Llama; note?: string };
  private slots: Slot[] = [];
  /** Features whose own model failed to load while the other feature's model loaded. */
  private laneErrors: Partial<Record<Lane, EngineError>> = {};
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
  /** While a model is loaded with automatic threads: follows other programs' CPU use. */
  private cpuLoad?: LoadAwareThreads;

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
      };
      slot.facts.set(lane, facts);
    }
    return facts;
  }

  /** Plain completion of a text on the lane's sequence. */
  generate(request: GenerateRequest, options: RequestOptions = {}): Promise<GenerationResult> {
    const startedAt = performance.now();
    let partial = "";
    let generatedTokens = 0;
    return this.withSession(
      request.lane,
      options.signal,
      async ({ module, sequence }, signal) => {
        const completion = new module.LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
        try {
          const response = await completion.generateCompletionWithMeta(request.prompt, {
            maxTokens: request.maxTokens,
            signal,
            stopOnAbortSignal: true,
            temperature: request.temperature ?? 0,
            seed: request.seed,
            customStopTriggers: request.stopTriggers ? [...request.stopTriggers] : undefined,
            onToken: (tokens) => {
              generatedTokens += tokens.length;
            },
            onTextChunk: (text) => {
              partial += text;
              options.onText?.(text);
            },
          });
          return { text: response.response, stopReason: response.metadata.stopReason, generatedTokens, durationMs: performance.now() - startedAt };
        } finally {
          completion.dispose({ disposeSequence: false });
        }
      },
      () => ({ text: partial, stopReason: "abort", generatedTokens, durationMs: performance.now() - startedAt }),
    );
  }

  /** Fill-in-the-middle on the completion lane, reusing its KV cache. */
  fill(request: FillRequest, options: RequestOptions = {}): Promise<FillResult> {
    const aborted: FillResult = { text: "", stopReason: "abort", promptTokens: 0, reusedTokens: 0, evaluatedTokens: 0, generatedTokens: 0, evalMs: 0, generateMs: 0 };
    return this.withSession("completion", options.signal, ({ model, sequence }, signal) => runFill(model, sequence, request, signal), () => aborted);
  }

  /** One chat answer on the chat lane, streamed through `onText`. */
  chat(request: ChatRequest, options: RequestOptions = {}): Promise<ChatResult> {
    let partial: (() => ChatResult) | undefined;
    return this.withSession(
      "chat",
      options.signal,
      (session, signal) => {
        const run = startChat(session, request, { ...options, signal });
        partial = run.partial;
        return run.done;
      },
      () => partial?.() ?? emptyChatResult(),
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
    const release = await this.lockLane(lane, signal);
    let settled: Promise<T>;
    try {
      const session = this.sessionFor(lane);
      this.activeRequests++;
      this.refreshBusy();
      // Ends with the caller's signal, or when the context goes away under the request.
      const combined = signal ? AbortSignal.any([signal, this.requestsAbort.signal]) : this.requestsAbort.signal;
      settled = work(session, combined);
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
    this.settings = next;
    this.settingNotices = notices;

    const plan = planSlots(next);
    if (plan.length === 0) {
      await this.unload();
      this.setState({ kind: "noModel", notices });
      return;
    }

    const hadError = this.currentState.kind === "error";
    const needLlama = !this.llama || this.llama.gpu !== next.gpu;
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
      const kept = await this.keepReusableModels(plan, next, reloadAll);
      this.slots = [];
      this.laneErrors = {};
      if (needLlama) await this.createLlama(next.gpu, signal);
      const failed = await this.loadSlots(plan, kept, next, signal);
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

  /** Loaded models the new settings still want as they are; the others are disposed. */
  private async keepReusableModels(plan: readonly PlannedSlot[], next: EngineSettings, reloadAll: boolean): Promise<Map<string, LoadedModel>> {
    const kept = new Map<string, LoadedModel>();
    for (const slot of this.slots) {
      const wanted = plan.find((entry) => entry.path === slot.path);
      if (!reloadAll && wanted && slot.model.key === modelKey(wanted, next)) kept.set(slot.path, slot.model);
      else await slot.model.instance.dispose().catch(() => undefined);
    }
    return kept;
  }

  /**
   * Checks, fits and loads each planned model (reusing `kept` ones) and gives each a context,
   * filling this.slots. With two model files, one that fails does not stop the other: its problem
   * is returned by file. Throws when nothing could be loaded.
   */
  private async loadSlots(
    plan: readonly PlannedSlot[],
    kept: ReadonlyMap<string, LoadedModel>,
    next: EngineSettings,
    signal: AbortSignal,
  ): Promise<Map<string, ModelProblem>> {
    const failed = new Map<string, ModelProblem>();
    const attempt = async <T>(file: string, step: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await step();
      } catch (error) {
        if (!(error instanceof ModelProblem) || signal.aborted || plan.length === 1) throw error;
        failed.set(file, error.file ? error : error.withFile(file));
        return undefined;
      }
    };
    const prepared: PreparedModel[] = [];
    for (const wanted of plan) {
      if (kept.has(wanted.path)) continue;
      const model = await attempt(wanted.path, () => this.prepareModel(wanted, next, signal));
      if (model) prepared.push(model);
    }
    const viable = plan.filter((wanted) => !failed.has(wanted.path));
    if (viable.length === 0) throw failed.values().next().value;
    await this.checkFit(viable, prepared, kept, next);

    const loaded = new Map(kept);
    for (const [index, model] of prepared.entries()) {
      const instance = await attempt(model.file, () => this.loadModel(model, next, signal, (progress) => (index + progress) / prepared.length));
      if (instance) loaded.set(model.file, instance);
    }
    for (const wanted of viable) {
      const model = loaded.get(wanted.path);
      if (!model) continue;
      const context = await attempt(wanted.path, () => this.createContext(model, wanted, next, signal));
      if (context) this.slots.push({ path: wanted.path, lanes: wanted.lanes, model, context, facts: new Map() });
      else await model.instance.dispose().catch(() => undefined);
    }
    if (this.slots.length === 0) throw failed.values().next().value;
    return failed;
  }

  private async createLlama(gpu: EngineSettings["gpu"], signal: AbortSignal): Promise<void> {
    this.llama = undefined;
    let instance: Llama;
    let note: string | undefined;
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
      note = `slm.gpu is "${gpu}", but ${backendLabel(gpu)} is not available on this machine (no driver or no prebuilt binary for it); running on the CPU.`;
      this.deps.log("warn", `${note} (${String(error)})`);
      instance = await (this.deps.getLlama ?? getSharedLlama)(false);
    }
    if (signal.aborted) throw new Error("aborted");
    if (!note && gpu === "auto" && instance.gpu === false) {
      note = "No GPU backend (CUDA, Vulkan or Metal) is available on this machine; running on the CPU.";
    }
    this.llama = { gpu, instance, note };
    this.deps.log("info", `llama.cpp ready: backend ${backendLabel(instance.gpu)}, build ${instance.buildType}${note ? `. ${note}` : ""}`);
  }

  /** Everything that can be learned about a model file without loading its weights. */
  private async prepareModel(wanted: PlannedSlot, settings: EngineSettings, signal: AbortSignal): Promise<PreparedModel> {
    const file = wanted.path;
    const llama = this.llama!.instance;
    const module = await this.loadModule();
    const sizeBytes = await checkModelFile(file).catch(rethrowFor(file));
    await this.deps.checkModel?.(file, signal);
    const info = await readModelInfo(file).catch(rethrowFor(file));
    if (info.cutShort) {
      throw new ModelProblem(
        "truncated",
        `The model file ${fileLabel(file)} is incomplete: its header describes ${formatBytes(info.dataEndBytes ?? 0)} of data but the file has ${formatBytes(sizeBytes)} (an unfinished download or copy?). Download or copy it again, or choose another model.`,
        undefined,
        file,
      );
    }
    const fileInfo = await this.readHeader(module, file);
    const architecture = String(fileInfo.metadata?.general?.architecture ?? "unknown");
    const insights = await module.GgufInsights.from(fileInfo, llama);
    if (wanted.lanes.includes("completion")) await checkAdapters(settings.loraAdapters, architecture, file);
    return {
      file,
      key: modelKey(wanted, settings),
      lanes: wanted.lanes,
      sizeBytes,
      architecture,
      generalName: fileInfo.metadata?.general?.name,
      insights,
      chatTemplate: info.chatTemplate,
    };
  }

  /**
   * Estimates what the models and contexts need against free memory (and free video memory when
   * layers go to the GPU) and refuses a load that would not fit, naming the largest context size
   * that would, instead of letting the machine swap or llama.cpp crash.
   */
  private async checkFit(
    plan: readonly PlannedSlot[],
    prepared: readonly PreparedModel[],
    kept: ReadonlyMap<string, LoadedModel>,
    settings: EngineSettings,
  ): Promise<void> {
    const llama = this.llama!.instance;
    const onGpu = llama.gpu !== false;
    // With "auto" layers node-llama-cpp fits the model into video memory itself.
    if (onGpu && settings.gpuLayers === "auto") return;
    const gpuLayers = onGpu ? (settings.gpuLayers as number) : 0;
    const insightsOf = (file: string) => kept.get(file)?.insights ?? prepared.find((model) => model.file === file)!.insights;

    const modelNeeds: MemoryNeeds = { ram: 0, vram: 0 };
    for (const model of prepared) {
      const needs = await model.insights.estimateModelResourceRequirementsV2({ gpuLayers: Math.min(gpuLayers, model.insights.totalLayers) });
      modelNeeds.ram += needs.cpuRam;
      modelNeeds.vram += needs.gpuVram;
    }
    const contextNeeds = async (contextSize: number): Promise<MemoryNeeds> => {
      const total: MemoryNeeds = { ram: 0, vram: 0 };
      for (const wanted of plan) {
        const insights = insightsOf(wanted.path);
        const needs = await insights.estimateContextResourceRequirementsV2({
          contextSize: fitContextToModel(contextSize, insights.trainContextSize, wanted.path).contextSize,
          modelGpuLayers: Math.min(gpuLayers, insights.totalLayers),
          sequences: wanted.lanes.length,
        });
        total.ram += needs.cpuRam;
        total.vram += needs.gpuVram;
      }
      return total;
    };
    const free: MemoryNeeds = {
      ram: (this.deps.freeMemory ?? os.freemem)(),
      vram: onGpu ? await (this.deps.freeVram ?? defaultFreeVram)(llama) : Number.POSITIVE_INFINITY,
    };
    const fit = await largestFittingContext({ wanted: settings.contextSize, minimum: MIN_CONTEXT_SIZE, modelNeeds, contextNeeds, free });
    if (fit.fits) return;

    const files = plan.map((wanted) => fileLabel(wanted.path)).join(" and ");
    const memory = fit.short === "vram" ? "video memory" : "memory";
    const needed = fit.short === "vram" ? fit.needed.vram : fit.needed.ram;
    const available = fit.short === "vram" ? free.vram : free.ram;
    const advice =
      fit.largestContextSize !== undefined
        ? `A ${fit.largestContextSize}-token context would fit: lower slm.contextSize to ${fit.largestContextSize}, or choose a smaller model or quantization.`
        : fit.short === "vram"
          ? `Lower slm.gpuLayers (or set it to "auto"), or choose a smaller model or quantization.`
          : "Choose a smaller model or quantization, or close other programs.";
    throw new ModelProblem(
      "tooLarge",
      `The model file ${files} needs about ${formatBytes(needed)} of ${memory} with a ${settings.contextSize}-token context, but only ${formatBytes(available)} is free. ${advice}`,
      `models ${modelNeeds.ram} B RAM / ${modelNeeds.vram} B VRAM; with contexts ${fit.needed.ram} B RAM / ${fit.needed.vram} B VRAM; free ${free.ram} B RAM / ${free.vram} B VRAM`,
      plan[0]!.path,
      fit.largestContextSize,
    );
  }

  private async loadModel(
    prepared: PreparedModel,
    settings: EngineSettings,
    signal: AbortSignal,
    overallProgress: (progress: number) => number,
  ): Promise<LoadedModel> {
    const { file, architecture, insights, sizeBytes } = prepared;
    const llama = this.llama!.instance;
    const mark = this.logBuffer.mark();
    const started = Date.now();
    let instance: LlamaModel;
    try {
      instance = await llama.loadModel({
        modelPath: file,
        gpuLayers: llama.gpu === false ? 0 : settings.gpuLayers,
        loadSignal: signal,
        onLoadProgress: (progress) => {
          if (this.currentState.kind === "loading") this.setState({ ...this.currentState, modelPath: file, progress: overallProgress(progress) });
        },
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw explainLoadFailure(file, error, await this.logSince(mark), architecture);
    }
    const summary: ModelSummary = {
      path: file,
      name: modelDisplayName(file, prepared.generalName),
      architecture,
      sizeBytes,
      trainContextSize: insights.trainContextSize,
    };
    this.deps.log(
      "info",
      `Loaded ${summary.name} (${architecture}, ${formatBytes(sizeBytes)}, trained for ${summary.trainContextSize ?? "?"} tokens, ${instance.gpuLayers} layers on the GPU) for ${prepared.lanes.join(" and ")} from ${file} in ${Date.now() - started} ms`,
    );
    return {
      key: prepared.key,
      instance,
      summary,
      insights,
      flashAttentionSupported: insights.flashAttentionSupported,
      chatTemplate: prepared.chatTemplate,
    };
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
        file,
      );
    }
  }

  private async createContext(model: LoadedModel, wanted: PlannedSlot, settings: EngineSettings, signal: AbortSignal): Promise<LoadedContext> {
    const fitted = fitContextToModel(settings.contextSize, model.summary.trainContextSize, model.summary.path);
    if (fitted.notice) this.deps.log("warn", fitted.notice);
    const flashAttention = settings.flashAttention && model.flashAttentionSupported;
    const adapters = adaptersFor(wanted, settings);
    const mark = this.logBuffer.mark();
    // node-llama-cpp caps every context's threads at the Llama's maxThreads (4 by default on the
    // CPU, whatever the cores): make it the configured count, so that is what each batch gets.
    if (this.llama) this.llama.instance.maxThreads = settings.threads;
    let instance: LlamaContext;
    try {
      instance = await model.instance.createContext({
        contextSize: fitted.contextSize,
        threads: settings.threads,
        sequences: wanted.lanes.length,
        flashAttention,
        createSignal: signal,
        lora: adapters.length > 0 ? { adapters: adapters.map((adapter) => ({ filePath: adapter.path, scale: adapter.scale })) } : undefined,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      const lines = await this.logSince(mark);
      if (adapters.length > 0 && isAdapterFailure(error, lines)) throw adapterProblem(adapters, model.summary, error, lines);
      throw explainLoadFailure(model.summary.path, error, lines, model.summary.architecture);
    }
    const sequences = new Map<Lane, LlamaContextSequence>(wanted.lanes.map((lane) => [lane, instance.getSequence()]));
    this.deps.log(
      "info",
      `Context ready for ${wanted.lanes.join(" and ")}: ${instance.contextSize} tokens per lane, ${settings.threads} threads, flash attention ${flashAttention ? "on" : "off"}${adapters.length > 0 ? `, LoRA ${adapters.map((adapter) => `${adapter.path} ×${adapter.scale}`).join(", ")}` : ""}`,
    );
    return { key: contextKey(wanted, settings), instance, sequences, contextSize: instance.contextSize, flashAttention };
  }

  /**
   * With automatic threads, gives llama.cpp one thread fewer per core other programs keep busy
   * (see cpuLoad.ts); node-llama-cpp applies the Llama's maxThreads to each batch it decodes.
   */
  private followCpuLoad(): void {
    this.stopFollowingCpuLoad();
    const settings = this.settings;
    const llama = this.llama?.instance;
    if (!settings || !llama || this.slots.length === 0) return;
    llama.maxThreads = settings.threads;
    if (!settings.threadsAuto || settings.threads < 2) return;
    const full = settings.threads;
    this.cpuLoad = new LoadAwareThreads({
      maxThreads: full,
      sample: this.deps.sampleCpu,
      onChange: (threads, otherCores) => {
        llama.maxThreads = threads;
        const reduced = threads < full;
        const cores = otherCores.toFixed(1);
        this.deps.log(
          "info",
          reduced
            ? `Other programs are using about ${cores} CPU cores: generating with ${threads} of ${full} threads until they are done (slm.threads is automatic).`
            : `The CPU is free again (other programs use about ${cores} cores): generating with all ${full} threads.`,
        );
        const state = this.currentState;
        if (state.kind !== "ready" && state.kind !== "busy") return;
        // Not setState: a change of thread count is not use, so the idle-unload timer runs on.
        this.currentState = { ...state, threadsInUse: reduced ? threads : undefined, otherCpuCores: reduced ? otherCores : undefined };
        if (!this.disposed) this.stateEmitter.fire(this.currentState);
      },
    });
    this.cpuLoad.start();
  }

  private stopFollowingCpuLoad(): void {
    this.cpuLoad?.stop();
    this.cpuLoad = undefined;
  }

  private setReady(notices: string[]): void {
    const first = this.slots[0]!;
    const lanes: Partial<Record<Lane, LaneModel>> = {};
    for (const slot of this.slots) for (const lane of slot.lanes) lanes[lane] = { path: slot.path, name: slot.model.summary.name };
    this.setState({
      kind: this.activeRequests > 0 ? "busy" : "ready",
      modelPath: first.path,
      modelName: [...new Set(this.slots.map((slot) => slot.model.summary.name))].join(" + "),
      lanes,
      contextSize: Math.min(...this.slots.map((slot) => slot.context.contextSize)),
      threads: this.settings?.threads,
      gpu: this.llama?.instance.gpu === false ? "cpu" : String(this.llama?.instance.gpu),
      backendNote: this.llama?.note,
      gpuLayers: first.model.instance.gpuLayers,
      flashAttention: first.context.flashAttention,
      laneErrors: Object.keys(this.laneErrors).length > 0 ? { ...this.laneErrors } : undefined,
      loraAdapters: this.settings?.loraAdapters.length ? this.settings.loraAdapters : undefined,
      models: this.slots.map((slot) => ({ lanes: slot.lanes, summary: slot.model.summary })),
      notices: [...notices, ...this.loadNotices()],
    });
  }

  /** Clamped context sizes, a backend that fell back, and models that do not suit their feature. */
  private loadNotices(): string[] {
    if (!this.settings) return [];
    const notices: string[] = [];
    if (this.llama?.note && this.llama.gpu !== "auto") notices.push(this.llama.note);
    for (const slot of this.slots) {
      const { notice } = fitContextToModel(this.settings.contextSize, slot.model.summary.trainContextSize, slot.path);
      if (notice) notices.push(notice);
      notices.push(...roleWarnings(slot.lanes, { name: slot.model.summary.name, file: slot.path, chatTemplate: slot.model.chatTemplate }));
    }
    return notices;
  }

  private async loadModule(): Promise<LlamaModule> {
    this.module ??= await (this.deps.importLlama ?? importLlamaModule)();
    return this.module;
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
    this.requestsAbort.abort();
    this.requestsAbort = new AbortController();
    const drained = Promise.all([...this.laneTails.values()]);
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 2_000))]);
  }

  private async disposeContexts(): Promise<void> {
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
    const sequence = slot?.context.sequences.get(lane);
    if (!slot || !sequence || !this.llama || !this.module) {
      throw new EngineUnavailableError("The model was unloaded while the request waited.");
    }
    return { llama: this.llama.instance, model: slot.model.instance, sequence, module: this.module };
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

interface PlannedSlot {
  readonly path: string;
  readonly lanes: readonly Lane[];
}

/** One slot per distinct model file, completion's first; a feature with no model has none. */
function planSlots(settings: EngineSettings): PlannedSlot[] {
  const slots: { path: string; lanes: Lane[] }[] = [];
  for (const lane of LANES) {
    const file = settings.modelPaths[lane];
    if (!file) continue;
    const slot = slots.find((entry) => entry.path === file);
    if (slot) slot.lanes.push(lane);
    else slots.push({ path: file, lanes: [lane] });
  }
  return slots;
}

function adaptersFor(slot: PlannedSlot, settings: EngineSettings): EngineSettings["loraAdapters"] {
  return slot.lanes.includes("completion") ? settings.loraAdapters : [];
}

/** LoRA adapters stay in the model's memory until it is disposed, so they are part of the model's key. */
function modelKey(slot: PlannedSlot, settings: EngineSettings): string {
  return JSON.stringify([slot.path, settings.gpuLayers, adaptersFor(slot, settings)]);
}

function contextKey(slot: PlannedSlot, settings: EngineSettings): string {
  return JSON.stringify([slot.lanes, settings.contextSize, settings.threads, settings.flashAttention]);
}

function backendLabel(gpu: string | false): string {
  switch (gpu) {
    case false:
      return "CPU";
    case "cuda":
      return "CUDA";
    case "vulkan":
      return "Vulkan";
    case "metal":
      return "Metal";
    default:
      return String(gpu);
  }
}

async function defaultFreeVram(llama: Llama): Promise<number> {
  return (await llama.getVramState()).free;
}

/** Gives a ModelProblem from a check the file it is about, so the error state names the right model. */
function rethrowFor(file: string): (error: unknown) => never {
  return (error) => {
    if (error instanceof ModelProblem && !error.file) throw error.withFile(file);
    throw error;
  };
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

function emptyChatResult(): ChatResult {
  return { text: "", stopReason: "abort", generatedTokens: 0, promptTokens: 0, timeToFirstTokenMs: 0, durationMs: 0, tokensPerSecond: 0, notes: [] };
}
