import * as path from "node:path";
import * as vscode from "vscode";
import { clipLongLines } from "../clip";
import type { CompletionRequest } from "../types";

/**
 * A request over the live document: lines are read on demand, never the whole text, and none
 * longer than MAX_LINE_CHARS (clip.ts).
 */
export function toCompletionRequest(
  document: vscode.TextDocument,
  position: vscode.Position,
  explicit: boolean,
  options?: vscode.TextEditorOptions,
): CompletionRequest {
  // A selection can trail a change that just shortened the document: keep the position inside it.
  position = document.validatePosition(position);
  const folder = vscode.workspace.getWorkspaceFolder(document.uri);
  const fileName = folder ? path.relative(folder.uri.fsPath, document.uri.fsPath) : path.basename(document.uri.path) || "untitled";
  return clipLongLines({
    documentKey: document.uri.toString(),
    fileName: fileName.split(path.sep).join("/"),
    languageId: document.languageId,
    // Read while the pipeline works: a line the document no longer has (it changed since) reads as empty.
    text: { lineCount: document.lineCount, lineAt: (line) => (line < document.lineCount ? document.lineAt(line).text : "") },
    cursor: { line: position.line, character: position.character },
    eol: document.eol === vscode.EndOfLine.CRLF ? "\r\n" : "\n",
    explicit,
    insertSpaces: typeof options?.insertSpaces === "boolean" ? options.insertSpaces : undefined,
    tabSize: typeof options?.tabSize === "number" ? options.tabSize : undefined,
  });
}

/** A CancellationToken as an AbortSignal; the listener is removed by the returned dispose. */
export function abortSignalOf(token: vscode.CancellationToken): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  const listener = token.onCancellationRequested(() => controller.abort());
  return {
    signal: controller.signal,
    dispose: () => {
      listener.dispose();
    },
  };
}
