/**
 * The engine the features see when a team server may be in play: each feature (lane) goes to its
 * server or stays on the local engine, with the same plain-data Engine interface either way.
 * slm.allowNetwork off means no RemoteLane exists at all (no socket can be opened); the state then
 * says a server is configured but the network is off. With slm.engine.fallback "local" a feature
 * whose server fails is answered by the local model, and the state says which engine answered.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import {
  EngineUnavailableError,
  type ChatRequest, type ChatResult, type Engine, type FillRequest, type FillResult, type GenerateRequest,
  type GenerationResult, type LaneFacts, type LogLevel, type RequestOptions,
} from "../api";
import { Emitter, type Subscription } from "../events";
import { LANES, type EngineState, type Lane, type LaneModel, type RawEngineSettings, type RemoteLaneState } from "../types";
import { RemoteProblem } from "./problems";
import { RemoteLane, type RemoteLaneDeps } from "./remoteLane";
import { NO_REMOTE, resolveRemoteSettings, type RawRemoteSettings, type RemoteSettings } from "./settings";

export type RemoteDeps = Omit<RemoteLaneDeps, "log">;

/** Engine settings with the server settings beside them (config.ts reads both). */
export type RoutedSettings = RawEngineSettings & { readonly remote?: RawRemoteSettings };

export class RoutedEngine implements Engine {
  private readonly stateEmitter = new Emitter<EngineState>();
  readonly onDidChangeState = this.stateEmitter.event;
  private settings: RemoteSettings = NO_REMOTE;
  private remotes: Partial<Record<Lane, RemoteLane>> = {};
  private remoteSubscriptions: Subscription[] = [];
  private readonly localSubscription: Subscription;
  private current: EngineState;

  constructor(
    private readonly local: Engine,
    private readonly deps: RemoteDeps & { readonly log: (level: LogLevel, message: string) => void },
  ) {
    this.current = local.state;
    this.localSubscription = local.onDidChangeState(() => this.update());
  }

  get state(): EngineState {
    return this.current;
  }

  /** The local engine process's id while it runs (undefined in-process or before it starts). */
  get pid(): number | undefined {
    return (this.local as { readonly pid?: number }).pid;
  }

  async configure(raw: RoutedSettings): Promise<void> {
    const { remote, ...engine } = raw;
    const next = resolveRemoteSettings(remote, os.homedir());
    for (const notice of next.notices) this.deps.log("warn", notice);
    if (JSON.stringify(next) !== JSON.stringify(this.settings)) await this.useRemote(next, engine.contextSize);
    await this.local.configure(this.localSettings(engine));
  }

  setIdleUnload(ms: number): void {
    this.local.setIdleUnload(ms);
  }

  /** Only the local engine shares the CPU with the editor; a server's threads are its own. */
  noteTyping(): void {
    this.local.noteTyping();
  }

  async reload(): Promise<void> {
    for (const remote of Object.values(this.remotes)) remote.forget();
    await this.local.reload();
  }

  /** A stored API key changed: the next request reads the facts again with it. */
  keysChanged(): void {
    for (const remote of Object.values(this.remotes)) remote.forget();
  }

  fill(request: FillRequest, options: RequestOptions = {}): Promise<FillResult> {
    return this.route("completion", (remote) => remote.fill(request, options), () => this.local.fill(request, options));
  }

  chat(request: ChatRequest, options: RequestOptions = {}): Promise<ChatResult> {
    return this.route("chat", (remote) => remote.chat(request, options), () => this.local.chat(request, options));
  }

  generate(request: GenerateRequest, options: RequestOptions = {}): Promise<GenerationResult> {
    return this.route(request.lane, (remote) => remote.generate(request, options), () => this.local.generate(request, options));
  }

  tokenize(lane: Lane, text: string, specialTokens = false): Promise<number[]> {
    return this.route(lane, (remote) => remote.tokenize(text, specialTokens), () => this.local.tokenize(lane, text, specialTokens));
  }

  detokenize(lane: Lane, tokens: readonly number[]): Promise<string> {
    return this.route(lane, (remote) => remote.detokenize(tokens), () => this.local.detokenize(lane, tokens));
  }

  laneFacts(lane: Lane): Promise<LaneFacts> {
    return this.route(lane, (remote) => remote.laneFacts(), () => this.local.laneFacts(lane));
  }

  async dispose(): Promise<void> {
    this.dropRemotes();
    this.localSubscription.dispose();
    this.stateEmitter.dispose();
    await this.local.dispose();
  }

  // ---- routing -------------------------------------------------------------------------------

  private async route<T>(lane: Lane, remoteWork: (remote: RemoteLane) => Promise<T>, localWork: () => Promise<T>): Promise<T> {
    const remote = this.remotes[lane];
    if (!remote) return localWork();
    try {
      return await remoteWork(remote);
    } catch (error) {
      if (!(error instanceof RemoteProblem)) throw error;
      if (this.settings.fallback === "local" && this.hasLocalModel(lane)) {
        this.deps.log("warn", `${lane}: answered by the local model instead (slm.engine.fallback: local) because ${lowerFirst(error.message)}`);
        const value = await localWork();
        remote.answeredLocally();
        return value;
      }
      throw new EngineUnavailableError(error.message);
    }
  }

