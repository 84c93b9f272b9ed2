import * as vscode from "vscode";
import type { LocalModelEngine } from "../engine/engine";
import { Commands, type CommandId } from "./ids";

interface MenuItem extends vscode.QuickPickItem {
  readonly command?: CommandId;
}

/** The status bar's menu: what is happening, and the actions that make sense now. */
export async function showStatusMenu(engine: LocalModelEngine): Promise<void> {
  const state = engine.state;
  const items: MenuItem[] = [];
  if (state.kind === "error" && state.error) {
    items.push({ label: "$(error) The model failed to load", detail: state.error.message });
  } else if (state.kind === "ready" || state.kind === "busy") {
    items.push({
      label: `$(check) ${state.modelName ?? "Model"} is ready`,
      detail: `${state.modelPath} · ${state.contextSize} tokens · ${state.threads} threads · ${state.gpu}`,
    });
  } else if (state.kind === "loading") {
    items.push({ label: `$(loading~spin) Loading ${Math.round((state.progress ?? 0) * 100)}%`, detail: state.modelPath });
  } else {
    items.push({ label: "$(circle-slash) No model is set", detail: "Choose a .gguf model file to start." });
  }
  for (const notice of state.notices) items.push({ label: "$(warning) Setting adjusted", detail: notice });
  items.push({ label: "", kind: vscode.QuickPickItemKind.Separator });
  items.push({ label: "$(folder-opened) Select Model…", command: Commands.selectModel });
  if (state.modelPath) items.push({ label: "$(refresh) Reload Model", command: Commands.reloadModel });
  items.push({ label: "$(output) Show Log", command: Commands.showLog });
  items.push({ label: "$(gear) Open Settings", command: Commands.openSettings });

  const choice = await vscode.window.showQuickPick(items, { title: "SLM Assistant", matchOnDetail: true });
  if (choice?.command) await vscode.commands.executeCommand(choice.command);
}
