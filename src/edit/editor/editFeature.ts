import * as path from "node:path";
import * as vscode from "vscode";
import { EngineUnavailableError, isAbortError, type ChatStopReason, type Engine } from "../../engine/api";
import { Disposable } from "../../util/dispose";
import { extractCode, fitToSelection } from "../cleanOutput";
import { clipContext, CONTEXT_LINES, editRequest, selectionTooLarge } from "../prompt";
import { EditSession } from "./editSession";
import { EditLenses } from "./lenses";

export const EDIT_SCHEME = "slm-edit";
/** A proposal is redrawn at most this often while it streams. */
const REFRESH_MS = 80;

export interface EditArgs {
  /** The instruction; without it an input box asks. */
  readonly instruction?: string;
}

/** What a finished rewrite proposed (returned by the command, for tests and other extensions). */
export interface EditOutcome {
  readonly original: string;
  readonly proposal: string;
  readonly changes: number;
  readonly stopReason: ChatStopReason;
  readonly proposalUri: string;
}

/**
 * Edit selection by instruction: the chat model rewrites the selected lines, the rewrite streams
 * into a diff (the file on the left, the proposal on the right), and nothing changes in the file
 * until the user accepts it, all at once (one undo step) or change by change.
 */
export class EditFeature extends Disposable {
  private session?: EditSession;
  private readonly contentChanged = this._register(new vscode.EventEmitter<vscode.Uri>());
  private readonly lenses: EditLenses;

  constructor(
    private readonly engine: Engine,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this._register(
      vscode.workspace.registerTextDocumentContentProvider(EDIT_SCHEME, {
        onDidChange: this.contentChanged.event,
        provideTextDocumentContent: (uri) => (this.session?.proposalUri.toString() === uri.toString() ? this.session.proposedFile() : ""),
      }),
    );
    this.lenses = this._register(new EditLenses(() => this.session));
    this._register(vscode.languages.registerCodeLensProvider({ scheme: EDIT_SCHEME }, this.lenses));
    this._register(
      vscode.workspace.onDidChangeTextDocument((event) => {
        const session = this.session;
        if (session?.document !== event.document || session.applying || event.contentChanges.length === 0) return;
        this.end(session, "The file changed while the suggested edit was open, so the suggestion was discarded. Run the command again.");
      }),
    );
    this._register(
      vscode.window.tabGroups.onDidChangeTabs((event) => {
        const session = this.session;
        if (!session || session.status === "done") return;
        if (event.closed.some((tab) => isProposalTab(tab, session.proposalUri))) this.end(session, undefined);
      }),
    );
    this._register({ dispose: () => this.session?.abort.abort() });
  }

