import * as vscode from "vscode";
import { applyHunk, diffLines, revertHunk, type Hunk } from "../lineDiff";

export type SessionStatus = "streaming" | "review" | "done";

/**
 * One proposed rewrite of a region of a document. The document is not touched until a change is
 * accepted; the proposal is shown as the whole file with the region replaced (the diff's right side).
 */
export class EditSession {
  status: SessionStatus = "streaming";
  /** The region as it is in the file now (accepted changes included). */
  private base: string;
  /** What the region would become. */
  private proposal: string;
  /** Set while our own accept edits the document, so the change is not taken for the user's. */
  applying = false;

  constructor(
    readonly document: vscode.TextDocument,
    /** Where the region starts in the document; edits happen only inside the region. */
    private readonly startOffset: number,
    readonly original: string,
    readonly proposalUri: vscode.Uri,
    readonly abort: AbortController,
  ) {
    this.base = original;
    this.proposal = original;
  }

  get proposedRegion(): string {
    return this.proposal;
  }

  /** The whole file as it would read with the proposal. */
  proposedFile(): string {
    const text = this.document.getText();
    return text.slice(0, this.startOffset) + this.proposal + text.slice(this.startOffset + this.base.length);
  }

  setProposal(region: string): void {
    this.proposal = region;
  }

  hunks(): Hunk[] {
    return diffLines(this.base, this.proposal);
  }

  /** The line of the proposed file where a hunk starts (for its CodeLens). */
  proposedLine(hunk: Hunk): number {
    return this.document.positionAt(this.startOffset).line + hunk.bStart;
  }

  /** The region in the document as it is now. */
  private regionRange(): vscode.Range {
    return new vscode.Range(this.document.positionAt(this.startOffset), this.document.positionAt(this.startOffset + this.base.length));
  }

  /** Writes `region` into the file as one edit (one undo step). */
  private async write(region: string): Promise<boolean> {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(this.document.uri, this.regionRange(), region);
    this.applying = true;
    try {
      const applied = await vscode.workspace.applyEdit(edit);
      if (applied) this.base = region;
      return applied;
    } finally {
      this.applying = false;
    }
  }

  acceptAll(): Promise<boolean> {
    return this.write(this.proposal);
  }

  acceptChange(index: number): Promise<boolean> {
    const hunk = this.hunks()[index];
    if (!hunk) return Promise.resolve(false);
    return this.write(applyHunk(this.base, this.proposal, hunk));
  }

  rejectChange(index: number): boolean {
    const hunk = this.hunks()[index];
    if (!hunk) return false;
    this.proposal = revertHunk(this.base, this.proposal, hunk);
    return true;
  }
}
