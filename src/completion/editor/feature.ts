import * as vscode from "vscode";
import type { CompletionApi } from "../../api";
import type { Engine } from "../../engine/api";
import { Disposable } from "../../util/dispose";
import { languageEnabled } from "../gate/gates";
import { CompletionPipeline } from "../pipeline";
import type { CompletionSettings } from "../types";
import { InlineProvider } from "./provider";
import { toCompletionRequest } from "./request";
import { readSettings } from "../../config";
import { CompletionStatusItem } from "./statusItem";

/** After this long without typing or moving, the KV cache is warmed for the cursor's place. */
const WARM_AFTER_IDLE_MS = 400;

/**
 * Inline completion: the provider, its status item, and what keeps the model ready for the next
 * keystroke (extra context from files the user works with, warm-up while they are idle).
 */
export class CompletionFeature extends Disposable {
  private settings: CompletionSettings = readSettings().completion;
  private readonly pipeline: CompletionPipeline;
  private readonly provider: InlineProvider;
  private readonly status: CompletionStatusItem;
  private warmTimer?: NodeJS.Timeout;
  private warming?: AbortController;
  private modelPath?: string;
  private reloaded = false;
  private modelCallCount = 0;
  private warmUpCount = 0;

  constructor(
    private readonly engine: Engine,
    private readonly log: vscode.LogOutputChannel,
  ) {
    super();
    this.pipeline = new CompletionPipeline({
      engine,
      settings: () => this.settings,
      log: (m) => log.info(m),
      onModelCall: () => this.modelCallCount++,
    });
    this.status = this._register(new CompletionStatusItem());
    this.provider = new InlineProvider(this.pipeline, engine, () => this.settings, this.status, log);
    if (!this.settings.enabled) this.status.set({ kind: "off" });

    this._register(vscode.languages.registerInlineCompletionItemProvider({ pattern: "**" }, this.provider));
    this._register(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration("slm.completion")) return;
        this.settings = readSettings().completion;
        this.status.set(this.settings.enabled ? { kind: "idle" } : { kind: "off" });
      }),
    );
    this._register(
      engine.onDidChangeState((state) => {
        // Any load (a new file, a reload of the same one, a new context) leaves nothing of the old
        // model usable: its tokens, KV cache and FIM details go. Busy ↔ ready keeps them.
        if (state.kind !== "ready" && state.kind !== "busy") this.reloaded = true;
        const modelPath = state.lanes?.completion?.path;
        if (state.kind === "ready" && (modelPath !== this.modelPath || this.reloaded)) {
          this.reloaded = false;
          this.modelPath = modelPath;
          this.pipeline.reset();
          if (modelPath && this.settings.enabled) void this.checkModelCanComplete();
          this.scheduleWarm();
        }
      }),
    );
    this.trackActivity();
    this._register({ dispose: () => this.cancelWarm() });
  }

  /** Says so as soon as a model is chosen, not at the first keystroke, when it cannot fill in the middle. */
  private async checkModelCanComplete(): Promise<void> {
    const refusal = await this.pipeline.fimRefusal().catch(() => undefined);
    if (refusal === undefined) {
      // A model that can complete replaces one that could not: the old reason no longer holds.
      const last = this.status.activity;
      if (last.kind === "dropped" && last.reason === "noFim") this.status.set({ kind: "idle" });
      return;
    }
    this.status.set({ kind: "dropped", reason: "noFim", detail: refusal });
    this.provider.noticeNoFim(refusal);
  }

  /** Fires each time a suggestion is shown (the walkthrough's "try completion" step ticks on it). */
  get onDidShowSuggestion(): vscode.Event<unknown> {
    return (listener, thisArg, disposables) =>
      this.status.onDidChange(
        (activity) => {
          if (activity.kind === "shown") listener.call(thisArg, activity);
        },
        undefined,
        disposables,
      );
  }

  /** What tests and diagnostics may read. */
  get api(): CompletionApi {
    return { activity: () => this.status.activity, modelCalls: () => this.modelCallCount, warmUps: () => this.warmUpCount };
  }

  private trackActivity(): void {
    this._register(
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (editor) this.rememberAround(editor.document, editor.selection.active.line);
        this.scheduleWarm();
      }),
    );
    this._register(
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document !== vscode.window.activeTextEditor?.document || event.contentChanges.length === 0) return;
        this.provider.debounce.noteKeystroke();
        this.scheduleWarm();
      }),
    );
    this._register(vscode.window.onDidChangeTextEditorSelection(() => this.scheduleWarm()));
    this._register(
      vscode.workspace.onDidSaveTextDocument((document) => {
        const editor = vscode.window.visibleTextEditors.find((e) => e.document === document);
        this.rememberAround(document, editor?.selection.active.line ?? 0);
      }),
    );
  }

  private rememberAround(document: vscode.TextDocument, line: number): void {
    if (document.uri.scheme === "output" || document.lineCount > 200_000) return;
    const from = Math.max(0, line - 32);
    const to = Math.min(document.lineCount, from + 64);
    const lines: string[] = [];
    for (let i = from; i < to; i++) lines.push(document.lineAt(i).text.slice(0, 400));
    this.pipeline.extraContext.addAround(vscode.workspace.asRelativePath(document.uri), lines, line - from);
  }

  /** Ctrl+C as usual, and the copied code becomes extra context (people copy what they reuse). */
  async copyForContext(): Promise<void> {
    await vscode.commands.executeCommand("editor.action.clipboardCopyAction");
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.selection.isEmpty) return;
    const text = editor.document.getText(editor.selection);
    if (text.length < 200_000) this.pipeline.extraContext.add(vscode.workspace.asRelativePath(editor.document.uri), text);
  }

  /** Warm-up runs once per pause; nothing runs while the user stays idle after it. */
  private scheduleWarm(): void {
    this.cancelWarm();
    this.warmTimer = setTimeout(() => void this.warmNow(), WARM_AFTER_IDLE_MS);
  }

  private cancelWarm(): void {
    if (this.warmTimer) clearTimeout(this.warmTimer);
    this.warmTimer = undefined;
    this.warming?.abort();
  }

  private async warmNow(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const state = this.engine.state.kind;
    if (!editor || !this.settings.enabled || (state !== "ready" && state !== "busy")) return;
    if (!languageEnabled(this.settings, editor.document.languageId) || editor.document.lineCount > 2_000_000) return;
    // Nobody types in a read-only or generated document (the runtime report, a diff's old side, a log).
    if (!isEditable(editor.document)) return;
    const controller = new AbortController();
    this.warmUpCount++;
    this.warming = controller;
    try {
      const request = toCompletionRequest(editor.document, editor.selection.active, false, editor.options);
      const result = await this.pipeline.warm(request, controller.signal);
      if (result && result.evaluatedTokens > 0) {
        this.log.info(`warm-up ${request.fileName}:${request.cursor.line + 1}: evaluated ${result.evaluatedTokens} of ${result.promptTokens} prompt tokens in ${result.evalMs.toFixed(0)} ms`);
      }
    } catch (error) {
      this.log.warn(`warm-up failed: ${String(error)}`);
    }
  }

  async toggle(): Promise<void> {
    const config = vscode.workspace.getConfiguration("slm.completion");
    await config.update("enabled", !this.settings.enabled, vscode.ConfigurationTarget.Global);
  }
}

/** A document the user can type in: untitled, or on a file system that is writable. */
function isEditable(document: vscode.TextDocument): boolean {
  if (document.uri.scheme === "untitled") return true;
  return vscode.workspace.fs.isWritableFileSystem(document.uri.scheme) === true;
}
