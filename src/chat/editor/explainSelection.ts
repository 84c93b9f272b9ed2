import * as path from "node:path";
import * as vscode from "vscode";
import type { Engine } from "../../engine/api";
import { SYSTEM_PROMPT } from "../../engine/chatPrompt";
import type { ChatService } from "../chatService";
import type { ChatTurn } from "../protocol";
import { buildQuote, looksBinary, type CodeRegion, type QuoteKind } from "../quote";
import type { ChatSettings } from "../settings";

/** Tokens for the template's own markup around the messages. */
const TEMPLATE_OVERHEAD_TOKENS = 48;
/** Used to estimate sizes when the model is not loaded (the answer then says why it cannot run). */
const CHARS_PER_TOKEN_ESTIMATE = 3;
const SYMBOL_TIMEOUT_MS = 1_500;
const MAX_PARAGRAPH_LINES = 60;

const CONTAINER_KINDS = new Set([
  vscode.SymbolKind.Function,
  vscode.SymbolKind.Method,
  vscode.SymbolKind.Constructor,
  vscode.SymbolKind.Class,
  vscode.SymbolKind.Interface,
  vscode.SymbolKind.Enum,
  vscode.SymbolKind.Struct,
  vscode.SymbolKind.Module,
  vscode.SymbolKind.Namespace,
]);

export interface ExplainDeps {
  readonly engine: Pick<Engine, "tokenize" | "state">;
  readonly service: ChatService;
  readonly settings: () => ChatSettings;
  readonly showChat: () => Promise<void>;
}

export interface ExplainResult {
  /** The question as sent and shown in the chat. */
  readonly question: string;
  readonly answer: ChatTurn;
}

/**
 * "Explain Selection" / "Summarize Selection": quotes the selection (or, with none, the enclosing
 * function or block) into the chat and streams the answer there. Resolves when the answer ends;
 * undefined when there was nothing to send (the user was told why).
 */
export async function explainSelection(kind: QuoteKind, deps: ExplainDeps): Promise<ExplainResult | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showInformationMessage(`SLM Assistant: open a file and select the code to ${kind}.`);
    return undefined;
  }
  const document = editor.document;
  const head = document.getText(new vscode.Range(0, 0, Math.min(document.lineCount, 400), 0));
  if (looksBinary(head)) {
    void vscode.window.showWarningMessage(`SLM Assistant: ${path.basename(document.fileName)} looks like a binary file, so it was not sent to the model.`);
    return undefined;
  }
  const region = await regionToQuote(editor);
  if (region.code.trim().length === 0) {
    void vscode.window.showInformationMessage(`SLM Assistant: there is no code here to ${kind}. Select some code first.`);
    return undefined;
  }

  const fits = await budgetCheck(deps);
  const quote = await buildQuote(kind, region, fits);
  await deps.showChat();
  return { question: quote.question, answer: await deps.service.ask(quote.question) };
}

async function regionToQuote(editor: vscode.TextEditor): Promise<CodeRegion> {
  const document = editor.document;
  const fileLabel = vscode.workspace.asRelativePath(document.uri, false);
  const base = { fileLabel, languageId: document.languageId };
  const selection = editor.selection;
  if (!selection.isEmpty) {
    // A selection ending at column 0 does not include that line.
    const endLine = selection.end.character === 0 && selection.end.line > selection.start.line ? selection.end.line - 1 : selection.end.line;
    return { ...base, startLine: selection.start.line + 1, endLine: endLine + 1, code: document.getText(selection) };
  }
  const symbol = await enclosingSymbol(document, selection.active);
  if (symbol) {
    return {
      ...base,
      startLine: symbol.range.start.line + 1,
      endLine: symbol.range.end.line + 1,
      code: document.getText(fullLines(document, symbol.range)),
      origin: `Nothing was selected, so the enclosing ${vscode.SymbolKind[symbol.kind].toLowerCase()} \`${symbol.name}\` is used.`,
    };
  }
  const block = paragraphAround(document, selection.active.line);
  return {
    ...base,
    startLine: block.start.line + 1,
    endLine: block.end.line + 1,
    code: document.getText(block),
    origin: "Nothing was selected, so the lines around the cursor are used.",
  };
}

/** The innermost function, method or class containing the position, from the language's symbol provider. */
async function enclosingSymbol(document: vscode.TextDocument, position: vscode.Position): Promise<vscode.DocumentSymbol | undefined> {
  let symbols: (vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined;
  try {
    symbols = await Promise.race([
      vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined>("vscode.executeDocumentSymbolProvider", document.uri),
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), SYMBOL_TIMEOUT_MS)),
    ]);
  } catch {
    return undefined;
  }
  let best: vscode.DocumentSymbol | undefined;
  const visit = (list: readonly vscode.DocumentSymbol[]) => {
    for (const symbol of list) {
      if (!symbol.range.contains(position)) continue;
      if (CONTAINER_KINDS.has(symbol.kind)) best = symbol;
      visit(symbol.children ?? []);
    }
  };
  visit((symbols ?? []).filter((s): s is vscode.DocumentSymbol => "children" in s));
  return best;
}

function fullLines(document: vscode.TextDocument, range: vscode.Range): vscode.Range {
  return new vscode.Range(range.start.line, 0, range.end.line, document.lineAt(range.end.line).text.length);
}

/** The run of non-blank lines around `line` (at most MAX_PARAGRAPH_LINES), or the line itself. */
function paragraphAround(document: vscode.TextDocument, line: number): vscode.Range {
  const blank = (n: number) => document.lineAt(n).isEmptyOrWhitespace;
  let start = line;
  let end = line;
  if (!blank(line)) {
    while (start > 0 && !blank(start - 1) && end - start < MAX_PARAGRAPH_LINES / 2) start--;
    while (end < document.lineCount - 1 && !blank(end + 1) && end - start < MAX_PARAGRAPH_LINES) end++;
  }
  return new vscode.Range(start, 0, end, document.lineAt(end).text.length);
}

/** Whether a question fits what the model can read next to the system prompt and its answer. */
async function budgetCheck(deps: ExplainDeps): Promise<(question: string) => Promise<boolean>> {
  const state = deps.engine.state;
  const contextSize = state.contextSize ?? 4096;
  const answerReserve = Math.min(deps.settings().maxAnswerTokens, Math.floor(contextSize / 2));
  const ready = state.kind === "ready" || state.kind === "busy";
  const count = async (text: string): Promise<number> => {
    if (ready) {
      try {
        return (await deps.engine.tokenize("chat", text)).length;
      } catch {
        // Fall through to the estimate.
      }
    }
    return Math.ceil(text.length / CHARS_PER_TOKEN_ESTIMATE);
  };
  const budget = contextSize - answerReserve - (await count(SYSTEM_PROMPT)) - TEMPLATE_OVERHEAD_TOKENS;
  // Tokenizing megabytes only to learn they do not fit is slow: no token is shorter than a byte.
  return async (question) => question.length <= budget * 16 && (await count(question)) <= budget;
}
