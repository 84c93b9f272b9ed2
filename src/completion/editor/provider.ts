import * as vscode from "vscode";
import { Commands } from "../../commands/ids";
import type { Engine } from "../../engine/api";
import { AdaptiveDebounce, sleep } from "../gate/debounce";
import { gateRequest } from "../gate/gates";
import { alternativesCount } from "../settings";
import type { CompletionPipeline } from "../pipeline";
import type { CompletionOutcome, CompletionRequest, CompletionSettings } from "../types";
import { abortSignalOf, toCompletionRequest } from "./request";
import type { CompletionStatusItem } from "./statusItem";

/** Inline completions for every language: gates → cache → debounce → pipeline → ghost text. */
export class InlineProvider implements vscode.InlineCompletionItemProvider {
  readonly debounce = new AdaptiveDebounce();
  private requestCount = 0;
  private prefetch?: AbortController;
  private readonly noFimNoticeShown = new Set<string>();

  constructor(
    private readonly pipeline: CompletionPipeline,
    private readonly engine: Engine,
    private readonly settings: () => CompletionSettings,
    private readonly status: CompletionStatusItem,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const id = ++this.requestCount;
    const started = performance.now();
    this.prefetch?.abort();
    const settings = this.settings();
    const explicit = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    const editor = vscode.window.activeTextEditor?.document === document ? vscode.window.activeTextEditor : undefined;
    const request = toCompletionRequest(document, position, explicit, editor?.options);
    // Enough of the rest of the line for the gate (it counts a few characters), never all of a minified line.
    const lineSuffix = document.lineAt(position.line).text.slice(position.character, position.character + 1024);

    const gated = gateRequest(settings, { languageId: document.languageId, lineSuffix, explicit });
    if (gated) return this.finish(id, request, { kind: "dropped", reason: gated }, started);

    // The cache comes before any debounce: typing along with a suggestion costs no model call.
    // Asked for (Alt+\, or Alt+] / Alt+[ on a suggestion shown while typing): VS Code wants every
    // suggestion to cycle through, and asks only once per place, so all of them are computed now.
    // Suggestions while typing are never slowed by this.
    const cycle = explicit ? alternativesCount(settings, (this.engine.state.gpuLayers ?? 0) > 0) : 1;
    const cached = cycle > 1 ? undefined : this.pipeline.fromCache(request);
    if (cached) return this.finish(id, request, { kind: "suggestion", text: cached, fromCache: true }, started, position);

    const engineState = this.engine.state.kind;
    if (engineState !== "ready" && engineState !== "busy") {
      const detail = engineState === "loading" ? "The model is still loading." : (this.engine.state.error?.message ?? "No model is loaded.");
      return this.finish(id, request, { kind: "dropped", reason: "noModel", detail }, started);
    }

    const abort = abortSignalOf(token);
    try {
      const waited = await sleep(this.debounce.delayFor(explicit, settings.debounceMs), abort.signal);
      if (!waited) return this.finish(id, request, { kind: "dropped", reason: "cancelled" }, started);
      this.status.set({ kind: "working" });
      const version = document.version;
      const { outcome, others } =
        cycle > 1 ? await this.pipeline.alternatives(request, cycle, abort.signal) : { outcome: await this.pipeline.complete(request, abort.signal), others: [] };
      if (outcome.kind === "suggestion" && document.version !== version) {
        return this.finish(id, request, { kind: "dropped", reason: "stale", detail: "The document changed while the model was writing." }, started);
      }
      return this.finish(id, request, outcome, started, position, others);
    } catch (error) {
      this.log.error(`completion #${id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      return this.finish(id, request, { kind: "dropped", reason: "error", detail: String(error) }, started);
    } finally {
      abort.dispose();
    }
  }

  private finish(
    id: number,
    request: CompletionRequest,
    outcome: CompletionOutcome,
    started: number,
    position?: vscode.Position,
    others: readonly string[] = [],
  ): vscode.InlineCompletionItem[] | undefined {
    const ms = performance.now() - started;
    const where = `${request.fileName}:${request.cursor.line + 1}:${request.cursor.character + 1}${request.explicit ? " (asked)" : ""}`;
    if (outcome.kind === "dropped") {
      if (outcome.reason === "noFim") this.noticeNoFim(outcome.detail);
      if (outcome.reason === "disabled") this.status.set({ kind: "off" });
      else this.status.set({ kind: "dropped", reason: outcome.reason, detail: outcome.detail });
      this.log.info(`completion #${id} ${where} dropped: ${outcome.reason}${outcome.detail ? ` (${outcome.detail})` : ""}${formatTimings(outcome.timings, ms)}`);
      return undefined;
    }
    this.status.set({ kind: "shown", fromCache: outcome.fromCache, ms, text: outcome.text });
    this.log.info(
      `completion #${id} ${where} ${outcome.fromCache ? "from cache" : "generated"}: ${outcome.text.length} chars${outcome.filter ? ` (trimmed by ${outcome.filter})` : ""}` +
        `${others.length ? `, ${others.length} alternative${others.length > 1 ? "s" : ""} (${others.map((t) => t.length).join(", ")} chars)` : ""}${formatTimings(outcome.timings, ms)}`,
    );
    if (!outcome.fromCache) this.schedulePrefetch(request, outcome.text);
    return [outcome.text, ...others].map((text) => new vscode.InlineCompletionItem(text, new vscode.Range(position!, position!)));
  }

  /** Once per model: this model cannot fill in the middle, and what to do about it. */
  noticeNoFim(detail: string | undefined): void {
    const model = this.engine.state.lanes?.completion?.path ?? "";
    if (this.noFimNoticeShown.has(model)) return;
    this.noFimNoticeShown.add(model);
    const message = `SLM Assistant: inline completion is off for this model. ${detail ?? "It has no fill-in-the-middle tokens."}`;
    void vscode.window.showWarningMessage(message, "Choose Another Model…").then((choice) => {
      if (choice) void vscode.commands.executeCommand(Commands.selectCompletionModel);
    });
  }

  /** After showing a suggestion, compute the one after it while the user reads. */
  private schedulePrefetch(request: CompletionRequest, suggestion: string): void {
    const controller = new AbortController();
    this.prefetch = controller;
    setTimeout(() => {
      if (controller.signal.aborted) return;
      void this.pipeline.prefetchAfter(request, suggestion, controller.signal);
    }, 0);
  }
}

function formatTimings(t: CompletionOutcome["timings"], ms: number): string {
  if (!t) return ` | ${ms.toFixed(1)} ms`;
  return (
    ` | prompt ${t.promptTokens} tok, reused ${t.reusedTokens}, evaluated ${t.evaluatedTokens}, generated ${t.generatedTokens}` +
    ` | context ${t.contextMs.toFixed(1)} ms, queue ${t.queueMs.toFixed(1)}, eval ${t.evalMs.toFixed(1)}, generate ${t.generateMs.toFixed(1)}, post ${t.postprocessMs.toFixed(1)}, total ${ms.toFixed(1)} ms`
  );
}
