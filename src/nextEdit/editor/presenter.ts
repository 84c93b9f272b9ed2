import * as vscode from "vscode";
import { Disposable } from "../../util/dispose";
import type { ProposedEdit } from "../proposal";

/** Set while a change elsewhere is proposed: Tab and Escape are ours then (package.json keybindings). */
export const PROPOSED_CONTEXT_KEY = "slm.nextEditProposed";

interface Shown {
  readonly editor: vscode.TextEditor;
  readonly version: number;
  readonly edit: ProposedEdit;
  /** Tab once moved the cursor there; Tab again applies. */
  atEdit: boolean;
}

/**
 * Shows a proposed change away from the cursor where it is: the text it replaces struck through,
 * the new text beside it, and "Tab to go there" (then "Tab to apply"). Applying is one edit with
 * undo stops on both sides, so one undo reverts it.
 */
export class JumpPresenter extends Disposable {
  private readonly removedType = this._register(
    vscode.window.createTextEditorDecorationType({
      textDecoration: "line-through",
      color: new vscode.ThemeColor("disabledForeground"),
      backgroundColor: new vscode.ThemeColor("diffEditor.removedTextBackground"),
    }),
  );
  private readonly addedType = this._register(vscode.window.createTextEditorDecorationType({}));
  private readonly hintType = this._register(vscode.window.createTextEditorDecorationType({}));
  private shown?: Shown;

  constructor(private readonly onClosed: (how: "applied" | "dismissed") => void) {
    super();
    this._register({ dispose: () => this.clear() });
  }

  get active(): boolean {
    return this.shown !== undefined;
  }

  /** The proposal on screen, for tests and diagnostics. */
  get current(): { readonly edit: ProposedEdit; readonly atEdit: boolean } | undefined {
    return this.shown && { edit: this.shown.edit, atEdit: this.shown.atEdit };
  }

  show(editor: vscode.TextEditor, edit: ProposedEdit): void {
    this.clear();
    this.shown = { editor, version: editor.document.version, edit, atEdit: false };
    this.render();
    void vscode.commands.executeCommand("setContext", PROPOSED_CONTEXT_KEY, true);
  }

  /** Tab: go to the change, or apply it when the cursor is already there. */
  async tab(): Promise<void> {
    const shown = this.shown;
    if (!shown) return;
    if (shown.editor.document.version !== shown.version || shown.editor.document.isClosed) {
      this.clear();
      return;
    }
    const range = toRange(shown.edit);
    if (!shown.atEdit) {
      shown.atEdit = true;
      shown.editor.selection = new vscode.Selection(range.start, range.start);
      shown.editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      this.render();
      return;
    }
    const { editor, edit } = shown;
    this.clear();
    const applied = await editor.edit((builder) => builder.replace(range, edit.text), { undoStopBefore: true, undoStopAfter: true });
    if (applied) {
      const end = endOf(range.start, edit.text);
      editor.selection = new vscode.Selection(end, end);
      this.onClosed("applied");
    }
  }

  /** Escape. */
  dismiss(): void {
    if (!this.shown) return;
    this.clear();
    this.onClosed("dismissed");
  }

  clear(): void {
    const shown = this.shown;
    this.shown = undefined;
    if (shown && !shown.editor.document.isClosed) {
      for (const type of [this.removedType, this.addedType, this.hintType]) shown.editor.setDecorations(type, []);
    }
    void vscode.commands.executeCommand("setContext", PROPOSED_CONTEXT_KEY, false);
  }

  private render(): void {
    const shown = this.shown;
    if (!shown) return;
    const range = toRange(shown.edit);
    const added = shown.edit.text.replace(/\r?\n/g, " ⏎ ");
    shown.editor.setDecorations(this.removedType, range.isEmpty ? [] : [range]);
    shown.editor.setDecorations(this.addedType, [
      {
        range: new vscode.Range(range.end, range.end),
        renderOptions: {
          after: {
            contentText: added === "" ? "(delete)" : added,
            color: new vscode.ThemeColor("editor.foreground"),
            backgroundColor: new vscode.ThemeColor("diffEditor.insertedTextBackground"),
            margin: "0 0 0 2px",
          },
        },
      },
    ]);
    const lineEnd = shown.editor.document.lineAt(range.end.line).range.end;
    shown.editor.setDecorations(this.hintType, [
      {
        range: new vscode.Range(lineEnd, lineEnd),
        renderOptions: {
          after: { contentText: shown.atEdit ? "  Tab to apply · Esc to dismiss" : "  Tab to go there", color: new vscode.ThemeColor("editorCodeLens.foreground"), fontStyle: "italic" },
        },
      },
    ]);
  }
}

function toRange(edit: ProposedEdit): vscode.Range {
  return new vscode.Range(edit.range.start.line, edit.range.start.character, edit.range.end.line, edit.range.end.character);
}

function endOf(start: vscode.Position, text: string): vscode.Position {
  const lines = text.split(/\r?\n/);
  return lines.length === 1 ? start.translate(0, text.length) : new vscode.Position(start.line + lines.length - 1, lines.at(-1)!.length);
}
