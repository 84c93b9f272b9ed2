import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { SECTION } from "../config";
import { scanModels } from "../models/modelScan";
import { expandHome } from "../engine/settings";
import { modelPicks } from "./modelPicks";
import { type ModelRole, ROLE_SETTING, useModel } from "./useModel";

const ROLE_TITLE: Readonly<Record<ModelRole, string>> = { both: "a model", completion: "the completion model", chat: "the chat model", nextEdit: "the next-edit model" };

/**
 * Lets the user pick a model and stores it in their settings; the engine reloads live. With
 * slm.modelsDirectory set, offers the models found there (read from their headers, weights not
 * loaded) plus Browse…; without it, goes straight to the file dialog.
 */
export async function selectModel(role: ModelRole = "both"): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  // Next edits never fall back to slm.modelPath.
  const current = config.get<string>(ROLE_SETTING[role], "") || (role === "nextEdit" ? "" : config.get<string>("modelPath", ""));
  const folder = expandHome(config.get<string>("modelsDirectory", "").trim(), os.homedir());
  if (!folder) return browseForModel(current, role);

  const scan = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Window, title: "SLM Assistant: reading model headers…", cancellable: false },
    () => scanModels(folder),
  );
  const picked = await vscode.window.showQuickPick(modelPicks(scan, folder, current), {
    title: `SLM Assistant: choose ${ROLE_TITLE[role]} (${folder})`,
    placeHolder: "Models in slm.modelsDirectory: architecture · parameters · quantization · size · context · FIM · chat",
    matchOnDescription: true,
    matchOnDetail: true,
  });
  switch (picked?.action.kind) {
    case "use":
      return useModel(picked.action.path, role);
    case "browse":
      return browseForModel(current, role);
    default:
      return;
  }
}

async function browseForModel(current: string, role: ModelRole): Promise<void> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.Uri.file(current ? path.dirname(current) : os.homedir()),
    filters: { "GGUF models": ["gguf"], "All files": ["*"] },
    openLabel: "Use This Model",
    title: role === "both" ? "SLM Assistant: choose a GGUF model file" : `SLM Assistant: choose ${ROLE_TITLE[role]} (a GGUF file)`,
  });
  const file = picked?.[0];
  if (file) await useModel(file.fsPath, role);
}
