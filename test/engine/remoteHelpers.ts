// Helpers for the remote-engine suites: a RoutedEngine as the extension builds it, and typing.
import * as assert from "node:assert/strict";
import * as os from "node:os";
import type { Engine } from "../../src/engine/api";
import { CompletionPipeline } from "../../src/completion/pipeline";
import type { CompletionRequest, CompletionSettings } from "../../src/completion/types";
import { LocalEngine } from "../../src/engine/local/localEngine";
import { RoutedEngine } from "../../src/engine/remote/routedEngine";
import type { RawRemoteSettings } from "../../src/engine/remote/settings";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

export interface RoutedOptions {
  readonly remote: RawRemoteSettings;
  readonly localModel?: string;
  readonly apiKey?: string;
  readonly allowed?: ReadonlySet<string>;
}

/** A RoutedEngine over an in-process local engine, as the extension builds it; its log lines are kept. */
export async function routedEngine(options: RoutedOptions, logs: string[] = []): Promise<RoutedEngine> {
  const log = (level: string, message: string): void => void logs.push(`${level}: ${message}`);
  const engine = new RoutedEngine(new LocalEngine({ machine, log }), {
    log,
    apiKey: () => Promise.resolve(options.apiKey),
    refuseModel: (model, server) => {
      if (!options.allowed || options.allowed.size === 0) return undefined;
      return model.sha256 && options.allowed.has(model.sha256) ? undefined : `${server} serves "${model.id}", which is not in slm.allowedModelHashes: it is not used.`;
    },
  });
  await engine.configure({ modelPath: options.localModel ?? "", threads: 1, contextSize: 4096, gpu: "off", flashAttention: true, remote: { allowNetwork: true, ...options.remote } });
  return engine;
}

export function settingsWith(overrides: Partial<CompletionSettings> = {}): CompletionSettings {
  return { enabled: true, languages: [], multiline: "always", maxTokens: 16, maxTimeMs: 5_000, maxLineSuffix: 8, debounceMs: 0, ...overrides };
}

export function requestFor(lines: string[], line: number, character: number): CompletionRequest {
  return { documentKey: "file:///work/a.ts", fileName: "a.ts", languageId: "typescript", text: { lineCount: lines.length, lineAt: (n) => lines[n]! }, cursor: { line, character }, eol: "\n", explicit: false };
}

/**
 * Idle warm-up at line 150 of a 300-line file (as after a pause there), then `typed` one key at a
 * time; the tokens the warm-up evaluated and those of each keystroke's model call.
 */
export async function typeForward(engine: Engine, typed: string): Promise<{ warmed: number; evaluated: number[]; prompt: number }> {
  const pipeline = new CompletionPipeline({ engine, settings: () => settingsWith(), log: () => undefined });
  const lines = Array.from({ length: 300 }, (_, i) => `export function helper${i}(value: number): number { return value * ${i}; }`);
  lines.splice(150, 0, "");
  const evaluated: number[] = [];
  let prompt = 0;
  const warm = await pipeline.warm(requestFor(lines, 150, 0));
  assert.ok(warm, "the warm-up ran");
  for (let i = 1; i <= typed.length; i++) {
    lines[150] = typed.slice(0, i);
    const outcome = await pipeline.complete(requestFor(lines, 150, i));
    if (outcome.kind === "suggestion" && outcome.fromCache) continue;
    assert.ok(outcome.timings, JSON.stringify(outcome));
    evaluated.push(outcome.timings.evaluatedTokens);
    prompt = outcome.timings.promptTokens;
  }
  return { warmed: warm.evaluatedTokens, evaluated, prompt };
}

