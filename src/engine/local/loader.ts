import * as os from "node:os";
import { formatBytes } from "../../util/bytes";
import { checkModelFile } from "../../models/preflight";
import { explainLoadFailure, fileLabel, ModelProblem, modelDisplayName } from "../../models/problems";
import { readModelInfo } from "../../models/modelInfo";
import { largestFittingContext, type MemoryNeeds } from "../fit";
import type { LogBuffer } from "../logBuffer";
import { fitContextToModel, MIN_CONTEXT_SIZE } from "../settings";
import type { EngineSettings, Lane, ModelSummary } from "../types";
import { adapterProblem, checkAdapters, isAdapterFailure } from "./adapters";
import { checkSplitParts, truncatedProblem, verifyApproved } from "./approval";
import { getSharedLlama, importLlamaModule, type GgufFileInfo, type Llama, type LlamaContext, type LlamaContextSequence, type LlamaModel, type LlamaModule } from "./llamaRuntime";
import type { EngineDeps } from "./deps";
import { KvStates, kvStateCount } from "./kvStates";
import { adaptersFor, contextKey, modelKey, type Insights, type LoadedContext, type LoadedModel, type PlannedSlot, type PreparedModel, type Slot } from "./slots";

/**
 * Loads models for the local engine, step by step: the backend (llama.cpp's Llama), what a file's
 * header says (checked before llama.cpp sees it), the fit check against free memory, the weights,
 * and a context per file with a sequence per lane. Each step fails with a ModelProblem that says
 * in the user's words what is wrong.
 */
export class ModelLoader {
  llama?: { gpu: string; instance: Llama; note?: string };
  module?: LlamaModule;

  constructor(
    private readonly deps: EngineDeps,
    private readonly logBuffer: LogBuffer,
    private readonly onProgress: (file: string, progress: number) => void,
    /** Asked before each batch any context decodes (typingGate.ts). */
    private readonly beforeDecode: () => Promise<void> | undefined = () => undefined,
  ) {}

  private llamaInstance(): Llama {
    if (!this.llama) throw new Error("llama.cpp is not started");
    return this.llama.instance;
  }

  /**
   * Checks, fits and loads each planned model (reusing `kept` ones) and gives each a context,
   * in plan order. With two model files, one that fails does not stop the other: its problem
   * is returned by file. Throws when nothing could be loaded.
   */
  async loadSlots(
    plan: readonly PlannedSlot[],
    kept: ReadonlyMap<string, LoadedModel>,
    next: EngineSettings,
    signal: AbortSignal,
  ): Promise<{ slots: Slot[]; failed: Map<string, ModelProblem> }> {
    const failed = new Map<string, ModelProblem>();
    const slots: Slot[] = [];
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
    if (viable.length === 0) throw firstProblem(failed);
    await this.checkFit(viable, prepared, kept, next);

    const loaded = new Map(kept);
    for (const [index, model] of prepared.entries()) {
      const instance = await attempt(model.file, () => this.loadModel(model, next, signal, (progress) => (index + progress) / prepared.length));
      if (instance) loaded.set(model.file, instance);
    }
    for (const wanted of viable) {
      const model = loaded.get(wanted.path);
      if (!model) continue;
      const context = await attempt(wanted.path, async () => {
        const created = await this.createContext(model, wanted, next, signal);
        await verifyApproved(model, created);
        return created;
      });
      if (context) slots.push({ path: wanted.path, lanes: wanted.lanes, model, context, facts: new Map() });
      else {
        loaded.delete(wanted.path);
        await model.instance.dispose().catch(() => undefined);
      }
    }
    if (slots.length === 0) throw firstProblem(failed);
    return { slots, failed };
  }