  /** The command: asks for an instruction, streams the rewrite into a diff, resolves when it is complete. */
  async editSelection(args?: EditArgs): Promise<EditOutcome | undefined> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage("SLM Assistant: open a file and select the code to edit first.");
      return undefined;
    }
    const document = editor.document;
    const range = wholeLines(document, editor.selection);
    if (!range) {
      void vscode.window.showInformationMessage("SLM Assistant: select the code to edit first (or put the cursor on a line that is not empty).");
      return undefined;
    }
    const region = document.getText(range);
    const started = performance.now();
    let contextSize: number;
    try {
      contextSize = (await this.engine.laneFacts("chat")).contextSize;
      const maxAnswerTokens = Math.floor(contextSize / 2);
      // Far too long to be worth tokenizing: no tokenizer packs this many characters into a token.
      const tokens = region.length > maxAnswerTokens * 32 ? Math.ceil(region.length / 4) : (await this.engine.tokenize("chat", region)).length;
      const tooLarge = selectionTooLarge(tokens, maxAnswerTokens, contextSize);
      if (tooLarge) {
        this.log.info(`Edit selection refused: ${tooLarge}`);
        void vscode.window.showWarningMessage(`SLM Assistant: ${tooLarge}`);
        return undefined;
      }
    } catch (error) {
      this.showError(error);
      return undefined;
    }
    const checkedMs = performance.now() - started;
    const instruction = args?.instruction ?? (await askInstruction());
    if (!instruction?.trim()) return undefined;

    if (this.session) this.end(this.session, undefined);
    const startOffset = document.offsetAt(range.start);
    const proposalUri = vscode.Uri.from({ scheme: EDIT_SCHEME, path: proposalPath(document), query: `${Date.now()}` });
    const session = new EditSession(document, startOffset, region, proposalUri, new AbortController());
    this.session = session;
    // The model starts at once; the diff opens while it reads the prompt and follows the stream.
    const streaming = this.stream(session, { instruction, document, range, contextSize });
    await vscode.commands.executeCommand(
      "vscode.diff",
      document.uri,
      proposalUri,
      `${path.basename(document.uri.path)}: ${instruction.trim()} (suggested edit)`,
      { preview: false },
    );
    const proposalDocument = vscode.workspace.textDocuments.find((d) => d.uri.toString() === proposalUri.toString());
    if (proposalDocument && proposalDocument.languageId !== document.languageId) {
      await vscode.languages.setTextDocumentLanguage(proposalDocument, document.languageId).then(undefined, () => undefined);
    }
    if (session.status === "done") await this.closeDiff(session);
    this.log.info(`Edit selection: size checked in ${checkedMs.toFixed(0)} ms; diff opened ${(performance.now() - started).toFixed(0)} ms after the command`);
    return streaming;
  }

  private async stream(
    session: EditSession,
    input: { instruction: string; document: vscode.TextDocument; range: vscode.Range; contextSize: number },
  ): Promise<EditOutcome | undefined> {
    const { document, range } = input;
    const before = clipContext(document.getText(new vscode.Range(Math.max(0, range.start.line - CONTEXT_LINES), 0, range.start.line, 0)), "before");
    const afterEnd = document.lineAt(Math.min(document.lineCount - 1, range.end.line + CONTEXT_LINES)).range.end;
    const after = clipContext(document.getText(new vscode.Range(range.end, afterEnd)), "after");
    const request = editRequest(
      { languageId: document.languageId, fileName: path.basename(document.uri.path), before, selection: session.original, after, instruction: input.instruction },
      Math.floor(input.contextSize / 2),
    );
    let answer = "";
    let timer: NodeJS.Timeout | undefined;
    const refresh = () => {
      timer = undefined;
      if (this.session !== session || session.status === "done") return;
      session.setProposal(fitToSelection(extractCode(answer), session.original));
      this.contentChanged.fire(session.proposalUri);
      this.lenses.refresh();
    };
    this.lenses.refresh();
    this.log.info(`Edit selection: ${session.original.split("\n").length - 1} line(s) of ${path.basename(document.uri.path)}, "${input.instruction.trim()}"`);
    try {
      const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: "SLM: rewriting the selection…" }, () =>
        this.engine.chat(request, {
          signal: session.abort.signal,
          onText: (text) => {
            answer += text;
            timer ??= setTimeout(refresh, REFRESH_MS);
          },
        }),
      );
      if (timer) clearTimeout(timer);
      if (this.session !== session || session.status === "done") return undefined;
      answer = result.text;
      refresh();
      session.status = "review";
      this.lenses.refresh();
      this.log.info(`Edit selection: ${result.generatedTokens} tokens in ${result.durationMs.toFixed(0)} ms (${result.stopReason}); ${session.hunks().length} change(s) proposed`);
      if (result.stopReason === "maxTokens") {
        void vscode.window.showWarningMessage("SLM Assistant: the rewrite reached the length limit and may be cut off; check it before accepting.");
      }
      if (session.hunks().length === 0) {
        this.end(session, "The model suggested no change for this instruction.");
      }
      return { original: session.original, proposal: session.proposedRegion, changes: session.hunks().length, stopReason: result.stopReason, proposalUri: session.proposalUri.toString() };
    } catch (error) {
      if (timer) clearTimeout(timer);
      if (!isAbortError(error)) this.showError(error);
      this.end(session, undefined);
      return undefined;
    }
  }

  async acceptAll(): Promise<boolean> {
    const session = this.reviewing();
    if (!session) return false;
    const applied = await session.acceptAll();
    this.end(session, applied ? undefined : "The edit could not be applied (the file may be read-only).");
    return applied;
  }

  rejectAll(): void {
    if (this.session) this.end(this.session, undefined);
  }

  async acceptChange(index?: number): Promise<boolean> {
    const session = this.reviewing();
    if (!session) return false;
    const applied = await session.acceptChange(index ?? this.changeAtCursor(session));
    this.afterChange(session);
    return applied;
  }

  rejectChange(index?: number): boolean {
    const session = this.reviewing();
    if (!session) return false;
    const done = session.rejectChange(index ?? this.changeAtCursor(session));
    this.afterChange(session);
    return done;
  }

  /** From the context menu: the change on the cursor's line in the suggestion (else the first). */
  private changeAtCursor(session: EditSession): number {
    const editor = vscode.window.activeTextEditor;
    if (editor?.document.uri.toString() !== session.proposalUri.toString()) return 0;
    const line = editor.selection.active.line;
    const index = session.hunks().findIndex((hunk) => {
      const start = session.proposedLine(hunk);
      return line >= start && line <= Math.max(start, start + hunk.bEnd - hunk.bStart - 1);
    });
    return Math.max(0, index);
  }

  private reviewing(): EditSession | undefined {
    return this.session?.status === "review" ? this.session : undefined;
  }

  private afterChange(session: EditSession): void {
    if (session.hunks().length === 0) {
      this.end(session, undefined);
      return;
    }
    this.contentChanged.fire(session.proposalUri);
    this.lenses.refresh();
  }

  /** Stops the rewrite if it still streams, closes its diff and shows the file again. */
  private end(session: EditSession, message: string | undefined): void {
    if (session.status === "done") return;
    session.status = "done";
    session.abort.abort();
    if (this.session === session) this.session = undefined;
    this.lenses.refresh();
    if (message) void vscode.window.showInformationMessage(`SLM Assistant: ${message}`);
    void this.closeDiff(session);
  }

  private async closeDiff(session: EditSession): Promise<void> {
    const tabs = vscode.window.tabGroups.all.flatMap((group) => group.tabs).filter((tab) => isProposalTab(tab, session.proposalUri));
    if (tabs.length === 0) return;
    await vscode.window.tabGroups.close(tabs).then(undefined, () => undefined);
    if (!session.document.isClosed) await vscode.window.showTextDocument(session.document).then(undefined, () => undefined);
  }

  private showError(error: unknown): void {
    const message = error instanceof EngineUnavailableError || error instanceof Error ? error.message : String(error);
    this.log.warn(`Edit selection failed: ${message}`);
    void vscode.window.showErrorMessage(`SLM Assistant: ${message}`);
  }
}

