/**
 * One feature (completion or chat) served by a team server: its connection, the model facts the
 * server states, the allowlist check on them, and every request's outcome. Nothing runs while
 * idle: the facts are read when a request first needs them and read again after a failure (the
 * health check) or when an answer names another model than before.
 */
import type { ChatRequest, ChatResult, FillRequest, FillResult, GenerateRequest, GenerationResult, LaneFacts, LogLevel, RequestOptions } from "../api";
import { EngineUnavailableError } from "../api";
import { Emitter } from "../events";
import type { Lane, RemoteLaneState } from "../types";
import { remoteChat } from "./chatRequest";
import { ServerConnection, type Trust } from "./connection";
import { llamaServerFill, openAiFill, type LlamaFillTarget, type RemoteFillResult } from "./fillRequest";
import { problemLabel, RemoteProblem } from "./problems";
import { readLlamaServerModel, readOpenAiModel, type ServerModel } from "./serverFacts";
import type { RemoteEndpoint } from "./settings";
import { PieceTokenizer } from "./tokens";

export interface RemoteLaneDeps {
  readonly log: (level: LogLevel, message: string) => void;
  /** The API key stored for this origin (SecretStorage), or undefined. */
  readonly apiKey: (origin: string) => Promise<string | undefined>;
  /** Why a server's model may not be used under slm.allowedModelHashes, or undefined when it may. */
  readonly refuseModel: (model: { id: string; sha256?: string }, server: string) => string | undefined;
}

export class RemoteLane {
  private readonly changed = new Emitter<void>();
  readonly onDidChange = this.changed.event;
  readonly connection: ServerConnection;
  private readonly tokenizer: PieceTokenizer;
  private served?: ServerModel;
  private reading?: Promise<ServerModel>;
  private fillTarget?: LlamaFillTarget;
  private problem?: RemoteProblem;
  private answeredBy?: "server" | "local";
  /** Requests in flight on the server. */
  active = 0;
  /** Things the user should be told once (the server changed its model). */
  readonly notices: string[] = [];

  constructor(
    readonly lane: Lane,
    readonly endpoint: RemoteEndpoint,
    trust: Trust,
    private readonly fallbackContext: number,
    private readonly deps: RemoteLaneDeps,
  ) {
    this.connection = new ServerConnection(endpoint, trust, () => deps.apiKey(endpoint.origin), (note) => deps.log("info", note));
    this.tokenizer = new PieceTokenizer(this.connection);
  }

  get state(): RemoteLaneState {
    return {
      url: this.endpoint.url,
      kind: this.endpoint.kind,
      ...(this.served ? { model: this.served.facts } : {}),
      ...(this.problem ? { problem: { code: this.problem.code, label: problemLabel(this.problem.code), message: this.problem.message } } : {}),
      ...(this.answeredBy ? { answeredBy: this.answeredBy } : {}),
    };
  }

  /** Identifies the served model for the features (a new value means "forget the old model's cache"). */
  modelPath(): string | undefined {
    return this.served ? `${this.endpoint.url}#${this.served.facts.id}` : undefined;
  }

  async laneFacts(): Promise<LaneFacts> {
    const served = await this.guard(() => this.model());
    return {
      lane: this.lane,
      modelPath: `${this.endpoint.url}#${served.facts.id}`,
      name: served.facts.id,
      contextSize: served.facts.contextSize,
      fim: served.fim,
      chatTemplate: served.facts.chatTemplate !== false,
    };
  }

  fill(request: FillRequest, options: RequestOptions): Promise<FillResult> {
    return this.guard(async () => {
      const served = await this.model();
      let result: RemoteFillResult;
      if (this.endpoint.kind === "llama-server") {
        this.fillTarget ??= { connection: this.connection, tokenizer: this.tokenizer, contextSize: served.facts.contextSize, slot: -1 };
        result = await llamaServerFill(this.fillTarget, request, options);
      } else {
        result = await openAiFill(this.connection, served.facts.id, request, options);
      }
      await this.checkSameModel(result.model);
      const { model: _model, ...fill } = result;
      return fill;
    });
  }

  chat(request: ChatRequest, options: RequestOptions): Promise<ChatResult> {
    return this.guard(async () => {
      const served = await this.model();
      const llama = this.endpoint.kind === "llama-server";
      const result = await remoteChat(
        {
          connection: this.connection,
          contextSize: served.facts.contextSize,
          model: served.facts.id,
          ...(llama ? { count: async (text: string, signal?: AbortSignal) => (await this.tokenizer.tokenize(text, false, signal)).length, extra: { cache_prompt: true } } : {}),
        },
        request,
        options,
      );
      await this.checkSameModel(result.model);
      const { model: _model, ...chat } = result;
      return chat;
    });
  }

