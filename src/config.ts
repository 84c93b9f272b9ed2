/**
 * The one place that reads settings: every `slm.*` value the extension acts on, in one typed
 * snapshot, validated by each area's pure resolver. Writes stay with the commands that make them.
 */
import * as vscode from "vscode";
import { resolveChatSettings, type ChatSettings } from "./chat/settings";
import { resolveCompletionSettings } from "./completion/settings";
import type { CompletionSettings } from "./completion/types";
import { ENGINE_HOSTS, type EngineHost } from "./engine";
import type { RawEngineSettings } from "./engine/types";

export const SECTION = "slm";

export interface Settings {
  /** What the engine loads and how (validated by the engine's own resolver). */
  readonly engine: RawEngineSettings;
  /** Where the model runs; read at activation (a change asks for a window reload). */
  readonly engineHost: EngineHost;
  /** slm.unloadAfterMinutes in milliseconds; 0 = never. */
  readonly idleUnloadMs: number;
  readonly completion: CompletionSettings;
  readonly chat: ChatSettings;
  /** What was wrong with the chat settings as typed, in the user's words. */
  readonly chatNotices: readonly string[];
  readonly allowNetwork: boolean;
  /** As typed; the model policy parses and reports bad entries. */
  readonly allowedModelHashes: readonly unknown[];
  /** As typed (`~` not yet expanded). */
  readonly modelsDirectory: string;
  readonly downloadMirror: unknown;
  readonly downloadExtraModels: unknown;
}

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const chat = resolveChatSettings({ maxAnswerTokens: config.get("chat.maxAnswerTokens"), temperature: config.get("chat.temperature") });
  const host = config.get<unknown>("engine.host", "process");
  const minutes = config.get<unknown>("unloadAfterMinutes", 0);
  const hashes = config.get<unknown>("allowedModelHashes", []);
  return {
    engine: {
      modelPath: config.get<string>("modelPath", ""),
      completionModelPath: config.get<string>("completion.modelPath", ""),
      chatModelPath: config.get<string>("chat.modelPath", ""),
      threads: config.get<number>("threads", 0),
      contextSize: config.get<number>("contextSize", 4096),
      gpu: config.get<string>("gpu", "auto"),
      gpuLayers: config.get<unknown>("gpuLayers", "auto"),
      loraAdapters: config.get<unknown>("loraAdapters", []),
      flashAttention: config.get<boolean>("flashAttention", true),
    },
    engineHost: ENGINE_HOSTS.includes(host as EngineHost) ? (host as EngineHost) : "process",
    idleUnloadMs: typeof minutes === "number" && Number.isFinite(minutes) && minutes > 0 ? minutes * 60_000 : 0,
    completion: resolveCompletionSettings({
      enabled: config.get("completion.enabled"),
      languages: config.get("completion.languages"),
      multiline: config.get("completion.multiline"),
      maxTokens: config.get("completion.maxTokens"),
      maxTimeMs: config.get("completion.maxTimeMs"),
      maxLineSuffix: config.get("completion.maxLineSuffix"),
      debounceMs: config.get("completion.debounceMs"),
    }),
    chat: chat.settings,
    chatNotices: chat.notices,
    allowNetwork: config.get<unknown>("allowNetwork", false) === true,
    allowedModelHashes: Array.isArray(hashes) ? hashes : [hashes],
    modelsDirectory: stringSetting(config.get<unknown>("modelsDirectory", "")),
    downloadMirror: config.get<unknown>("downloadMirror"),
    downloadExtraModels: config.get<unknown>("downloadExtraModels"),
  };
}

export function sameSettings(a: RawEngineSettings, b: RawEngineSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A string setting as typed; anything else (a number, an object) reads as empty. */
function stringSetting(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}
