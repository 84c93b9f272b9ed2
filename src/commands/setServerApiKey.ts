import * as vscode from "vscode";
import { readSettings } from "../config";
import { parseEndpoint, SERVER_KINDS, type ServerKind } from "../engine/remote/settings";
import type { ServerKeys } from "../serverKeys";

/**
 * SLM: Set Server API Key…: asks for the key of a configured server (a password box) and keeps it
 * in SecretStorage under the server's origin. An empty entry removes the stored key. The key is
 * never written to settings or to the log.
 */
export async function setServerApiKey(keys: ServerKeys, log: vscode.LogOutputChannel): Promise<void> {
  const remote = readSettings().engine.remote;
  const kind = SERVER_KINDS.includes(remote?.serverKind as ServerKind) ? (remote?.serverKind as ServerKind) : "llama-server";
  const origins = new Set<string>();
  for (const typed of [remote?.server, remote?.completionServer, remote?.chatServer]) {
    if (typeof typed !== "string" || typed.trim() === "" || typed.trim().toLowerCase() === "local") continue;
    const endpoint = parseEndpoint(typed.trim(), kind, undefined, "slm.engine.server");
    if (typeof endpoint !== "string") origins.add(endpoint.origin);
  }
  if (origins.size === 0) {
    const open = "Open Settings";
    const choice = await vscode.window.showWarningMessage("SLM Assistant: no server is configured. Set slm.engine.server (a user setting) first.", open);
    if (choice === open) await vscode.commands.executeCommand("workbench.action.openSettings", "slm.engine.server");
    return;
  }
  const origin = origins.size === 1 ? [...origins][0] : await vscode.window.showQuickPick([...origins], { title: "SLM: API key for which server?" });
  if (!origin) return;
  const key = await vscode.window.showInputBox({
    title: `SLM: API key for ${origin}`,
    prompt: "Stored in the editor's secret storage (the OS keychain), never in settings or logs. Leave empty to remove the stored key.",
    password: true,
    ignoreFocusOut: true,
  });
  if (key === undefined) return;
  await keys.set(origin, key.trim() || undefined);
  log.info(key.trim() ? `An API key for ${origin} was stored in the secret storage.` : `The API key for ${origin} was removed.`);
}
