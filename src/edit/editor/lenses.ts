import * as vscode from "vscode";
import { Disposable } from "../../util/dispose";
import { Commands } from "../../commands/ids";
import type { EditSession } from "./editSession";

/** Accept / reject buttons above the proposal, and above each change in it. */
export class EditLenses extends Disposable implements vscode.CodeLensProvider {
  private readonly changed = this._register(new vscode.EventEmitter<void>());
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly current: () => EditSession | undefined) {
    super();
  }

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const session = this.current();
    if (session?.proposalUri.toString() !== document.uri.toString()) return [];
    const hunks = session.hunks();
    const first = session.proposedLine({ aStart: 0, aEnd: 0, bStart: 0, bEnd: 0 });
    const top = new vscode.Range(first, 0, first, 0);
    if (session.status === "streaming") {
      return [
        new vscode.CodeLens(top, { title: "$(sync~spin) SLM is rewriting…", command: "" }),
        new vscode.CodeLens(top, { title: "Stop and discard", command: Commands.editRejectAll }),
      ];
    }
    if (session.status !== "review") return [];
    const lenses = [
      new vscode.CodeLens(top, { title: `$(check) Accept all ${hunks.length === 1 ? "" : `${hunks.length} changes`}`.trim(), command: Commands.editAcceptAll }),
      new vscode.CodeLens(top, { title: "$(close) Reject all", command: Commands.editRejectAll }),
    ];
    if (hunks.length > 1) {
      hunks.forEach((hunk, index) => {
        const line = session.proposedLine(hunk);
        const at = new vscode.Range(line, 0, line, 0);
        lenses.push(
          new vscode.CodeLens(at, { title: "Accept this change", command: Commands.editAcceptChange, arguments: [index] }),
          new vscode.CodeLens(at, { title: "Reject this change", command: Commands.editRejectChange, arguments: [index] }),
        );
      });
    }
    return lenses;
  }
}
