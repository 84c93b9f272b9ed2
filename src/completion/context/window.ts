import type { CompletionRequest, CursorPosition, TextSource } from "../types";

/**
 * Chooses which document text goes into a FIM prompt so that consecutive keystrokes share the
 * longest possible token prefix (node-llama-cpp reuses exactly that part of the KV cache).
 *
 *   prompt = [extra chunks] [prefix: prefixStart → anchor] [suffix: cursor → suffixEnd] [middle: anchor → cursor]
 *
 * The middle, the text typed since the anchor, goes last, after the family's FIM "middle" token:
 * the model is asked to continue a hole that begins at the anchor, which is exactly the trained
 * layout with the start of the middle already written. Typing forward only appends to the middle;
 * the prefix and suffix before it stay byte-identical, so each keystroke evaluates a few tokens.
 * The anchor moves (re-evaluating the suffix once) only when the middle grows too long or the
 * cursor goes elsewhere, and idle warm-up does that move before the user asks.
 */
export interface PromptWindow {
  readonly prefix: string;
  readonly suffix: string;
  readonly middle: string;
  readonly prefixStart: CursorPosition;
  readonly anchor: CursorPosition;
}

export interface WindowBudget {
  readonly prefixChars: number;
  readonly suffixChars: number;
  /** The middle may grow to this many characters / lines before the anchor moves. */
  readonly middleChars: number;
  readonly middleLines: number;
}

/** Prefix windows start on a multiple of this many lines, so small cursor moves keep the start. */
const PREFIX_LINE_QUANTUM = 16;
/** Idle warm-up moves the anchor once the middle spans more lines than this. */
const REFRESH_AFTER_LINES = 4;
/** Within a very long line, anchors and starts sit on multiples of this many characters. */
const CHAR_QUANTUM = 128;

interface Anchoring {
  readonly documentKey: string;
  readonly anchor: CursorPosition;
  readonly prefixStart: CursorPosition;
  /** The suffix size chosen with the anchor; kept with it so the suffix does not change length. */
  readonly suffixChars: number;
}

export class WindowPlanner {
  private last?: Anchoring;

  /** Plans the window for a request; `reanchor` forces the anchor to the cursor (idle warm-up). */
  plan(request: CompletionRequest, budget: WindowBudget, reanchor = false): PromptWindow {
    const { text, cursor } = request;
    const kept = reanchor ? undefined : this.keptAnchor(request, budget);
    const anchor = kept?.anchor ?? anchorAt(text, cursor, budget.middleChars);
    const prefixStart = kept?.prefixStart ?? prefixStartFor(text, anchor, budget.prefixChars);
    const suffixChars = kept?.suffixChars ?? budget.suffixChars;
    this.last = { documentKey: request.documentKey, anchor, prefixStart, suffixChars };
    return {
      prefix: sliceText(text, prefixStart, anchor),
      middle: sliceText(text, anchor, cursor),
      suffix: suffixFrom(text, cursor, suffixChars),
      prefixStart,
      anchor,
    };
  }

  /**
   * Whether idle time should move the anchor to the cursor: there is none for this place, or the
   * middle has grown past a few lines (each later keystroke would re-send it as middle text).
   */
  needsRefresh(request: CompletionRequest, budget: WindowBudget): boolean {
    const kept = this.keptAnchor(request, budget);
    return !kept || request.cursor.line - kept.anchor.line > REFRESH_AFTER_LINES;
  }

  /** Forget the anchor (e.g. when the document changed above it). */
  reset(): void {
    this.last = undefined;
  }

  private keptAnchor(request: CompletionRequest, budget: WindowBudget): Anchoring | undefined {
    const last = this.last;
    if (last?.documentKey !== request.documentKey) return undefined;
    const { cursor, text } = request;
    if (comparePositions(last.anchor, cursor) > 0) return undefined;
    if (cursor.line - last.anchor.line > budget.middleLines) return undefined;
    if (last.anchor.line >= text.lineCount) return undefined;
    if (middleLength(text, last.anchor, cursor, budget.middleChars) > budget.middleChars) return undefined;
    return last;
  }
}

