import * as os from "node:os";
import * as vscode from "vscode";
import { SECTION } from "../config";
import { Commands } from "./ids";

/**
 * Asks for a folder of models, saves it as slm.modelsDirectory, then opens Select Model, which
 * lists the folder's models. `folder` (a path or Uri) skips the dialog: for the walkthrough's
 * tests and for other commands that already know the folder.
 */
export async function chooseModelsFolder(folder?: string | vscode.Uri): Promise<void> {
  const config = vscode.workspace.getConfiguration(SECTION);
  let chosen = typeof folder === "string" ? folder : folder?.fsPath;
  if (!chosen) {
    const current = config.get<string>("modelsDirectory", "").trim();
    const picked = await vscode.window.showOpenDialog({
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      defaultUri: vscode.Uri.file(current && !current.startsWith("~") ? current : os.homedir()),
      openLabel: "Scan This Folder",
      title: "SLM Assistant: choose a folder of GGUF models",
    });
    chosen = picked?.[0]?.fsPath;
  }
  if (!chosen) return;
  await config.update("modelsDirectory", chosen, vscode.ConfigurationTarget.Global);
  await vscode.commands.executeCommand(Commands.selectModel);
}
