import * as vscode from "vscode";
import type { Engine } from "../../engine/api";
import { readSettings } from "../../config";
import { ExtraContext } from "../../completion/context/extraContext";
import { Disposable } from "../../util/dispose";
import { nextEditFit } from "../../models/nextEditModel";
import { EditHistory } from "../history";
import { cursorWindow } from "../prompt";
import { NextEditPredictor, type NextEditOutcome, type NextEditSettings } from "../predictor";
import type { Proposal } from "../proposal";
import { JumpPresenter } from "./presenter";
import { NextEditStatusItem, type NextEditActivity } from "./statusItem";

/** Documents whose text is kept to diff edits against; beyond this the least recent is dropped. */
const MAX_TRACKED_DOCUMENTS = 32;
const MAX_TRACKED_CHARS = 2_000_000;
/** Characters of related code (other files, recent chunks) in a prompt. */
const RELATED_BUDGET_CHARS = 2_400;

export interface NextEditApi {
  activity(): NextEditActivity;
  /** The change on screen away from the cursor, if any. */
  proposed(): { readonly text: string; readonly removed: string; readonly line: number; readonly atEdit: boolean } | undefined;
}

/**
 * Next-edit suggestions in the editor: records edits, asks after a pause, and shows the proposal
 * as ghost text (an insertion at or after the cursor) or where it is with "Tab to go there".
 * Typing comes first: a keystroke cancels the request in flight and clears what is shown.
 */
export class NextEditFeature extends Disposable implements vscode.InlineCompletionItemProvider {
  private settings: NextEditSettings = readSettings().nextEdit;
  private readonly history = new EditHistory();
  private readonly ring = new ExtraContext();
  private readonly predictor: NextEditPredictor;
  private readonly status = this._register(new NextEditStatusItem());
  private readonly presenter = this._register(new JumpPresenter((how) => this.status.set({ kind: "none", reason: how, detail: how === "applied" ? "the proposed edit was applied" : "you dismissed the proposal" })));
  private readonly texts = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private ghost?: { readonly uri: string; readonly version: number; readonly proposal: Extract<Proposal, { kind: "ghost" }> };
  private hasModel = false;
  private checkedModel?: string;

