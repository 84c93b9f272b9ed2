/**
 * The engine's two hosts, for tests that must hold for both: `inProcess` (LocalEngine in the
 * mocha process) and `process` (the same engine in a child process, over the IPC protocol).
 */
import * as path from "node:path";
import type { Engine, GenerateRequest, GenerationResult, Lane, LogLevel, FillResult } from "../../src/engine/api";
import { ProcessEngine, type ProcessEngineOptions } from "../../src/engine/host/processEngine";
import { LocalEngine } from "../../src/engine/local/localEngine";
import type { MachineFacts } from "../../src/engine/settings";
import type { ModelCheck } from "../../src/engine/types";
import { buildFimPrompt } from "../../src/completion/prompt/fimPrompt";

export type HostKind = "inProcess" | "process";
export const HOSTS: readonly HostKind[] = ["inProcess", "process"];

/** The compiled engine script next to this compiled test (out/src/engine/host/child.js). */
export const ENGINE_SCRIPT = path.join(__dirname, "..", "..", "src", "engine", "host", "child.js");

export interface TestEngineDeps {
  readonly machine: MachineFacts;
  readonly log?: (level: LogLevel, message: string) => void;
  readonly checkModel?: ModelCheck;
  readonly process?: Partial<ProcessEngineOptions>;
}

export function createTestEngine(host: HostKind, deps: TestEngineDeps): Engine {
  const log = deps.log ?? (() => undefined);
  if (host === "inProcess") return new LocalEngine({ machine: deps.machine, log, checkModel: deps.checkModel });
  return new ProcessEngine({ scriptPath: ENGINE_SCRIPT, machine: deps.machine, log, checkModel: deps.checkModel, ...deps.process });
}

type GenerateOptions = Omit<GenerateRequest, "lane" | "prompt"> & { signal?: AbortSignal; onText?: (text: string) => void };

/** engine.generate with the request and the options in one object, as the tests write it. */
export function generate(engine: Pick<Engine, "generate">, lane: Lane, prompt: string, options: GenerateOptions = {}): Promise<GenerationResult> {
  const { signal, onText, ...rest } = options;
  return engine.generate({ lane, prompt, ...rest }, { signal, onText });
}

/** Fill-in-the-middle with the model's own FIM format, laid out as the completion pipeline does. */
export async function infill(engine: Engine, prefix: string, suffix: string, maxTokens: number): Promise<FillResult> {
  const facts = await engine.laneFacts("completion");
  const format = facts.fim.format;
  if (!format) throw new Error(facts.fim.refusal?.message ?? "no FIM");
  const prompt = buildFimPrompt(format, { prefix, suffix }, { includeBos: true });
  return engine.fill({ pieces: prompt.pieces, maxTokens, maxTimeMs: 60_000, stopTokens: prompt.stopTokens, stopStrings: prompt.stopStrings, stopAtNewline: false });
}

/**
 * Resolves once no request runs on the engine: an aborted request settles at once, but its native
 * work (and the lane) can stay busy a little longer. For suites that reuse one engine across tests.
 */
export function whenIdle(engine: Pick<Engine, "state" | "onDidChangeState">, timeoutMs = 10_000): Promise<void> {
  if (engine.state.kind !== "busy") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`the engine was still busy after ${timeoutMs} ms`));
    }, timeoutMs);
    const subscription = engine.onDidChangeState((state) => {
      if (state.kind === "busy") return;
      clearTimeout(timer);
      subscription.dispose();
      resolve();
    });
  });
}
