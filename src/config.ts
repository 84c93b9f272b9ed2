import * as vscode from "vscode";
import type { RawEngineSettings } from "./engine/types";

export const SECTION = "slm";

/** Reads every engine setting in one place; validation happens in the engine's pure resolver. */
export function readEngineSettings(): RawEngineSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  return {
    modelPath: config.get<string>("modelPath", ""),
    threads: config.get<number>("threads", 0),
    contextSize: config.get<number>("contextSize", 4096),
    gpu: config.get<string>("gpu", "auto"),
    flashAttention: config.get<boolean>("flashAttention", true),
  };
}

export function sameSettings(a: RawEngineSettings, b: RawEngineSettings): boolean {
  return (
    a.modelPath === b.modelPath &&
    a.threads === b.threads &&
    a.contextSize === b.contextSize &&
    a.gpu === b.gpu &&
    a.flashAttention === b.flashAttention
  );
}

/** slm.unloadAfterMinutes in milliseconds; 0 (never) for anything not a positive number. */
export function readIdleUnloadMs(): number {
  const minutes = vscode.workspace.getConfiguration(SECTION).get<unknown>("unloadAfterMinutes", 0);
  return typeof minutes === "number" && Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : 0;
}
