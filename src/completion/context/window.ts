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
 *
 * A new place is made cheap (the cold start): when the full window would take longer to
 * evaluate than `coldChars` allows, the prompt keeps the start of the file's previous window (so
 * only the lines between the old and the new anchor, and the suffix, are new), or else is a
 * small window around the cursor. Either is marked not `full`, and idle warm-up replaces it with
 * the full window, which is the same for a place whatever came before.
 */
export interface PromptWindow {
  readonly prefix: string;
  readonly suffix: string;
  readonly middle: string;
  readonly prefixStart: CursorPosition;
  readonly anchor: CursorPosition;
  /** The full-size window for this anchor; false for the cheaper one of a cold start. */
  readonly full: boolean;
}

export interface WindowBudget {
  readonly prefixChars: number;
  readonly suffixChars: number;
  /** The middle may grow to this many characters / lines before the anchor moves. */
  readonly middleChars: number;
  readonly middleLines: number;
  /**
   * Characters of new prompt text a request at a new place may send for evaluation (what the
   * measured prompt speed reads within the cold-start time budget); undefined: no limit.
   */
  readonly coldChars?: number;
}

/** Prefix windows start on a multiple of this many lines, so small cursor moves keep the start. */
const PREFIX_LINE_QUANTUM = 16;
/** The small window of a cold start starts on a finer grid (a 16-line step would eat most of it). */
const COLD_LINE_QUANTUM = 4;
/**
 * A cold start may keep the file's previous prompt start while the prefix is at most this much
 * longer than the budget (the caller leaves that room in the context), so a move of a few dozen
 * lines down re-evaluates only those lines.
 */
export const PREFIX_SLACK = 1.25;
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
  readonly full: boolean;
}

/** A document's last window: its anchoring and the suffix it sent (a different one means the cursor moved). */
interface Place extends Anchoring {
  readonly suffix: string;
}

export class WindowPlanner {
  /** The last window of each recently used document, most recent first (one per KV state the engine keeps). */
  private places: Place[] = [];

  constructor(private capacity = 1) {}

  /** How many documents' windows to remember: as many as the engine keeps KV states. */
  setCapacity(capacity: number): void {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.places.splice(this.capacity);
  }

  /** Plans the window for a request; `reanchor` forces the full window at the cursor (idle warm-up). */
  plan(request: CompletionRequest, budget: WindowBudget, reanchor = false): PromptWindow {
    const { text, cursor } = request;
    const kept = reanchor ? undefined : this.keptAnchor(request, budget);
    let chosen: Anchoring = kept ?? (reanchor ? fullAnchoring(request, budget) : this.newPlace(request, budget));
    let suffix = suffixFrom(text, cursor, chosen.suffixChars);
    const cold = budget.coldChars;
    if (kept && cold !== undefined && suffix !== kept.suffix) {
      // The cursor moved within the anchor's reach (typing never changes the suffix): the suffix
      // and middle are evaluated again, so they too fit the cold budget until the warm-up.
      const middle = charsBetween(text, kept.anchor, cursor);
      const suffixChars = Math.max(Math.floor(cold / 4), cold - middle);
      if (middle + suffix.length > cold && suffixChars < kept.suffixChars) {
        chosen = { ...kept, suffixChars, full: false };
        suffix = suffixFrom(text, cursor, suffixChars);
      }
    }
    const place: Place = { ...chosen, suffix };
    this.places = [place, ...this.places.filter((other) => other.documentKey !== request.documentKey)].slice(0, this.capacity);
    return {
      prefix: sliceText(text, chosen.prefixStart, chosen.anchor),
      middle: sliceText(text, chosen.anchor, cursor),
      suffix,
      prefixStart: chosen.prefixStart,
      anchor: chosen.anchor,
      full: chosen.full,
    };
  }

