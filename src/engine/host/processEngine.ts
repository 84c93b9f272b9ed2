import { fork, type ChildProcess } from "node:child_process";
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
  type Lane,
  type LaneFacts,
  type LogLevel,
  type RequestOptions,
} from "../api";
import { Emitter } from "../events";
import { fileLabel } from "../../models/problems";
import type { MachineFacts } from "../settings";
import type { EngineState, ModelCheck, RawEngineSettings } from "../types";
import { CrashMemory, type CrashedModelStore } from "./crashMemory";
import { describeExit, LastLines } from "./exitReport";
import { HEARTBEAT_MS, PROTOCOL_VERSION, TYPING_NOTE_MS, serializeError, type EngineCalls, type EngineMethod, type FromEngine, type ToEngine } from "./protocol";
import { abortedFirst, Streamed } from "./streamed";

export interface ProcessEngineOptions {
  /** The built engine script (dist/engineHost.js, or out/src/engine/host/child.js under tests). */
  readonly scriptPath: string;
  readonly machine: MachineFacts;
  readonly log: (level: LogLevel, message: string) => void;
  /** The model policy, applied in this process before the engine process opens a file. */
  readonly checkModel?: ModelCheck;
  /** Model files that crashed the engine while loading: not loaded again until chosen again. */
  readonly crashedModels?: CrashedModelStore;
  /** The engine process is stopped when it has not answered for this long (a stuck chat template). */
  readonly watchdogMs?: number;
  /** Environment of the engine process (default: this process's). */
  readonly env?: NodeJS.ProcessEnv;
}

interface Pending {
  readonly method: EngineMethod;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly onText?: (text: string) => void;
}

const START_TIMEOUT_MS = 30_000;
const MAX_BACKOFF_MS = 30_000;
/** libuv pool threads of the engine process (see start()). */
const ENGINE_POOL_THREADS = "1";

/**
 * The engine in a child process the extension starts and supervises: the same LocalEngine, behind
 * the same interface, so a llama.cpp crash, a runaway chat template or an out-of-memory kill ends
 * only that process. Restarts it on the next request (with backoff), and remembers a model that
 * crashed it while loading so the crash does not repeat at every start.
 */
export class ProcessEngine implements Engine {
  private readonly stateEmitter = new Emitter<EngineState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private currentState: EngineState = { kind: "noModel", notices: [] };
  private child?: ChildProcess;
  private starting?: Promise<ChildProcess>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private settings?: RawEngineSettings;
  private idleUnloadMs = 0;
  private typingNotedAt = -Infinity;
  private crashes = 0;
  private lastCrashAt = 0;
  private lastBeat = 0;
  private watchdog?: ReturnType<typeof setInterval>;
  /** Set when this side ended the process on purpose (dispose, watchdog), with the reason. */
  private stopReason?: string;
  private readonly lastLines = new LastLines(12);
  private disposed = false;

  private readonly crashMemory: CrashMemory;

  constructor(private readonly options: ProcessEngineOptions) {
    this.crashMemory = new CrashMemory(options.machine, options.crashedModels);
  }

  get state(): EngineState {
    return this.currentState;
  }

  /** The engine process's id while it runs (for tests and the runtime report). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async configure(raw: RawEngineSettings): Promise<void> {
    this.settings = raw;
    if (this.refuseCrashedModel(raw)) return;
    // As in LocalEngine, a failed load is a state, not a rejection (the state says why).
    await this.call("configure", [raw]).catch((error: unknown) => this.options.log("debug", `configure: ${String(error)}`));
  }

  setIdleUnload(ms: number): void {
    this.idleUnloadMs = ms;
    if (this.child) void this.call("setIdleUnload", [ms]).catch(() => undefined);
  }

  /** Tells a running engine process, at most every TYPING_NOTE_MS (a keystroke costs a comparison). */
  noteTyping(): void {
    const now = performance.now();
    if (!this.child || now - this.typingNotedAt < TYPING_NOTE_MS) return;
    this.typingNotedAt = now;
    this.post(this.child, { type: "typing" });
  }

  /** Loads the configured models again, including one that once crashed the engine. */
  async reload(): Promise<void> {
    if (!this.settings) return;
    this.crashMemory.forget(this.settings);
    if (!this.child) return this.configure(this.settings);
    await this.call("reload", []).catch((error: unknown) => this.options.log("debug", `reload: ${String(error)}`));
  }

