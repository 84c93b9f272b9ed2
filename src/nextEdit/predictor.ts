/**
 * One next-edit request, as a straight line: the prompt from the edit history and the window
 * around the cursor → the engine's next-edit lane → the predicted window parsed and diffed → a
 * proposal or the reason there is none. One request in flight: a new one aborts the previous.
 */
import { isAbortError, type Engine, type FillResult } from "../engine/api";
import type { EditHistory } from "./history";
import { buildNextEditPrompt, NEXT_EDIT_STOP_TOKENS, type RelatedExcerpt } from "./prompt";
import { interpretPrediction, type DropReason, type Position, type Proposal } from "./proposal";

export interface NextEditSettings {
  readonly enabled: boolean;
  /** Quiet time after the last edit before a prediction is asked for. */
  readonly pauseMs: number;
  /** Tokens the model may write (a 21-line window is ~250 tokens; long lines need more). */
  readonly maxTokens: number;
  /** Generation time budget; a window cut short is dropped, not shown. */
  readonly maxTimeMs: number;
}

/** A 21-line window is ~250 tokens: at ~30 tokens/s (a 0.5B model on two cores) that is ~8 s without prompt lookup. */
export const DEFAULT_NEXT_EDIT_SETTINGS: NextEditSettings = { enabled: true, pauseMs: 600, maxTokens: 768, maxTimeMs: 15_000 };

export interface NextEditQuery {
  /** Identifies the document (its URI). */
  readonly file: string;
  /** The path the model sees (workspace-relative). */
  readonly path: string;
  readonly lines: readonly string[];
  readonly cursor: Position;
  readonly related: readonly RelatedExcerpt[];
}

export type NextEditOutcome =
  | { readonly kind: "proposal"; readonly proposal: Proposal; readonly result: FillResult; readonly ms: number }
  | { readonly kind: "none"; readonly reason: DropReason | "noHistory"; readonly detail: string; readonly result?: FillResult; readonly ms: number }
  | { readonly kind: "cancelled" }
  | { readonly kind: "error"; readonly message: string };

export class NextEditPredictor {
  private inFlight?: AbortController;

  constructor(
    private readonly engine: Engine,
    private readonly history: EditHistory,
    private readonly settings: () => NextEditSettings,
  ) {}

  /** Aborts the request in flight, if any (the user typed: typing comes first). */
  cancel(): void {
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  async predict(query: NextEditQuery, signal?: AbortSignal): Promise<NextEditOutcome> {
    this.cancel();
    const controller = new AbortController();
    this.inFlight = controller;
    const combined = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    const started = performance.now();
    const latest = this.history.latest(query.file);
    const recent = this.history.recent(3);
    if (recent.length === 0) return { kind: "none", reason: "noHistory", detail: "no recent edits to go on", ms: 0 };
    const prompt = buildNextEditPrompt({ path: query.path, lines: query.lines, cursorLine: query.cursor.line, recent, latest, related: query.related });
    const settings = this.settings();
    try {
      const result = await this.engine.fill(
        { lane: "nextEdit", pieces: prompt.pieces, maxTokens: settings.maxTokens, maxTimeMs: settings.maxTimeMs, stopTokens: NEXT_EDIT_STOP_TOKENS, stopStrings: [], stopAtNewline: false },
        { signal: combined },
      );
      if (result.stopReason === "abort" || combined.aborted) return { kind: "cancelled" };
      const interpretation = interpretPrediction({
        output: result.text,
        complete: endedByModel(result, settings.maxTokens),
        window: prompt.window,
        currentWindow: prompt.currentWindow,
        originalWindow: prompt.originalWindow,
        cursor: query.cursor,
      });
      const ms = performance.now() - started;
      if ("dropped" in interpretation) return { kind: "none", reason: interpretation.dropped, detail: interpretation.detail, result, ms };
      return { kind: "proposal", proposal: interpretation.proposal, result, ms };
    } catch (error) {
      if (isAbortError(error) || combined.aborted) return { kind: "cancelled" };
      return { kind: "error", message: error instanceof Error ? error.message : String(error) };
    } finally {
      if (this.inFlight === controller) this.inFlight = undefined;
    }
  }
}

/**
 * The model ended the window itself. The fill loop reports "maxTokens" also when the sequence's
 * generator ends at an end-of-generation token it does not yield, so fewer tokens than the cap
 * means the model stopped.
 */
function endedByModel(result: FillResult, maxTokens: number): boolean {
  return result.stopReason === "eog" || (result.stopReason === "maxTokens" && result.generatedTokens < maxTokens);
}
