import * as vscode from "vscode";
import { readSettings } from "../config";
import type { Engine } from "../engine/api";
import { type HashCacheStore, modelSha256 } from "../models/modelHash";
import type { ModelPolicy } from "../modelPolicy";
import { runtimeReport } from "./runtimeInfo";

/**
 * Opens a Markdown report of what runs (model files, SHA-256, backend, threads, context size,
 * network) and returns its text. Hashes come from the same cache the allowlist uses.
 */
export async function showRuntimeInfo(engine: Engine, store: HashCacheStore, policy: ModelPolicy, view: RuntimeReportDocument): Promise<string> {
  const state = engine.state;
  const hashOf = async (file: string): Promise<string> => {
    try {
      const hash = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "SLM: hashing the model file" }, () => modelSha256(file, store));
      return hash.sha256;
    } catch (error) {
      return `cannot be computed (${error instanceof Error ? error.message : String(error)})`;
    }
  };
  const models = [];
  for (const model of state.models ?? []) models.push({ ...model, sha256: await hashOf(model.summary.path) });
  const report = runtimeReport({
    state,
    models,
    sha256: models.length === 0 && state.modelPath ? await hashOf(state.modelPath) : "no model file",
    allowNetwork: readSettings().allowNetwork,
    allowlistSize: policy.allowlistSize,
  });
  await view.show(report);
  return report;
}

/** VS Code's built-in Markdown preview (the markdown-language-features extension). */
const MARKDOWN_PREVIEW = "markdown.showPreview";

/**
 * The report as a read-only document (`slm-runtime:` scheme), shown rendered in the Markdown
 * preview: it is not an unsaved Untitled file that asks "Save changes?" when closed. Showing it
 * again refreshes the same tab.
 */
export class RuntimeReportDocument implements vscode.TextDocumentContentProvider {
  static readonly uri = vscode.Uri.from({ scheme: "slm-runtime", path: "/SLM Assistant - what is running.md" });
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;
  private text = "";

  register(): vscode.Disposable {
    return vscode.Disposable.from(this.changed, vscode.workspace.registerTextDocumentContentProvider(RuntimeReportDocument.uri.scheme, this));
  }

  provideTextDocumentContent(): string {
    return this.text;
  }

  async show(text: string): Promise<void> {
    this.text = text;
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === RuntimeReportDocument.uri.toString());
    if (open && open.getText() !== text) {
      // An open report is refreshed asynchronously: wait for it, so the tab never shows the old one.
      const refreshed = new Promise<void>((resolve) => {
        const finish = (): void => {
          clearTimeout(timer);
          listener.dispose();
          resolve();
        };
        const listener = vscode.workspace.onDidChangeTextDocument((e) => e.document === open && finish());
        const timer = setTimeout(finish, 2_000);
      });
      this.changed.fire(RuntimeReportDocument.uri);
      await refreshed;
    }
    const document = await vscode.workspace.openTextDocument(RuntimeReportDocument.uri);
    if (document.languageId !== "markdown") await vscode.languages.setTextDocumentLanguage(document, "markdown");
    // Rendered by VS Code's built-in Markdown preview (the command activates that extension, so it
    // is not looked up in getCommands()); its source where that extension is disabled.
    const shown = await vscode.commands.executeCommand(MARKDOWN_PREVIEW, RuntimeReportDocument.uri).then(
      () => true,
      () => false,
    );
    if (!shown) await vscode.window.showTextDocument(document, { preview: true });
  }
}
