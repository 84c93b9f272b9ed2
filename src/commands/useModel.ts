import * as vscode from "vscode";
import { SECTION } from "../config";
import { Commands } from "./ids";

/** Which feature(s) a chosen model is for. */
export type ModelRole = "both" | "completion" | "chat";

/** The setting each role writes: slm.modelPath serves both features unless one has its own. */
export const ROLE_SETTING: Readonly<Record<ModelRole, string>> = { both: "modelPath", completion: "completion.modelPath", chat: "chat.modelPath" };

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
  const inspected = config.inspect<string>(key);
  if (inspected?.workspaceValue || inspected?.workspaceFolderValue) {
    void vscode.window.showWarningMessage(
      `SLM Assistant: this workspace sets its own slm.${key}, which takes precedence over the model you chose. Remove it from the workspace settings to use the new model here.`,
    );
  }
}