  async createLlama(gpu: EngineSettings["gpu"], signal: AbortSignal): Promise<void> {
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
  async prepareModel(wanted: PlannedSlot, settings: EngineSettings, signal: AbortSignal): Promise<PreparedModel> {
    const file = wanted.path;
    const llama = this.llamaInstance();
    const module = await this.loadModule();
    const sizeBytes = await checkModelFile(file).catch(rethrowFor(file));
    const info = await readModelInfo(file).catch(rethrowFor(file));
    if (info.cutShort) throw truncatedProblem(file, info.dataEndBytes, sizeBytes);
    // Every byte that loads passes our own bounded header reader and the policy before
    // node-llama-cpp's reader or llama.cpp sees it: each part of a split model, each adapter.
    const parts = await checkSplitParts(file, info);
    const adapters = adaptersFor(wanted, settings);
    const loads = [...parts, ...adapters.map((adapter) => adapter.path)];
    const identities = await this.deps.checkModel?.(loads, signal);
    const fileInfo = await this.readHeader(module, file);
    const architecture = String(fileInfo.metadata?.general?.architecture ?? "unknown");
    const insights = await module.GgufInsights.from(fileInfo, llama);
    await checkAdapters(adapters, architecture, file);
    return {
      approved: identities ? { files: loads, identities } : undefined,
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
  async checkFit(
    plan: readonly PlannedSlot[],
    prepared: readonly PreparedModel[],
    kept: ReadonlyMap<string, LoadedModel>,
    settings: EngineSettings,
  ): Promise<void> {
    const llama = this.llamaInstance();
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
          // One state for completion: more are optional and sized to free memory when the context is made.
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

  async loadModel(
    prepared: PreparedModel,
    settings: EngineSettings,
    signal: AbortSignal,
    overallProgress: (progress: number) => number,
  ): Promise<LoadedModel> {
    const { file, architecture, insights, sizeBytes } = prepared;
    const llama = this.llamaInstance();
    const mark = this.logBuffer.mark();
    const started = Date.now();
    let instance: LlamaModel;
    try {
      instance = await llama.loadModel({
        modelPath: file,
        gpuLayers: llama.gpu === false ? 0 : settings.gpuLayers,
        loadSignal: signal,
        onLoadProgress: (progress) => {
          this.onProgress(file, overallProgress(progress));
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
      approved: prepared.approved,
      key: prepared.key,
      instance,
      summary,
      insights,
      flashAttentionSupported: insights.flashAttentionSupported,
      chatTemplate: prepared.chatTemplate,
    };
  }

  /** llama.cpp's log lines reach us asynchronously, sometimes after the failure they explain. */
  async logSince(mark: number): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, 50));
    return this.logBuffer.since(mark);
  }

  /**
   * The next-edit model mostly copies its window from the prompt: prompt-lookup decoding drafts the
   * next tokens from where the latest ones appear in the prompt and checks them in one batch.
   */
  private sequenceOptions(lane: Lane, settings: EngineSettings): Parameters<LlamaContext["getSequence"]>[0] {
    if (lane !== "nextEdit" || !settings.nextEditPromptLookup || !this.module) return undefined;
    return { tokenPredictor: new this.module.InputLookupTokenPredictor({ patternLength: { min: 2 }, predictionLength: { max: settings.nextEditDraftTokens } }) };
  }

  async readHeader(module: LlamaModule, file: string): Promise<GgufFileInfo> {
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

  async createContext(model: LoadedModel, wanted: PlannedSlot, settings: EngineSettings, signal: AbortSignal): Promise<LoadedContext> {
    const fitted = fitContextToModel(settings.contextSize, model.summary.trainContextSize, model.summary.path);
    if (fitted.notice) this.deps.log("warn", fitted.notice);
    const flashAttention = settings.flashAttention && model.flashAttentionSupported;
    const adapters = adaptersFor(wanted, settings);
    const mark = this.logBuffer.mark();
    // node-llama-cpp caps every context's threads at the Llama's maxThreads (4 by default on the
    // CPU, whatever the cores): make it the configured count, so that is what each batch gets.
    if (this.llama) this.llama.instance.maxThreads = settings.threads;
    const gpuLayers = model.instance.gpuLayers;
    const free = (this.deps.freeMemory ?? os.freemem)();
    const states = wanted.lanes.includes("completion") ? await completionStateCount(model.insights, fitted.contextSize, gpuLayers, settings, free) : 0;
    let instance: LlamaContext;
    try {
      instance = await model.instance.createContext({
        contextSize: fitted.contextSize,
        threads: settings.threads,
        sequences: wanted.lanes.filter((lane) => lane !== "completion").length + states,
        flashAttention,
        batching: { beforeDecode: this.beforeDecode },
        createSignal: signal,
        lora: adapters.length > 0 ? { adapters: adapters.map((adapter) => ({ filePath: adapter.path, scale: adapter.scale })) } : undefined,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      const lines = await this.logSince(mark);
      if (adapters.length > 0 && isAdapterFailure(error, lines)) throw adapterProblem(adapters, model.summary, error, lines);
      throw explainLoadFailure(model.summary.path, error, lines, model.summary.architecture);
    }
    const completionStates = states > 0 ? new KvStates(Array.from({ length: states }, () => instance.getSequence())) : undefined;
    const sequences = new Map<Lane, LlamaContextSequence>(
      wanted.lanes.map((lane) => [lane, lane === "completion" && completionStates ? completionStates.latest : instance.getSequence(this.sequenceOptions(lane, settings))]),
    );
    this.deps.log(
      "info",
      `Context ready for ${wanted.lanes.join(" and ")}: ${instance.contextSize} tokens per sequence${states > 0 ? `, ${states} completion KV state${states === 1 ? "" : "s"} (${settings.completionStatesMiB} MiB budget)` : ""}, ${settings.threads} threads, flash attention ${flashAttention ? "on" : "off"}${adapters.length > 0 ? `, LoRA ${adapters.map((adapter) => `${adapter.path} ×${adapter.scale}`).join(", ")}` : ""}`,
    );
    return { key: contextKey(wanted, settings), instance, sequences, completionStates, contextSize: instance.contextSize, flashAttention };
  }

  async loadModule(): Promise<LlamaModule> {
    this.module ??= await (this.deps.importLlama ?? importLlamaModule)();
    return this.module;
  }
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

/** The first model's problem, when no model could be loaded (there is always one then). */
function firstProblem(failed: ReadonlyMap<string, ModelProblem>): ModelProblem {
  return failed.values().next().value ?? new ModelProblem("loadFailed", "No model could be loaded.");
}

/**
 * How many KV states the completion lane keeps: the budget divided by what one more context
 * sequence costs at this context size (node-llama-cpp's estimate, RAM or video memory). The fit
 * check counts one; the others take at most a quarter of the memory still free.
 */
export async function completionStateCount(insights: Insights, contextSize: number, gpuLayers: number, settings: EngineSettings, freeBytes: number): Promise<number> {
  const estimate = (sequences: number) =>
    insights.estimateContextResourceRequirementsV2({ contextSize, modelGpuLayers: Math.min(gpuLayers, insights.totalLayers), sequences, batchSize: 512 });
  const [one, two] = await Promise.all([estimate(1), estimate(2)]);
  const perState = Math.max(two.cpuRam - one.cpuRam, two.gpuVram - one.gpuVram);
  return kvStateCount(Math.min(settings.completionStatesMiB * 2 ** 20, perState + freeBytes / 4), perState);
}