/** The selection widened to whole lines; the cursor's line when nothing is selected; undefined on a blank line. */
function wholeLines(document: vscode.TextDocument, selection: vscode.Selection): vscode.Range | undefined {
  const startLine = selection.start.line;
  let endLine = selection.end.line;
  if (!selection.isEmpty && selection.end.character === 0 && endLine > startLine) endLine--;
  if (selection.isEmpty && document.lineAt(startLine).isEmptyOrWhitespace) return undefined;
  const end = endLine + 1 < document.lineCount ? new vscode.Position(endLine + 1, 0) : document.lineAt(endLine).range.end;
  return new vscode.Range(startLine, 0, end.line, end.character);
}

function askInstruction(): Thenable<string | undefined> {
  return vscode.window.showInputBox({
    title: "SLM: Edit Selection",
    prompt: "How should the selected code change? The suggestion opens as a diff to accept or reject.",
    placeHolder: "e.g. add type hints · convert to async · handle the error",
    ignoreFocusOut: true,
  });
}

function proposalPath(document: vscode.TextDocument): string {
  const name = path.basename(document.uri.path) || "untitled";
  return `/suggested/${name}`;
}

function isProposalTab(tab: vscode.Tab, proposalUri: vscode.Uri): boolean {
  return tab.input instanceof vscode.TabInputTextDiff && tab.input.modified.toString() === proposalUri.toString();
}
