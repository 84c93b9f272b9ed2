/**
 * The one place that reads settings: every `slm.*` value the extension acts on, in one typed
 * snapshot, validated by each area's pure resolver. Writes stay with the commands that make them.
 */
import * as vscode from "vscode";
import { resolveChatSettings, type ChatSettings } from "./chat/settings";
import { resolveCompletionSettings } from "./completion/settings";
import type { CompletionSettings } from "./completion/types";
import { ENGINE_HOSTS, type EngineHost, type RoutedSettings } from "./engine";
import type { RawEngineSettings } from "./engine/types";
import { networkPathNotice, networkPathReason } from "./models/networkPath";
import type { NextEditSettings } from "./nextEdit/predictor";
import { resolveNextEditSettings } from "./nextEdit/settings";

export const SECTION = "slm";

export interface Settings {
  /** What the engine loads and how, and which features go to a team server (validated by the engine's own resolvers). */
  readonly engine: RoutedSettings;
  /** Where the model runs; read at activation (a change asks for a window reload). */
  readonly engineHost: EngineHost;
  /** slm.unloadAfterMinutes in milliseconds; 0 = never. */
  readonly idleUnloadMs: number;
  readonly completion: CompletionSettings;
  readonly chat: ChatSettings;
  readonly nextEdit: NextEditSettings;
  /** What was wrong with the chat settings as typed, in the user's words. */
  readonly chatNotices: readonly string[];
  readonly allowNetwork: boolean;
  /** As typed; the model policy parses and reports bad entries. */
  readonly allowedModelHashes: readonly unknown[];
  /** As typed (`~` not yet expanded). */
  readonly modelsDirectory: string;
  readonly downloadMirror: unknown;
  readonly downloadExtraModels: unknown;
  /** Path settings refused (network paths while slm.allowNetwork is off), in the user's words. */
  readonly pathNotices: readonly string[];
}

/**
 * What a model is loaded from: `machine` scoped in package.json, so a folder's
 * .vscode/settings.json cannot choose the model, adapters or models folder (VS Code ignores the
 * values; ignoredWorkspaceSettings() names them for the log).
 */
export const MACHINE_PATH_SETTINGS = ["modelPath", "completion.modelPath", "chat.modelPath", "loraAdapters", "modelsDirectory"] as const;

export function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const chat = resolveChatSettings({ maxAnswerTokens: config.get("chat.maxAnswerTokens"), temperature: config.get("chat.temperature") });
  const host = config.get<unknown>("engine.host", "process");
  const minutes = config.get<unknown>("unloadAfterMinutes", 0);
  const hashes = config.get<unknown>("allowedModelHashes", []);
  const allowNetwork = config.get<unknown>("allowNetwork", false) === true;
  const pathNotices: string[] = [];
  const localPath = (key: string, value: unknown): string => {
    const text = stringSetting(value);
    const reason = allowNetwork ? undefined : networkPathReason(text);
    if (!reason) return text;
    pathNotices.push(networkPathNotice(`${SECTION}.${key}`, text, reason));
    return "";
  };
  const adapters = config.get<unknown>("loraAdapters", []);
  return {
    engine: {
      modelPath: localPath("modelPath", config.get("modelPath", "")),
      completionModelPath: localPath("completion.modelPath", config.get("completion.modelPath", "")),
      chatModelPath: localPath("chat.modelPath", config.get("chat.modelPath", "")),
      nextEditModelPath: localPath("nextEdit.modelPath", config.get("nextEdit.modelPath", "")),
      nextEditPromptLookup: config.get<boolean>("nextEdit.promptLookup", true),
      threads: config.get<number>("threads", 0),
      contextSize: config.get<number>("contextSize", 4096),
      gpu: config.get<string>("gpu", "auto"),
      gpuLayers: config.get<unknown>("gpuLayers", "auto"),
      // Entries that are not objects with a path are left for the engine's resolver to report.
      loraAdapters: Array.isArray(adapters) ? adapters.filter((adapter: unknown) => !isString(pathOf(adapter)) || localPath("loraAdapters", pathOf(adapter)) !== "" || stringSetting(pathOf(adapter)) === "") : adapters,
      flashAttention: config.get<boolean>("flashAttention", true),
      // Application scope in package.json: only user (or policy) settings, never a workspace's.
      remote: {
        server: config.get<unknown>("engine.server", ""),
        serverKind: config.get<unknown>("engine.serverKind", "llama-server"),
        completionServer: config.get<unknown>("engine.completionServer", ""),
        chatServer: config.get<unknown>("engine.chatServer", ""),
        serverModel: config.get<unknown>("engine.serverModel", ""),
        caFile: config.get<unknown>("engine.caFile", ""),
        pinnedPublicKeys: config.get<unknown>("engine.pinnedPublicKeys", []),
        fallback: config.get<unknown>("engine.fallback", "none"),
        allowNetwork: config.get<unknown>("allowNetwork", false) === true,
      },
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
      alternatives: config.get("completion.alternatives"),
    }),
    chat: chat.settings,
    nextEdit: resolveNextEditSettings({ enabled: config.get("nextEdit.enabled"), pauseMs: config.get("nextEdit.pauseMs"), maxTimeMs: config.get("nextEdit.maxTimeMs") }),
    chatNotices: chat.notices,
    allowNetwork,
    allowedModelHashes: Array.isArray(hashes) ? hashes : [hashes],
    modelsDirectory: localPath("modelsDirectory", config.get<unknown>("modelsDirectory", "")),
    downloadMirror: config.get<unknown>("downloadMirror"),
    downloadExtraModels: config.get<unknown>("downloadExtraModels"),
    pathNotices,
  };
}

/**
 * The machine-scoped path settings a workspace or folder tried to set. VS Code ignores them and
 * does not even report them through inspect(), so the settings files are read (at most 1 MB each).
 */
export async function ignoredWorkspaceSettings(): Promise<string[]> {
  const files = (vscode.workspace.workspaceFolders ?? []).map((folder) => vscode.Uri.joinPath(folder.uri, ".vscode", "settings.json"));
  if (vscode.workspace.workspaceFile?.scheme === "file") files.push(vscode.workspace.workspaceFile);
  const found = new Set<string>();
  for (const file of files) {
    const text = await vscode.workspace.fs.stat(file).then(
      async (stat) => (stat.size <= 1024 * 1024 ? new TextDecoder().decode(await vscode.workspace.fs.readFile(file)) : ""),
      () => "",
    );
    for (const key of MACHINE_PATH_SETTINGS) if (text.includes(`"${SECTION}.${key}"`)) found.add(`${SECTION}.${key}`);
  }
  return [...found];
}

export function sameSettings(a: RawEngineSettings, b: RawEngineSettings): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function pathOf(adapter: unknown): unknown {
  return typeof adapter === "object" && adapter !== null ? (adapter as { path?: unknown }).path : undefined;
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

/** A string setting as typed; anything else (a number, an object) reads as empty. */
function stringSetting(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}
