import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { SECTION } from "../config";
import { scanModels } from "../engine/modelScan";
import { modelPicks } from "./modelPicks";

/**
 * Lets the user pick a model and stores it in their settings; the engine reloads live. With
 * slm.modelsDirectory set, offers the models found there (read from their headers, weights not
 * loaded) plus Browse…; without it, goes straight to the file dialog.
 */
export async function selectModel(): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  const current = config.get<string>("modelPath", "");
  const folder = expandHome(config.get<string>("modelsDirectory", "").trim());
  if (!folder) return browseForModel(current);

  const scan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "SLM Assistant: reading model headers…", cancellable: false },
    () => scanModels(folder),
  );
  const picked = await vscode.window.showQuickPick(modelPicks(scan, folder, current), {
    title: `SLM Assistant: choose a model (${folder})`,
    placeHolder: "Models in slm.modelsDirectory: architecture · parameters · quantization · size · context · FIM · chat",
    matchOnDescription: true,
    matchOnDetail: true,
  });
  switch (picked?.action.kind) {
    case "use":
      return useModel(picked.action.path);
    case "browse":
      return browseForModel(current);
    default:
      return;
  }
}

async function browseForModel(current: string): Promise<void> {
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
  if (file) await useModel(file.fsPath);
}

async function useModel(file: string): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  await config.update("modelPath", file, vscode.ConfigurationTarget.Global);
  const inspected = config.inspect<string>("modelPath");
  if (inspected?.workspaceValue || inspected?.workspaceFolderValue) {
    void vscode.window.showWarningMessage(
      "SLM Assistant: this workspace sets its own slm.modelPath, which takes precedence over the model you chose. Remove it from the workspace settings to use the new model here.",
    );
  }
}

function expandHome(value: string): string {
  return value === "~" || value.startsWith("~/") ? path.join(os.homedir(), value.slice(1)) : value;
}