export function comparePositions(a: CursorPosition, b: CursorPosition): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

/** The start of the cursor's line, or a nearby character boundary in a very long line. */
function anchorAt(text: TextSource, cursor: CursorPosition, middleChars: number): CursorPosition {
  if (cursor.character <= middleChars) return { line: cursor.line, character: 0 };
  const lineText = text.lineAt(cursor.line);
  let character = cursor.character - (cursor.character % CHAR_QUANTUM);
  character = avoidSplitSurrogate(lineText, character);
  return { line: cursor.line, character };
}

/** Walks up from the anchor until the budget is used, then rounds the start to a stable boundary. */
function prefixStartFor(text: TextSource, anchor: CursorPosition, budgetChars: number): CursorPosition {
  let remaining = budgetChars - anchor.character;
  if (remaining <= 0) {
    const lineText = text.lineAt(anchor.line);
    const start = Math.max(0, anchor.character - budgetChars);
    return { line: anchor.line, character: avoidSplitSurrogate(lineText, roundUp(start, CHAR_QUANTUM)) };
  }
  let line = anchor.line;
  while (line > 0) {
    const length = text.lineAt(line - 1).length + 1;
    if (length > remaining) {
      // The line above does not fit whole: start inside it (only for very long lines), else below it.
      if (line === anchor.line && remaining > CHAR_QUANTUM) {
        const lineText = text.lineAt(line - 1);
        const start = roundUp(lineText.length - remaining + 1, CHAR_QUANTUM);
        if (start < lineText.length) return { line: line - 1, character: avoidSplitSurrogate(lineText, start) };
      }
      break;
    }
    remaining -= length;
    line--;
  }
  if (line > 0) line = Math.min(anchor.line, roundUp(line, PREFIX_LINE_QUANTUM));
  return { line, character: 0 };
}

function suffixFrom(text: TextSource, cursor: CursorPosition, budgetChars: number): string {
  if (cursor.line >= text.lineCount) return "";
  const first = text.lineAt(cursor.line).slice(cursor.character);
  if (first.length >= budgetChars) return first.slice(0, avoidSplitSurrogate(first, budgetChars));
  const parts = [first];
  let used = first.length;
  for (let line = cursor.line + 1; line < text.lineCount; line++) {
    const lineText = text.lineAt(line);
    if (used + 1 + lineText.length > budgetChars) {
      // Whole lines only, so the suffix ends at a boundary that does not move while typing.
      break;
    }
    parts.push(lineText);
    used += 1 + lineText.length;
  }
  return parts.join("\n");
}

/** Text between two positions, lines joined with "\n" (the prompt always uses "\n"). */
export function sliceText(text: TextSource, from: CursorPosition, to: CursorPosition): string {
  if (comparePositions(from, to) >= 0) return "";
  if (from.line === to.line) return text.lineAt(from.line).slice(from.character, to.character);
  const parts = [text.lineAt(from.line).slice(from.character)];
  for (let line = from.line + 1; line < to.line; line++) parts.push(text.lineAt(line));
  parts.push(text.lineAt(to.line).slice(0, to.character));
  return parts.join("\n");
}

function middleLength(text: TextSource, from: CursorPosition, to: CursorPosition, limit: number): number {
  let total = 0;
  for (let line = from.line; line <= to.line; line++) {
    const start = line === from.line ? from.character : 0;
    const end = line === to.line ? to.character : text.lineAt(line).length;
    total += end - start + 1;
    if (total > limit) return total;
  }
  return total;
}

function roundUp(value: number, quantum: number): number {
  return Math.ceil(value / quantum) * quantum;
}

/** Never cut between the two halves of a UTF-16 surrogate pair. */
function avoidSplitSurrogate(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return Math.max(0, Math.min(index, text.length));
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index - 1 : index;
}
