/** Plain data for the completion pipeline; nothing here knows about VS Code. */

/** Read access to a document's lines, so huge documents are never copied whole. */
export interface TextSource {
  readonly lineCount: number;
  lineAt(line: number): string;
}

export interface CursorPosition {
  readonly line: number;
  /** UTF-16 offset within the line, as VS Code counts. */
  readonly character: number;
}

export type MultilineMode = "auto" | "always" | "never";

export interface CompletionSettings {
  readonly enabled: boolean;
  /** Language ids; empty means every language. `!id` entries disable one. */
  readonly languages: readonly string[];
  readonly multiline: MultilineMode;
  readonly maxTokens: number;
  readonly maxTimeMs: number;
  /** Characters (other than closing brackets and whitespace) right of the cursor that stop auto-triggering. */
  readonly maxLineSuffix: number;
  readonly debounceMs: number;
  /**
   * Suggestions to cycle through at one place (Alt+] / Alt+[), computed only when the user asks
   * to cycle; 0 = automatic: 1 on the CPU, 3 with the model on a GPU.
   */
  readonly alternatives?: number;
}

export interface ExtraChunk {
  readonly file: string;
  readonly text: string;
}

export interface CompletionRequest {
  readonly documentKey: string;
  readonly fileName: string;
  readonly languageId: string;
  readonly text: TextSource;
  readonly cursor: CursorPosition;
  readonly eol: "\n" | "\r\n";
  /** Set when the user asked explicitly (Alt+\) rather than by typing. */
  readonly explicit: boolean;
  readonly insertSpaces?: boolean;
  readonly tabSize?: number;
}

/** Why a request produced nothing; shown in the status bar and logged. */
export type DropReason =
  | "disabled"
  | "languageDisabled"
  | "noModel"
  | "noFim"
  | "binary"
  | "textRightOfCursor"
  | "cancelled"
  | "timeout"
  | "filtered"
  | "empty"
  | "stale"
  | "error";

export interface RequestTimings {
  contextMs: number;
  /** Waiting for the lane (a previous generation finishing). */
  queueMs: number;
  evalMs: number;
  generateMs: number;
  /** Mean time between generated tokens (the engine's tokenGapMs), where two or more were kept. */
  tokenGapMs?: number;
  postprocessMs: number;
  totalMs: number;
  promptTokens: number;
  reusedTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
}

export type CompletionOutcome =
  | { readonly kind: "suggestion"; readonly text: string; readonly fromCache: boolean; readonly timings?: RequestTimings; readonly filter?: string }
  | { readonly kind: "dropped"; readonly reason: DropReason; readonly detail?: string; readonly timings?: RequestTimings };