  constructor(
    private readonly engine: Engine,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.predictor = new NextEditPredictor(engine, this.history, () => this.settings);
    this._register(vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, this));
    this._register(vscode.workspace.onDidChangeTextDocument((event) => this.onEdit(event)));
    this._register(vscode.workspace.onDidCloseTextDocument((document) => this.forget(document.uri.toString())));
    this._register(vscode.window.onDidChangeActiveTextEditor((editor) => editor && this.remember(editor)));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration("slm.nextEdit")) this.settings = readSettings().nextEdit;
        this.refreshStatus();
      }),
    );
    this._register(
      engine.onDidChangeState((state) => {
        this.refreshStatus();
        const model = state.lanes?.nextEdit;
        if (state.kind === "ready" && model && model.path !== this.checkedModel) {
          this.checkedModel = model.path;
          void this.checkModel(model.name, model.path);
        }
      }),
    );
    this._register({ dispose: () => this.cancel() });
    for (const editor of vscode.window.visibleTextEditors) this.remember(editor);
    this.refreshStatus();
  }

  get api(): NextEditApi {
    return {
      activity: () => this.status.activity,
      proposed: () => {
        const current = this.presenter.current;
        return current && { text: current.edit.text, removed: current.edit.removed, line: current.edit.range.start.line, atEdit: current.atEdit };
      },
    };
  }

  tab(): Promise<void> {
    return this.presenter.tab();
  }

  dismiss(): void {
    this.presenter.dismiss();
    if (this.ghost) {
      this.ghost = undefined;
      void vscode.commands.executeCommand("editor.action.inlineSuggest.hide");
    }
  }

  provideInlineCompletionItems(document: vscode.TextDocument, position: vscode.Position): vscode.InlineCompletionItem[] | undefined {
    const ghost = this.ghost;
    if (ghost?.uri !== document.uri.toString() || ghost.version !== document.version) return undefined;
    const { start, end } = ghost.proposal.range;
    if (position.line !== start.line || position.character !== start.character) return undefined;
    return [new vscode.InlineCompletionItem(ghost.proposal.insertText, new vscode.Range(start.line, start.character, end.line, end.character))];
  }

  private onEdit(event: vscode.TextDocumentChangeEvent): void {
    const document = event.document;
    if (event.contentChanges.length === 0 || !trackable(document)) return;
    const key = document.uri.toString();
    const before = this.texts.get(key);
    const after = document.getText();
    this.texts.set(key, after);
    if (before === undefined || after.length > MAX_TRACKED_CHARS) return;
    this.history.record(key, vscode.workspace.asRelativePath(document.uri, false), normalize(before), normalize(after), Date.now());
    // Typing comes first: what was proposed for the old text is stale, and the model waits.
    this.cancel();
    if (this.presenter.active) this.presenter.clear();
    this.ghost = undefined;
    if (this.hasModel && this.settings.enabled && document === vscode.window.activeTextEditor?.document) {
      this.timer = setTimeout(() => void this.predictNow(), this.settings.pauseMs);
    }
  }

  private async predictNow(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor || !trackable(editor.document)) return;
    const document = editor.document;
    const version = document.version;
    const lines = normalize(document.getText()).split("\n");
    const cursor = editor.selection.active;
    this.status.set({ kind: "working" });
    const window = cursorWindow(lines.length, cursor.line);
    const outcome = await this.predictor.predict({
      file: document.uri.toString(),
      path: vscode.workspace.asRelativePath(document.uri, false),
      lines,
      cursor: { line: cursor.line, character: cursor.character },
      related: this.ring.select(RELATED_BUDGET_CHARS, lines.slice(window.start, window.end).join("\n")).map((chunk) => ({ path: chunk.file, text: chunk.text })),
    });
    if (outcome.kind === "cancelled") return;
    this.logOutcome(document, outcome);
    if (document.version !== version || vscode.window.activeTextEditor !== editor) {
      this.status.set({ kind: "idle" });
      return;
    }
    this.present(editor, outcome);
  }

  private present(editor: vscode.TextEditor, outcome: Exclude<NextEditOutcome, { kind: "cancelled" }>): void {
    switch (outcome.kind) {
      case "error":
        this.status.set({ kind: "error", message: outcome.message });
        return;
      case "none":
        this.status.set({ kind: "none", reason: outcome.reason, detail: outcome.detail });
        return;
      case "proposal":
        this.status.set({ kind: "proposed", where: outcome.proposal.kind, ms: outcome.ms });
        if (outcome.proposal.kind === "ghost") {
          this.ghost = { uri: editor.document.uri.toString(), version: editor.document.version, proposal: outcome.proposal };
          void vscode.commands.executeCommand("editor.action.inlineSuggest.trigger");
        } else {
          this.presenter.show(editor, outcome.proposal.edit);
        }
    }
  }

  private logOutcome(document: vscode.TextDocument, outcome: Exclude<NextEditOutcome, { kind: "cancelled" }>): void {
    const where = `${vscode.workspace.asRelativePath(document.uri, false)}`;
    if (outcome.kind === "error") {
      this.log.warn(`next edit ${where}: ${outcome.message}`);
      return;
    }
    const result = outcome.result;
    const timings = result
      ? `; prompt ${result.promptTokens} tokens (${result.reusedTokens} reused), ${result.generatedTokens} generated in ${(result.evalMs + result.generateMs).toFixed(0)} ms${result.draftTokens ? `, ${result.draftTokens.accepted} drafted tokens accepted, ${result.draftTokens.refuted} refuted` : ""}`
      : "";
    const what = outcome.kind === "proposal" ? `proposed ${outcome.proposal.kind === "ghost" ? "ghost text" : `a change at line ${outcome.proposal.edit.range.start.line + 1}`}` : `nothing (${outcome.detail})`;
    this.log.info(`next edit ${where}: ${what} in ${outcome.ms.toFixed(0)} ms${timings}`);
  }

  /** Said once per loaded model: a model that is not a next-edit model, or cannot read the prompt. */
  private async checkModel(name: string, file: string): Promise<void> {
    const separator = await this.engine.tokenize("nextEdit", "<|file_sep|>", true).catch(() => undefined);
    if (!separator) return;
    const facts = await this.engine.laneFacts("nextEdit").catch(() => undefined);
    const fit = nextEditFit({ name, file, fileSeparator: separator.length === 1, fim: facts?.fim.format !== undefined });
    if (fit.kind === "nextEdit") return;
    this.log.warn(fit.message);
    if (fit.kind === "unusable") this.status.set({ kind: "error", message: fit.message });
  }

  private remember(editor: vscode.TextEditor): void {
    const document = editor.document;
    if (!trackable(document) || document.getText().length > MAX_TRACKED_CHARS) return;
    const key = document.uri.toString();
    if (!this.texts.has(key)) this.texts.set(key, document.getText());
    while (this.texts.size > MAX_TRACKED_DOCUMENTS) this.texts.delete(this.texts.keys().next().value!);
    const line = editor.selection.active.line;
    const from = Math.max(0, line - 32);
    const lines: string[] = [];
    for (let i = from; i < Math.min(document.lineCount, from + 64); i++) lines.push(document.lineAt(i).text.slice(0, 400));
    this.ring.addAround(vscode.workspace.asRelativePath(document.uri, false), lines, line - from);
  }

  private forget(key: string): void {
    this.texts.delete(key);
    this.history.forget(key);
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.predictor.cancel();
  }

  private refreshStatus(): void {
    this.hasModel = (readSettings().engine.nextEditModelPath ?? "").trim() !== "";
    const kind = this.status.activity.kind;
    if (!this.settings.enabled) this.status.set({ kind: "off" });
    else if (!this.hasModel) this.status.set({ kind: "noModel" });
    else if (kind === "noModel" || kind === "off") this.status.set({ kind: "idle" });
  }
}

function trackable(document: vscode.TextDocument): boolean {
  return document.uri.scheme === "file" || document.uri.scheme === "untitled" || document.uri.scheme === "vscode-remote";
}

function normalize(text: string): string {
  return text.includes("\r\n") ? text.replace(/\r\n/g, "\n") : text;
}
