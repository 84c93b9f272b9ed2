import * as vscode from "vscode";
import { SECTION } from "../config";
import { readModelInfoOffThread } from "../models/modelInfoOffThread";
import { nextEditFit } from "../models/nextEditModel";
import { Commands } from "./ids";

/** Which feature(s) a chosen model is for. */
export type ModelRole = "both" | "completion" | "chat" | "nextEdit";

/** The setting each role writes: slm.modelPath serves both features unless one has its own. */
export const ROLE_SETTING: Readonly<Record<ModelRole, string>> = {
  both: "modelPath",
  completion: "completion.modelPath",
  chat: "chat.modelPath",
  nextEdit: "nextEdit.modelPath",
};

/**
 * Saves `file` as the model for `role` in the user's settings (the engine reloads live). For both
 * features, per-feature overrides are cleared, since they would hide the model just chosen. Warns
 * when a workspace setting takes precedence.
 */
export async function useModel(file: string, role: ModelRole, log?: vscode.LogOutputChannel): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const key = ROLE_SETTING[role];
  const unchanged = config.inspect<string>(key)?.globalValue === file;
  await config.update(key, file, vscode.ConfigurationTarget.Global);
  log?.info(`Set slm.${key} to ${file}.`);
  // Choosing the model in use again loads it again: after the file was replaced, or to retry one
  // that once crashed the engine (which is otherwise not loaded automatically).
  if (unchanged) await vscode.commands.executeCommand(Commands.reloadModel);
  if (role === "both") {
    for (const override of [ROLE_SETTING.completion, ROLE_SETTING.chat]) {
      if (!config.inspect<string>(override)?.globalValue) continue;
      await config.update(override, undefined, vscode.ConfigurationTarget.Global);
      log?.info(`Cleared slm.${override} so that completion and chat both use the new model.`);
    }
  }
  if (role === "nextEdit") await warnIfNotNextEditModel(file, log);
  else void offerForNextEdits(file, log);
  const inspected = config.inspect<string>(key);
  if (inspected?.workspaceValue || inspected?.workspaceFolderValue) {
    void vscode.window.showWarningMessage(
      `SLM Assistant: this workspace sets its own slm.${key}, which takes precedence over the model you chose. Remove it from the workspace settings to use the new model here.`,
    );
  }
}

/** A plain completion model chosen for next edits works badly; say so once, at the choice. */
async function warnIfNotNextEditModel(file: string, log?: vscode.LogOutputChannel): Promise<void> {
  const info = await readModelInfoOffThread(file).catch(() => undefined);
  if (!info) return; // Unreadable files are reported when the engine loads them.
  const fit = nextEditFit({ name: info.name, file, fileSeparator: info.fileSeparator === true, fim: info.fim });
  if (fit.kind === "nextEdit") return;
  log?.warn(fit.message);
  void vscode.window.showWarningMessage(`SLM Assistant: ${fit.message}`);
}

/**
 * A next-edit model chosen as a general model (the first-run flow's "Choose Model…", the picker)
 * cannot complete or chat well: offer to use it for what it is for.
 */
async function offerForNextEdits(file: string, log?: vscode.LogOutputChannel): Promise<void> {
  const info = await readModelInfoOffThread(file).catch(() => undefined);
  if (!info || nextEditFit({ name: info.name, file, fileSeparator: info.fileSeparator === true, fim: info.fim }).kind !== "nextEdit") return;
  const use = "Use for Next-Edit Suggestions";
  const picked = await vscode.window.showInformationMessage(
    `SLM Assistant: ${info.name} is a next-edit model: it proposes the edit you are about to make, and completes or chats poorly. Use it for next-edit suggestions (slm.nextEdit.modelPath)?`,
    use,
  );
  if (picked === use) await useModel(file, "nextEdit", log);
}
