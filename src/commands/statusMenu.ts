import * as vscode from "vscode";
import type { Engine } from "../engine/api";
import type { CommandId } from "./ids";
import { statusMenuItems } from "./statusMenuItems";

interface MenuItem extends vscode.QuickPickItem {
  readonly command?: CommandId;
}

/** The status bar's menu (rows from statusMenuItems); runs the chosen row's command. */
export async function showStatusMenu(engine: Engine): Promise<void> {
  const items: MenuItem[] = statusMenuItems(engine.state).map(({ separator, ...entry }) =>
    separator ? { label: entry.label, kind: vscode.QuickPickItemKind.Separator } : entry,
  );
  const choice = await vscode.window.showQuickPick(items, {
    title: "SLM Assistant",
    placeHolder: engine.state.kind === "noModel" ? "Choose how to get a model" : undefined,
    matchOnDetail: true,
  });
  if (choice?.command) await vscode.commands.executeCommand(choice.command);
}
