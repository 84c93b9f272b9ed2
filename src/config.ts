import * as vscode from "vscode";
import { ENGINE_HOSTS, type EngineHost } from "./engine";
import type { RawEngineSettings } from "./engine/types";

export const SECTION = "slm";

/** Reads every engine setting in one place; validation happens in the engine's pure resolver. */
export function readEngineSettings(): RawEngineSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    modelPath: config.get<string>("modelPath", ""),
    completionModelPath: config.get<string>("completion.modelPath", ""),
    chatModelPath: config.get<string>("chat.modelPath", ""),
    threads: config.get<number>("threads", 0),
    contextSize: config.get<number>("contextSize", 4096),
    gpu: config.get<string>("gpu", "auto"),
    gpuLayers: config.get<unknown>("gpuLayers", "auto"),
    loraAdapters: config.get<unknown>("loraAdapters", []),
    flashAttention: config.get<boolean>("flashAttention", true),
  };
}

export function sameSettings(a: RawEngineSettings, b: RawEngineSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** slm.unloadAfterMinutes in milliseconds; 0 (never) for anything not a positive number. */
export function readIdleUnloadMs(): number {
  const minutes = vscode.workspace.getConfiguration(SECTION).get<unknown>("unloadAfterMinutes", 0);
  return typeof minutes === "number" && Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : 0;
}

/** slm.engine.host: where the model runs; read once per activation (a change asks for a window reload). */
export function readEngineHost(): EngineHost {
  const host = vscode.workspace.getConfiguration(SECTION).get<unknown>("engine.host", "process");
  return ENGINE_HOSTS.includes(host as EngineHost) ? (host as EngineHost) : "process";
}
