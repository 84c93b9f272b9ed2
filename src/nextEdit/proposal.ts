/**
 * From the model's predicted window to what the editor shows: parse it, diff it against the
 * window as it is, and keep it only when it proposes a real change that does not undo the user's
 * last edit. An insertion at or after the cursor on its line is ghost text; any other change is a
 * jump to a place shown with a decoration.
 */
import type { WindowRange } from "./prompt";

export interface Position {
  readonly line: number;
  /** UTF-16 offset within the line, as VS Code counts. */
  readonly character: number;
}

export interface Range {
  readonly start: Position;
  readonly end: Position;
}

/** Replace `range` of the document with `text`. */
export interface ProposedEdit {
  readonly range: Range;
  readonly text: string;
  /** The text `range` covers now (what the decoration strikes through). */
  readonly removed: string;
}

export type Proposal =
  /** Shown as ghost text through the inline-completion API: `insertText` replaces `range` (which starts at the cursor). */
  | { readonly kind: "ghost"; readonly edit: ProposedEdit; readonly range: Range; readonly insertText: string }
  /** Shown where it is, with "Tab to go there". */
  | { readonly kind: "jump"; readonly edit: ProposedEdit };

export type DropReason = "noChange" | "undoesLastEdit" | "unparsable";

export type Interpretation = { readonly proposal: Proposal } | { readonly dropped: DropReason; readonly detail: string };

export interface PredictionInput {
  /** The model's text after `<|file_sep|>updated/{path}\n`. */
  readonly output: string;
  /** The model ended its window itself (a stop token), rather than running out of tokens or time. */
  readonly complete: boolean;
  readonly window: WindowRange;
  readonly currentWindow: string;
  /** The window before the user's latest edit (equal to `currentWindow` when there is none). */
  readonly originalWindow: string;
  readonly cursor: Position;
}

/** The predicted window, or why it cannot be one. */
export function parsePredictedWindow(output: string, complete: boolean, currentWindow: string): { window: string } | { error: string } {
  if (!complete) return { error: "the model stopped before it finished writing the window" };
  // The block ends with the line break before the next <|file_sep|> (or the end of text).
  let window = output.endsWith("\n") ? output.slice(0, -1) : output;
  for (const marker of ["<|file_sep|>", "<|endoftext|>", "</s>"]) {
    const at = window.indexOf(marker);
    if (at >= 0) window = window.slice(0, at).replace(/\n$/, "");
  }
  const currentLines = currentWindow.split("\n").length;
  const predictedLines = window === "" ? 0 : window.split("\n").length;
  // A window that lost half its lines is a rewrite cut short, not a proposal to delete them.
  if (currentWindow.trim() !== "" && predictedLines < Math.ceil(currentLines / 2)) {
    return { error: `the model wrote ${predictedLines} of the window's ${currentLines} lines` };
  }
  return { window };
}

export function interpretPrediction(input: PredictionInput): Interpretation {
  const parsed = parsePredictedWindow(input.output, input.complete, input.currentWindow);
  if ("error" in parsed) return { dropped: "unparsable", detail: parsed.error };
  const predicted = parsed.window;
  if (predicted === input.currentWindow) return { dropped: "noChange", detail: "the model expects no change here" };
  if (input.originalWindow !== input.currentWindow && predicted === input.originalWindow) {
    return { dropped: "undoesLastEdit", detail: "the proposal would undo your last edit" };
  }
  const change = windowDiff(input.currentWindow, predicted);
  const edit: ProposedEdit = {
    range: { start: toPosition(input.currentWindow, change.start, input.window.start), end: toPosition(input.currentWindow, change.end, input.window.start) },
    text: change.text,
    removed: input.currentWindow.slice(change.start, change.end),
  };
  if (undoesLatestLines(input, edit, predicted)) return { dropped: "undoesLastEdit", detail: "the proposal would undo your last edit" };
  return { proposal: classify(edit, input) };
}

/** The one change between two texts: their common start and end kept, the middle replaced. */
export function windowDiff(current: string, predicted: string): { start: number; end: number; text: string } {
  let start = 0;
  while (start < current.length && start < predicted.length && current[start] === predicted[start]) start++;
  let tail = 0;
  while (tail < current.length - start && tail < predicted.length - start && current[current.length - 1 - tail] === predicted[predicted.length - 1 - tail]) tail++;
  // Keep surrogate pairs whole.
  if (start > 0 && isHighSurrogate(current.charCodeAt(start - 1))) start--;
  if (tail > 0 && isLowSurrogate(current.charCodeAt(current.length - tail))) tail--;
  return { start, end: current.length - tail, text: predicted.slice(start, predicted.length - tail) };
}

function classify(edit: ProposedEdit, input: PredictionInput): Proposal {
  const { start, end } = edit.range;
  const cursor = input.cursor;
  const pureInsertion = start.line === end.line && start.character === end.character;
  if (pureInsertion && start.line === cursor.line && start.character >= cursor.character) {
    const lines = input.currentWindow.split("\n");
    const lineText = lines[cursor.line - input.window.start] ?? "";
    const between = lineText.slice(cursor.character, start.character);
    return { kind: "ghost", edit, range: { start: cursor, end: start }, insertText: between + edit.text };
  }
  return { kind: "jump", edit };
}

/**
 * True when the change lands on the lines of the user's last edit and puts back what was there
 * before it (the whole window differing elsewhere too is not enough to hide that).
 */
function undoesLatestLines(input: PredictionInput, edit: ProposedEdit, predicted: string): boolean {
  if (input.originalWindow === input.currentWindow) return false;
  const current = input.currentWindow.split("\n");
  const original = input.originalWindow.split("\n");
  const next = predicted.split("\n");
  if (current.length !== original.length || next.length !== current.length) return false;
  const first = edit.range.start.line - input.window.start;
  const last = edit.range.end.line - input.window.start;
  let restored = false;
  for (let line = first; line <= last; line++) {
    if (current[line] === original[line]) continue;
    if (next[line] !== original[line]) return false;
    restored = true;
  }
  return restored;
}

function toPosition(text: string, offset: number, firstLine: number): Position {
  const before = text.slice(0, offset);
  const lineBreaks = before.split("\n");
  return { line: firstLine + lineBreaks.length - 1, character: lineBreaks.at(-1)!.length };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
