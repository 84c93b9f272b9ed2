import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { SECTION } from "../config";

/** Lets the user pick a .gguf file and stores it in their settings; the engine reloads live. */
export async function selectModel(): Promise<void> {
  const current = vscode.workspace.getConfiguration(SECTION).get<string>("modelPath", "");
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(current ? path.dirname(current) : os.homedir()),
    filters: { "GGUF models": ["gguf"], "All files": ["*"] },
    openLabel: "Use This Model",
    title: "SLM Assistant: choose a GGUF model file",
  });
  const file = picked?.[0];
  if (!file) return;
  const config = vscode.workspace.getConfiguration(SECTION);
  await config.update("modelPath", file.fsPath, vscode.ConfigurationTarget.Global);
  const inspected = config.inspect<string>("modelPath");
  if (inspected?.workspaceValue || inspected?.workspaceFolderValue) {
    void vscode.window.showWarningMessage(
      "SLM Assistant: this workspace sets its own slm.modelPath, which takes precedence over the model you chose. Remove it from the workspace settings to use the new model here.",
    );
  }
}