  private hasLocalModel(lane: Lane): boolean {
    const state = this.local.state;
    return state.kind !== "noModel" && state.kind !== "error" && !state.laneErrors?.[lane];
  }

  private async useRemote(next: RemoteSettings, contextSize: number): Promise<void> {
    this.dropRemotes();
    this.settings = next;
    if (next.allowNetwork) {
      let ca: string | undefined;
      if (next.caFile && Object.keys(next.lanes).length > 0) {
        try {
          ca = await fs.promises.readFile(next.caFile, "utf8");
        } catch (error) {
          this.deps.log("error", `slm.engine.caFile ${next.caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}); only the system's CAs are trusted.`);
        }
      }
      for (const lane of LANES) {
        const endpoint = next.lanes[lane];
        if (!endpoint) continue;
        const remote = new RemoteLane(lane, endpoint, { ...(ca ? { ca } : {}), pins: next.pins }, contextSize, this.deps);
        this.remotes[lane] = remote;
        this.remoteSubscriptions.push(remote.onDidChange(() => this.update()));
      }
    } else if (Object.keys(next.lanes).length > 0) {
      this.deps.log("warn", "A server is configured (slm.engine.server) but slm.allowNetwork is off: nothing is sent to it; features run on this machine.");
    }
    this.update();
  }

  private dropRemotes(): void {
    for (const subscription of this.remoteSubscriptions) subscription.dispose();
    for (const remote of Object.values(this.remotes)) remote.dispose();
    this.remoteSubscriptions = [];
    this.remotes = {};
  }

  /**
   * What the local engine loads: a feature on a server needs no local model unless it may fall
   * back to one. Its path then points at the other feature's model (loaded once, never used by it).
   */
  private localSettings(engine: RawEngineSettings): RawEngineSettings {
    if (this.settings.fallback === "local") return engine;
    const own = (lane: Lane): string => (lane === "completion" ? engine.completionModelPath : engine.chatModelPath) || engine.modelPath;
    const remote = (lane: Lane): boolean => this.remotes[lane] !== undefined;
    if (remote("completion") && remote("chat")) return { ...engine, modelPath: "", completionModelPath: "", chatModelPath: "" };
    if (remote("completion")) return { ...engine, completionModelPath: own("chat") };
    if (remote("chat")) return { ...engine, chatModelPath: own("completion") };
    return engine;
  }

  /** The local engine's state with each server-side feature laid over it. */
  private update(): void {
    const local = this.local.state;
    const configured = Object.keys(this.settings.lanes) as Lane[];
    if (configured.length === 0) {
      this.fire(local);
      return;
    }
    const remote: Partial<Record<Lane, RemoteLaneState>> = {};
    const lanes: Partial<Record<Lane, LaneModel>> = { ...local.lanes };
    const laneErrors = { ...local.laneErrors };
    let busy = local.kind === "busy";
    for (const lane of configured) {
      const endpoint = this.settings.lanes[lane]!;
      const runner = this.remotes[lane];
      const fallback = this.settings.fallback === "local";
      if (!runner) {
        remote[lane] = { url: endpoint.url, kind: endpoint.kind, networkOff: true, fallback };
        continue;
      }
      const laneState = runner.state;
      remote[lane] = { ...laneState, fallback };
      busy ||= runner.active > 0;
      lanes[lane] = { path: runner.modelPath() ?? endpoint.url, name: laneState.model?.id ?? new URL(endpoint.url).host };
      if (laneState.problem?.code === "modelNotAllowed" && !fallback) laneErrors[lane] = { code: "notAllowed", message: laneState.problem.message };
      else delete laneErrors[lane];
    }
    const allRemote = LANES.every((lane) => this.remotes[lane] !== undefined);
    const localIdle = local.kind === "noModel" || (allRemote && this.settings.fallback !== "local");
    const kind = busy ? "busy" : localIdle && Object.keys(this.remotes).length > 0 ? "ready" : local.kind;
    const names = [...new Set(LANES.map((lane) => lanes[lane]?.name).filter((name): name is string => name !== undefined))];
    this.fire({
      ...local,
      kind,
      lanes,
      ...(names.length > 0 ? { modelName: names.join(" + ") } : {}),
      ...(lanes.completion ?? lanes.chat ? { modelPath: (lanes.completion ?? lanes.chat)!.path } : {}),
      ...(kind === "ready" || kind === "busy" ? { error: undefined } : {}),
      laneErrors: Object.keys(laneErrors).length > 0 ? laneErrors : undefined,
      ...(this.remotes.completion?.state.model && !local.contextSize ? { contextSize: this.remotes.completion.state.model.contextSize } : {}),
      notices: [...local.notices, ...this.settings.notices, ...Object.values(this.remotes).flatMap((r) => r.notices)],
      remote,
    });
  }

  private fire(state: EngineState): void {
    if (JSON.stringify(state) === JSON.stringify(this.current)) return;
    this.current = state;
    this.stateEmitter.fire(state);
  }
}

function lowerFirst(text: string): string {
  return text.length > 0 ? text[0]!.toLowerCase() + text.slice(1) : text;
}
