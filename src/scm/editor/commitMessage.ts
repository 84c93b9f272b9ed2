import * as vscode from "vscode";
import { EngineUnavailableError, isAbortError, type Engine } from "../../engine/api";
import { withAbortSignal } from "../../util/abort";
import { fitDiff } from "../diffBudget";
import { cleanCommitMessage, COMMIT_ANSWER_TOKENS, COMMIT_PROMPT_OVERHEAD_TOKENS, commitRequest } from "../prompt";
import { gitApi, type GitApi, type GitRepository } from "./gitApi";

/** The commit box is rewritten at most this often while the message streams. */
const REFRESH_MS = 80;

/**
 * Writes a commit message for the staged changes into the Source Control input box, streamed and
 * cancellable (the box gets back what it held before). `arg` is the SourceControl the title menu
 * passes (its rootUri), or `{ rootUri }` from other callers. Resolves with the message written.
 */
export async function writeCommitMessage(engine: Engine, log: vscode.LogOutputChannel, arg?: unknown): Promise<string | undefined> {
  const api = await gitApi();
  if (typeof api === "string") {
    void vscode.window.showWarningMessage(`SLM Assistant cannot write a commit message: ${api}`);
    return undefined;
  }
  const repository = await pickRepository(api, arg);
  if (!repository) {
    void vscode.window.showInformationMessage("SLM Assistant: no Git repository is open here.");
    return undefined;
  }
  const diff = await repository.diff(true);
  if (!diff.trim()) {
    void vscode.window.showInformationMessage("SLM Assistant: nothing is staged. Stage the changes the commit should contain (the + next to a file in Source Control), then ask again.");
    return undefined;
  }
  const previous = repository.inputBox.value;
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "SLM: writing a commit message from the staged changes…", cancellable: true },
    (_progress, token) =>
      withAbortSignal(token, async (signal) => {
        try {
          const contextSize = (await engine.laneFacts("chat")).contextSize;
          const budget = Math.max(64, contextSize - COMMIT_ANSWER_TOKENS - COMMIT_PROMPT_OVERHEAD_TOKENS);
          const fitted = await fitDiff(diff, budget, async (text) => (await engine.tokenize("chat", text)).length);
          log.info(
            `Commit message: ${diff.length.toLocaleString("en-US")} characters of staged diff, ${fitted.tokens} tokens sent` +
              (fitted.leftOut.length > 0 ? `; too long to send in full: ${fitted.leftOut.join(", ")}` : ""),
          );
          let answer = "";
          let timer: NodeJS.Timeout | undefined;
          const show = () => {
            timer = undefined;
            if (!signal.aborted) repository.inputBox.value = cleanCommitMessage(answer);
          };
          const result = await engine.chat(commitRequest(fitted.text, fitted.leftOut), {
            signal,
            onText: (text) => {
              answer += text;
              timer ??= setTimeout(show, REFRESH_MS);
            },
          });
          if (timer) clearTimeout(timer);
          if (signal.aborted || result.stopReason === "abort") {
            repository.inputBox.value = previous;
            log.info("Commit message: cancelled; the commit box has its earlier text again.");
            return undefined;
          }
          const message = cleanCommitMessage(result.text);
          repository.inputBox.value = message;
          log.info(`Commit message: ${result.generatedTokens} tokens in ${result.durationMs.toFixed(0)} ms (${result.stopReason})`);
          return message;
        } catch (error) {
          repository.inputBox.value = previous;
          if (isAbortError(error)) return undefined;
          const message = error instanceof EngineUnavailableError || error instanceof Error ? error.message : String(error);
          log.warn(`Commit message failed: ${message}`);
          void vscode.window.showErrorMessage(`SLM Assistant: ${message}`);
          return undefined;
        }
      }),
  );
}

async function pickRepository(api: GitApi, arg: unknown): Promise<GitRepository | undefined> {
  const rootUri = (arg as { rootUri?: unknown } | undefined)?.rootUri;
  if (rootUri instanceof vscode.Uri) return api.getRepository(rootUri) ?? (await api.openRepository?.(rootUri)) ?? undefined;
  if (api.repositories.length <= 1) return api.repositories[0];
  const picked = await vscode.window.showQuickPick(
    api.repositories.map((repository) => ({ label: vscode.workspace.asRelativePath(repository.rootUri, false) || repository.rootUri.fsPath, repository })),
    { title: "SLM: Write Commit Message", placeHolder: "Which repository's staged changes?" },
  );
  return picked?.repository;
}