  /**
   * Whether idle time should move the anchor to the cursor: there is none for this place, the
   * window is a cold start's smaller one, or the middle has grown past a few lines (each later
   * keystroke would re-send it as middle text).
   */
  needsRefresh(request: CompletionRequest, budget: WindowBudget): boolean {
    const kept = this.keptAnchor(request, budget);
    return !kept || !kept.full || request.cursor.line - kept.anchor.line > REFRESH_AFTER_LINES;
  }

  /** Forget every anchor (e.g. after a model change). */
  reset(): void {
    this.places = [];
  }

  private keptAnchor(request: CompletionRequest, budget: WindowBudget): Place | undefined {
    const last = this.places.find((place) => place.documentKey === request.documentKey);
    if (!last) return undefined;
    const { cursor, text } = request;
    if (comparePositions(last.anchor, cursor) > 0) return undefined;
    if (cursor.line - last.anchor.line > budget.middleLines) return undefined;
    if (last.anchor.line >= text.lineCount) return undefined;
    if (middleLength(text, last.anchor, cursor, budget.middleChars) > budget.middleChars) return undefined;
    return last;
  }

  /** The full window if it is cheap enough here, else the cold start's cheaper one. */
  private newPlace(request: CompletionRequest, budget: WindowBudget): Anchoring {
    const full = fullAnchoring(request, budget);
    const cold = budget.coldChars;
    if (cold === undefined) return full;
    const { text, cursor, documentKey } = request;
    const { anchor } = full;
    const middle = charsBetween(text, anchor, cursor);
    const previous = this.places.find((place) => place.documentKey === documentKey);
    // What is new to evaluate for a prefix from `start`: with the file's previous start, only
    // the lines below its old anchor (the KV state holds the rest).
    const newPrefixChars = (start: CursorPosition): number => {
      if (!previous || comparePositions(previous.prefixStart, start) !== 0) return charsBetween(text, start, anchor);
      return comparePositions(previous.anchor, anchor) >= 0 ? 0 : charsBetween(text, previous.anchor, anchor);
    };
    if (newPrefixChars(full.prefixStart) + middle + full.suffixChars <= cold) return full;

    const suffixChars = Math.min(budget.suffixChars, Math.floor(cold / 4));
    const smallPrefix = Math.max(0, cold - suffixChars - middle);
    if (previous && comparePositions(previous.prefixStart, anchor) <= 0) {
      const kept = charsBetween(text, previous.prefixStart, anchor);
      const room = cold - newPrefixChars(previous.prefixStart) - middle;
      if (kept <= budget.prefixChars * PREFIX_SLACK && kept >= smallPrefix && room >= suffixChars) {
        return { documentKey, anchor, prefixStart: previous.prefixStart, suffixChars: Math.min(budget.suffixChars, room), full: false };
      }
    }
    const prefixStart = prefixStartFor(text, anchor, smallPrefix, COLD_LINE_QUANTUM);
    return { documentKey, anchor, prefixStart, suffixChars, full: false };
  }
}

/** Today's window for the cursor's place: the one idle warm-up settles on. */
function fullAnchoring(request: CompletionRequest, budget: WindowBudget): Anchoring {
  const anchor = anchorAt(request.text, request.cursor, budget.middleChars);
  const prefixStart = prefixStartFor(request.text, anchor, budget.prefixChars, PREFIX_LINE_QUANTUM);
  return { documentKey: request.documentKey, anchor, prefixStart, suffixChars: budget.suffixChars, full: true };
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
function prefixStartFor(text: TextSource, anchor: CursorPosition, budgetChars: number, lineQuantum: number): CursorPosition {
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
  if (line > 0) line = Math.min(anchor.line, roundUp(line, lineQuantum));
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

/** Characters between two positions, counting each line break as one. */
function charsBetween(text: TextSource, from: CursorPosition, to: CursorPosition): number {
  if (comparePositions(from, to) >= 0) return 0;
  if (from.line === to.line) return to.character - from.character;
  let total = text.lineAt(from.line).length - from.character + 1;
  for (let line = from.line + 1; line < to.line; line++) total += text.lineAt(line).length + 1;
  return total + to.character;
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
