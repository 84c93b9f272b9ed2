import * as vscode from "vscode";
import type { CompletionSettings, MultilineMode } from "../types";

const MULTILINE: readonly MultilineMode[] = ["auto", "always", "never"];

/** All completion settings in one read, clamped to sane ranges. */
export function readCompletionSettings(): CompletionSettings {
  const config = vscode.workspace.getConfiguration("slm.completion");
  const multiline = config.get<string>("multiline", "auto");
  return {
    enabled: config.get<boolean>("enabled", true),
    languages: config.get<string[]>("languages", []),
    multiline: (MULTILINE as readonly string[]).includes(multiline) ? (multiline as MultilineMode) : "auto",
    maxTokens: clamp(config.get<number>("maxTokens", 64), 1, 512),
    maxTimeMs: clamp(config.get<number>("maxTimeMs", 1500), 50, 30_000),
    maxLineSuffix: clamp(config.get<number>("maxLineSuffix", 8), 0, 1000),
    debounceMs: clamp(config.get<number>("debounceMs", 150), 0, 2000),
  };
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, Math.round(value))) : min;
}