  fill(request: FillRequest, options: RequestOptions = {}): Promise<FillResult> {
    return this.request("fill", [request], options, () => ({
      text: "", stopReason: "abort", promptTokens: 0, reusedTokens: 0, evaluatedTokens: 0, generatedTokens: 0, evalMs: 0, generateMs: 0,
    }));
  }

  chat(request: ChatRequest, options: RequestOptions = {}): Promise<ChatResult> {
    const streamed = new Streamed(options);
    return this.request("chat", [request], streamed.options, () => ({
      text: streamed.text, stopReason: "abort", generatedTokens: 0, promptTokens: 0, timeToFirstTokenMs: 0, durationMs: streamed.elapsedMs(), tokensPerSecond: 0, notes: [],
    }));
  }

  generate(request: GenerateRequest, options: RequestOptions = {}): Promise<GenerationResult> {
    const streamed = new Streamed(options);
    return this.request("generate", [request], streamed.options, () => ({ text: streamed.text, stopReason: "abort", generatedTokens: 0, durationMs: streamed.elapsedMs() }));
  }

  tokenize(lane: Lane, text: string, specialTokens = false): Promise<number[]> {
    return this.request("tokenize", [lane, text, specialTokens], {}, undefined);
  }

  detokenize(lane: Lane, tokens: readonly number[]): Promise<string> {
    return this.request("detokenize", [lane, [...tokens]], {}, undefined);
  }

  laneFacts(lane: Lane): Promise<LaneFacts> {
    return this.request("laneFacts", [lane], {}, undefined);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const child = this.child;
    if (child) {
      this.stopReason = "disposed";
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.disconnect?.();
      // The process frees its models and exits on disconnect; make sure it does.
      const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
      await exited;
      clearTimeout(timer);
    }
    this.stateEmitter.dispose();
  }

  // ---- requests ------------------------------------------------------------------------------

  /** A request that needs a model: restarts a stopped engine first. Settles at once on abort. */
  private async request<M extends EngineMethod>(
    method: M,
    args: EngineCalls[M]["args"],
    options: RequestOptions,
    onAbort: (() => EngineCalls[M]["result"]) | undefined,
  ): Promise<EngineCalls[M]["result"]> {
    const aborted = (): EngineCalls[M]["result"] => {
      if (onAbort) return onAbort();
      throw abortError();
    };
    if (options.signal?.aborted) return aborted();
    if (!this.child && this.settings && !this.refuseCrashedModel(this.settings)) {
      this.options.log("info", "Starting the model engine again for a request.");
      // An abort while the engine starts answers at once; the start goes on for the next request.
      if (await abortedFirst(this.configure(this.settings), options.signal)) return aborted();
    }
    if (!this.child) throw new EngineUnavailableError(this.currentState.error?.message ?? 'No model is set. Choose a .gguf model file with "SLM: Select Model…".');
    return this.call(method, args, options, onAbort);
  }

  private async call<M extends EngineMethod>(
    method: M,
    args: EngineCalls[M]["args"],
    options: RequestOptions = {},
    onAbort?: () => EngineCalls[M]["result"],
  ): Promise<EngineCalls[M]["result"]> {
    const starting = this.ensureChild();
    // The signal may abort while the process is being found or started: its listener is not
    // registered yet, so an abort then would be lost and the request would run to its end.
    const child = (await abortedFirst(starting, options.signal)) ? undefined : await starting;
    if (!child || options.signal?.aborted) {
      if (onAbort) return onAbort();
      throw abortError();
    }
    const id = this.nextId++;
    return new Promise<EngineCalls[M]["result"]>((resolve, reject) => {
      const signal = options.signal;
      const abort = () => {
        if (!this.pending.delete(id)) return;
        this.post(child, { type: "abort", id });
        if (onAbort) resolve(onAbort());
        else reject(abortError());
      };
      const stop = () => {
        if (this.pending.has(id)) this.post(child, { type: "stop", id });
      };
      const settle = <T>(fn: (value: T) => void) => (value: T) => {
        signal?.removeEventListener("abort", abort);
        options.stopSignal?.removeEventListener("abort", stop);
        fn(value);
      };
      this.pending.set(id, { method, resolve: settle(resolve as (value: unknown) => void), reject: settle(reject), onText: options.onText });
      signal?.addEventListener("abort", abort, { once: true });
      this.post(child, { type: "call", id, method, args } as ToEngine);
      if (options.stopSignal?.aborted) stop();
      else options.stopSignal?.addEventListener("abort", stop, { once: true });
    });
  }

