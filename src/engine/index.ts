/**
 * The engine façade: the one place that chooses where the model runs. `process` (the default)
 * runs node-llama-cpp in a child process the extension starts and supervises; `inProcess` runs it
 * in the extension host itself, where a llama.cpp crash ends the extension host too.
 */
import type { Engine, LogLevel } from "./api";
import { ProcessEngine, type ProcessEngineOptions } from "./host/processEngine";
import { LocalEngine } from "./local/localEngine";
import { disposeSharedLlamas } from "./local/llamaRuntime";
import { RoutedEngine, type RemoteDeps } from "./remote/routedEngine";

export type EngineHost = "process" | "inProcess";
export const ENGINE_HOSTS: readonly EngineHost[] = ["process", "inProcess"];

export interface EngineOptions extends ProcessEngineOptions {
  readonly host: EngineHost;
  /** API keys and the allowlist for features on a team server (slm.engine.server). */
  readonly remote: RemoteDeps;
}

/** The local engine, with each feature sent to a team server instead when the settings say so. */
export function createEngine(options: EngineOptions): RoutedEngine {
  return new RoutedEngine(createLocalEngine(options), { ...options.remote, log: options.log });
}

function createLocalEngine(options: EngineOptions): Engine {
  if (options.host === "process") {
    options.log("info", "The model runs in its own process (slm.engine.host: process): a llama.cpp crash cannot take the editor down.");
    return new ProcessEngine(options);
  }
  options.log("info", "The model runs inside the extension host (slm.engine.host: inProcess): a llama.cpp crash ends the extension host.");
  const engine = new LocalEngine({ machine: options.machine, log: options.log, checkModel: options.checkModel });
  const dispose = engine.dispose.bind(engine);
  engine.dispose = () => dispose().then(disposeSharedLlamas);
  return engine;
}

export type { Engine, LogLevel };
export type { RoutedEngine, RoutedSettings } from "./remote/routedEngine";