  /** Plain completion of a text prompt (diagnostics, tests and benchmarks). */
  generate(request: GenerateRequest, options: RequestOptions): Promise<GenerationResult> {
    return this.guard(async () => {
      const served = await this.model();
      const started = performance.now();
      const result = await openAiFill(
        this.connection,
        served.facts.id,
        { pieces: [{ text: request.prompt }], maxTokens: request.maxTokens ?? 256, maxTimeMs: 600_000, stopTokens: [], stopStrings: [...(request.stopTriggers ?? [])], stopAtNewline: false },
        options,
        { temperature: request.temperature ?? 0, ...(request.seed !== undefined ? { seed: request.seed } : {}) },
      );
      options.onText?.(result.text);
      const stopReason = result.stopReason === "abort" ? "abort" : result.stopReason === "maxTokens" ? "maxTokens" : result.stopReason === "stopString" ? "customStopTrigger" : "eogToken";
      return { text: result.text, stopReason, generatedTokens: result.generatedTokens, durationMs: performance.now() - started };
    });
  }

  async tokenize(text: string, special: boolean): Promise<number[]> {
    if (this.endpoint.kind !== "llama-server") throw new EngineUnavailableError(`${this.endpoint.url} is an OpenAI-compatible server, which offers no tokenizer.`);
    return this.guard(() => this.tokenizer.tokenize(text, special));
  }

  async detokenize(tokens: readonly number[]): Promise<string> {
    if (this.endpoint.kind !== "llama-server") throw new EngineUnavailableError(`${this.endpoint.url} is an OpenAI-compatible server, which offers no tokenizer.`);
    return this.guard(() => this.tokenizer.detokenize(tokens));
  }

  /** After a fallback answer: the status bar says which engine answered. */
  answeredLocally(): void {
    this.answeredBy = "local";
    this.changed.fire();
  }

  /** Forget the model facts: the next request reads them again (SLM: Reload Model, a changed key). */
  forget(): void {
    this.served = undefined;
    this.fillTarget = undefined;
    this.tokenizer.clear();
    this.problem = undefined;
    this.changed.fire();
  }

  dispose(): void {
    this.connection.dispose();
    this.changed.dispose();
  }

  /** The served model, read when first needed or after a failure; refused when the allowlist says no. */
  private async model(): Promise<ServerModel> {
    if (this.served && !this.problem) return this.served;
    this.reading ??= this.readModel().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readModel(): Promise<ServerModel> {
    const served = this.endpoint.kind === "llama-server"
      ? await readLlamaServerModel(this.connection, this.fallbackContext, this.served)
      : await readOpenAiModel(this.connection, this.endpoint.model, this.fallbackContext);
    const previous = this.served?.facts;
    if (previous && (previous.id !== served.facts.id || previous.file !== served.facts.file)) {
      this.tokenizer.clear();
      this.fillTarget = undefined;
      this.deps.log("warn", `${this.endpoint.url} now serves ${describe(served)} (it served ${previous.id} before).`);
      this.notices.push(`${this.endpoint.url} now serves ${served.facts.id} (it served ${previous.id} before).`);
    } else if (!previous) {
      this.deps.log("info", `${this.lane === "chat" ? "Chat" : "Completion"} runs on ${this.endpoint.url} (${this.endpoint.kind}): ${describe(served)}.`);
    }
    this.served = served;
    const refusal = this.deps.refuseModel(served.facts, this.endpoint.url);
    if (refusal) throw new RemoteProblem("modelNotAllowed", refusal);
    return served;
  }

  /** An answer that names another model than the facts: the server was restarted with another one. */
  private async checkSameModel(answered: string | undefined): Promise<void> {
    const known = this.served?.facts.id;
    if (answered === undefined || known === undefined || answered === known || basename(answered) === basename(known)) return;
    const before = known;
    await this.readModel();
    throw new RemoteProblem("modelChanged", `${this.endpoint.url} now serves ${this.served?.facts.id ?? answered} instead of ${before}; the answer was dropped and the next request uses the new model.`);
  }

  /** Runs a request; records its outcome for the status bar and turns failures into the user's words. */
  private async guard<T>(work: () => Promise<T>): Promise<T> {
    this.active++;
    this.changed.fire();
    try {
      const value = await work();
      if (this.problem || this.answeredBy !== "server") {
        if (this.problem) this.deps.log("info", `${this.endpoint.url} answers again.`);
        this.problem = undefined;
        this.answeredBy = "server";
      }
      return value;
    } catch (error) {
      if (error instanceof RemoteProblem) {
        this.problem = error;
        this.deps.log("warn", `${this.lane}: ${error.message}${error.detail ? ` [${error.detail}]` : ""}`);
      }
      throw error;
    } finally {
      this.active--;
      this.changed.fire();
    }
  }
}

function describe(served: ServerModel): string {
  const facts = served.facts;
  return [
    facts.id,
    facts.file ? `file ${facts.file}` : undefined,
    `context ${facts.contextSize}`,
    facts.slots ? `${facts.slots} slots` : undefined,
    facts.sha256 ? `states SHA-256 ${facts.sha256}` : undefined,
    `FIM: ${facts.fim}`,
  ].filter(Boolean).join(", ");
}

function basename(name: string): string {
  return name.split(/[\\/]/).pop() ?? name;
}