  private post(child: ChildProcess, message: ToEngine): void {
    if (child.connected) child.send(message);
  }

  // ---- the process ---------------------------------------------------------------------------

  private ensureChild(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    if (this.disposed) return Promise.reject(new EngineUnavailableError("The model engine has been shut down."));
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(): Promise<ChildProcess> {
    const backoff = this.crashes === 0 ? 0 : Math.min(MAX_BACKOFF_MS, 500 * 2 ** (this.crashes - 1));
    const wait = this.lastCrashAt + backoff - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    this.stopReason = undefined;
    this.lastLines.clear();
    const child = fork(this.options.scriptPath, [], {
      stdio: ["ignore", "pipe", "pipe", "ipc"],
      // ELECTRON_RUN_AS_NODE: under Electron (desktop VS Code) the child is plain Node; plain Node
      // ignores it. UV_THREADPOOL_SIZE: node-llama-cpp decodes on libuv's pool threads, and
      // llama.cpp's OpenMP keeps one team of threads per calling thread; with the default four
      // pool threads each token may start on another one. Measured at a completion's depth
      // (bench:tokengaps, interleaved): one pool thread generated 7-22% faster per round, 0.90 of
      // llama-bench's speed against 0.84. The engine's other pool work (file reads) is small.
      env: { ...(this.options.env ?? process.env), ELECTRON_RUN_AS_NODE: "1", UV_THREADPOOL_SIZE: ENGINE_POOL_THREADS },
      // Not the editor's own flags (inspector ports, heap limits): the engine is plain Node.
      execArgv: [],
      serialization: "json",
    });
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => this.lastLines.push(chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
      this.lastLines.push(chunk);
      for (const line of chunk.split("\n")) if (line.trim()) this.options.log("warn", `engine: ${line.trimEnd()}`);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`The model engine process did not start within ${START_TIMEOUT_MS / 1000} s.`)), START_TIMEOUT_MS);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new EngineUnavailableError(`The model engine could not start: ${error.message}`));
      };
      child.once("error", fail);
      child.once("exit", (code, signal) => fail(new Error(describeExit(code, signal))));
      child.once("message", (message: FromEngine) => {
        if (message.type !== "hello" || message.version !== PROTOCOL_VERSION) {
          fail(new Error(`the engine process speaks another protocol (${JSON.stringify(message).slice(0, 80)}); reinstall SLM Assistant`));
          return;
        }
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.removeAllListeners("error");
        resolve();
      });
    });
    child.on("message", (message: FromEngine) => this.onMessage(child, message));
    child.on("exit", (code, signal) => this.onExit(child, code, signal));
    child.on("error", (error) => this.options.log("error", `Model engine process: ${error.message}`));
    this.child = child;
    this.post(child, { type: "init", version: PROTOCOL_VERSION, machine: this.options.machine, checkModel: this.options.checkModel !== undefined });
    if (this.idleUnloadMs > 0) this.post(child, { type: "call", id: this.nextId++, method: "setIdleUnload", args: [this.idleUnloadMs] });
    this.startWatchdog(child);
    this.options.log("info", `Model engine process started (pid ${child.pid}).`);
    return child;
  }

  private onMessage(child: ChildProcess, message: FromEngine): void {
    this.lastBeat = Date.now();
    switch (message.type) {
      case "hello":
      case "alive":
        return;
      case "state":
        this.setState(message.state);
        return;
      case "log":
        if (message.level !== "debug") this.lastLines.push(`${message.message}\n`);
        this.options.log(message.level, message.message);
        return;
      case "text":
        this.pending.get(message.id)?.onText?.(message.text);
        return;
      case "result": {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        pending?.resolve(message.value === null ? undefined : message.value);
        return;
      }
      case "error": {
        const pending = this.pending.get(message.id);
        this.pending.delete(message.id);
        pending?.reject(Object.assign(message.error.name === "EngineUnavailableError" ? new EngineUnavailableError(message.error.message) : new Error(message.error.message), { name: message.error.name }));
        return;
      }
      case "checkModel":
        void this.checkModel(child, message.id, message.files);
        return;
      case "checkModelAbort":
        this.policyChecks.get(message.id)?.abort();
        return;
    }
  }

  private readonly policyChecks = new Map<number, AbortController>();

  private async checkModel(child: ChildProcess, id: number, files: readonly string[]): Promise<void> {
    const controller = new AbortController();
    this.policyChecks.set(id, controller);
    const abortOnExit = () => controller.abort();
    child.once("exit", abortOnExit);
    try {
      const identities = await this.options.checkModel?.(files, controller.signal);
      this.post(child, { type: "checkModelDone", id, identities });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      this.post(child, { type: "checkModelDone", id, error: { ...serializeError(error), ...(typeof code === "string" ? { code } : {}) } });
    } finally {
      child.off("exit", abortOnExit);
      this.policyChecks.delete(id);
    }
  }

  private startWatchdog(child: ChildProcess): void {
    const limit = this.options.watchdogMs ?? 20_000;
    const every = Math.max(50, Math.min(HEARTBEAT_MS, limit / 4));
    this.lastBeat = Date.now();
    let lastTick = Date.now();
    clearInterval(this.watchdog);
    this.watchdog = setInterval(() => {
      const now = Date.now();
      const late = now - lastTick > every + limit / 2;
      lastTick = now;
      // This side's own event loop was held up (another extension, a synchronous call): the
      // child's heartbeats wait unread behind this timer, so its silence proves nothing yet.
      if (late) this.lastBeat = now;
      if (this.child !== child || now - this.lastBeat < limit) return;
      const busy = [...this.pending.values()].map((pending) => pending.method);
      const what = busy.includes("chat") ? "while rendering or answering a chat message (a chat template that never ends does this)" : busy.length > 0 ? `during ${busy.join(", ")}` : "";
      this.stopReason = `it stopped responding for ${Math.round(limit / 1000)} s ${what}`.trim();
      this.options.log("error", `Model engine: ${this.stopReason}; stopping it.`);
      child.kill("SIGKILL");
    }, every);
    this.watchdog.unref?.();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    clearInterval(this.watchdog);
    const state = this.currentState;
    if (this.stopReason === "disposed") return;
    this.crashes++;
    this.lastCrashAt = Date.now();
    const loadingFile = state.kind === "loading" ? state.modelPath : undefined;
    const why = this.stopReason ?? describeExit(code, signal);
    const evidence = this.lastLines.evidence();
    const during = loadingFile ? ` while loading ${fileLabel(loadingFile)}` : "";
    const message = loadingFile
      ? `The model engine stopped${during} (${why})${evidence ? `: ${evidence}` : ""}. The editor keeps running. This model is not loaded again automatically: choose another model, or choose it again (or run SLM: Reload Model) to retry.`
      : `The model engine stopped (${why})${evidence ? `: ${evidence}` : ""}. The editor keeps running; the engine starts again with the next request.`;
    this.options.log("error", `${message}\nLast engine output:\n${this.lastLines.text()}`);
    if (loadingFile) this.crashMemory.remember(loadingFile);
    const error = new EngineUnavailableError(message);
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.setState({
      kind: "error",
      modelPath: loadingFile ?? state.modelPath,
      modelName: state.modelName,
      error: { code: loadingFile ? "crashedEngine" : "engineStopped", message, detail: this.lastLines.text() },
      notices: [],
    });
  }

  /** True (and an error state) when the settings name a model that crashed the engine while loading. */
  private refuseCrashedModel(raw: RawEngineSettings): boolean {
    const refusal = this.crashMemory.refusal(raw);
    if (!refusal) return false;
    this.options.log("warn", refusal.message);
    this.stopChild();
    this.setState({ kind: "error", modelPath: refusal.file, error: { code: "crashedEngine", message: refusal.message }, notices: [] });
    return true;
  }

  /** Ends the engine process on purpose, freeing what it had loaded. */
  private stopChild(): void {
    const child = this.child;
    if (!child) return;
    this.stopReason = "disposed";
    this.child = undefined;
    clearInterval(this.watchdog);
    for (const pending of this.pending.values()) pending.reject(new EngineUnavailableError("The model engine was stopped."));
    this.pending.clear();
    child.disconnect?.();
    setTimeout(() => child.kill("SIGKILL"), 3_000).unref?.();
  }

  private setState(state: EngineState): void {
    if (this.disposed) return;
    this.currentState = state;
    this.stateEmitter.fire(state);
  }
}
