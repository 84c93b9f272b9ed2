import { isBlank, leadingWhitespace, nextNonBlankLine } from "./text";
import type { PostprocessContext } from "./types";

/**
 * Trims closing brackets, quotes and `;`/`,` the completion writes although the document already
 * has them: right of the cursor (the editor auto-closed `(` or `"`), or opening the next line
 * (`{` + Enter leaves `}` below the cursor). Only trims where that leaves the brackets balanced.
 */
export function trimDuplicateClosers(text: string, ctx: PostprocessContext): string {
  return trimClosersBeforeNextLine(trimClosersBeforeLineSuffix(text, ctx), ctx);
}

const DUPLICABLE = /^[)\]}"'`;,]+$/;
const BRACKETS_THEN_PUNCTUATION = /^[)\]}]+[;,]?$/;
const OPENER_OF: Readonly<Record<string, string>> = { ")": "(", "]": "[", "}": "{" };

/** `print(|)` + `x)` gives `print(x))`: drop the completion's `)`. */
export function trimClosersBeforeLineSuffix(text: string, ctx: PostprocessContext): string {
  const right = ctx.lineSuffix;
  let best = text;
  let bestScore = imbalance(ctx.linePrefix + text + right);
  for (let k = 1; k <= Math.min(text.length, right.length); k++) {
    const head = right.slice(0, k);
    if (!DUPLICABLE.test(head)) break;
    if (!text.endsWith(head)) continue;
    const candidate = text.slice(0, text.length - k);
    const score = imbalance(ctx.linePrefix + candidate + right);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/**
 * The cursor is on a line of its own and the next line starts with `}` or `)`: drop the same
 * closers from the completion's end when they close something opened before the cursor's line.
 */
export function trimClosersBeforeNextLine(text: string, ctx: PostprocessContext): string {
  if (!isBlank(ctx.lineSuffix)) return text;
  const nextLine = nextNonBlankLine(ctx);
  if (nextLine === undefined) return text;
  const next = nextLine.trimStart();
  const trimmed = text.trimEnd();
  const whole = ctx.linePrefix + trimmed;
  const lastLine = whole.slice(whole.lastIndexOf("\n") + 1);
  // A closer on a line of its own closes the block at its indentation: only the same block's
  // closer below makes it a duplicate (else it closes an inner block the model opened or the
  // document left open).
  if (BRACKETS_THEN_PUNCTUATION.test(lastLine.trim()) && leadingWhitespace(lastLine) !== leadingWhitespace(nextLine)) return text;
  const unmatched = unmatchedClosersAtEnd(whole);
  for (let k = Math.min(next.length, trimmed.length); k >= 1; k--) {
    const head = next.slice(0, k);
    if (!BRACKETS_THEN_PUNCTUATION.test(head) || !trimmed.endsWith(head)) continue;
    const brackets = head.replace(/[;,]$/, "").length;
    if (brackets <= unmatched) return trimmed.slice(0, trimmed.length - k);
  }
  return text;
}

/**
 * How wrong a text's brackets and quotes are: closers without an opener, openers left open, one
 * more if it ends inside a string, and doubled `;;` / `,,`. Brackets inside strings do not count.
 */
export function imbalance(text: string): number {
  const stack: string[] = [];
  let unmatched = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote !== undefined) {
      if (char === "\\") i++;
      else if (char === quote) quote = undefined;
      else if (char === "\n" && quote !== "`") quote = undefined;
      continue;
    }
    if (char === '"' || char === "'" || char === "`") quote = char;
    else if (char === "(" || char === "[" || char === "{") stack.push(char);
    else if (char in OPENER_OF) {
      if (stack[stack.length - 1] === OPENER_OF[char]) stack.pop();
      else unmatched++;
    }
  }
  const doubled = (text.match(/;;|,,/g) ?? []).length;
  return unmatched + stack.length + (quote !== undefined ? 1 : 0) + doubled;
}

/** How many of the closers at the very end of `text` close nothing opened within `text`. */
function unmatchedClosersAtEnd(text: string): number {
  const run = /[)\]}]+[;,]?$/.exec(text)?.[0].replace(/[;,]$/, "") ?? "";
  if (run.length === 0) return 0;
  const body = text.replace(/[;,]$/, "");
  const before = body.slice(0, body.length - run.length);
  // Openers still open before the run, innermost last; each closer in the run takes one.
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < before.length; i++) {
    const char = before[i]!;
    if (quote !== undefined) {
      if (char === "\\") i++;
      else if (char === quote || (char === "\n" && quote !== "`")) quote = undefined;
      continue;
    }
    if (char === '"' || char === "'" || char === "`") quote = char;
    else if (char === "(" || char === "[" || char === "{") stack.push(char);
    else if (char in OPENER_OF && stack[stack.length - 1] === OPENER_OF[char]) stack.pop();
  }
  let unmatched = 0;
  for (const closer of run) {
    if (stack[stack.length - 1] === OPENER_OF[closer]) stack.pop();
    else unmatched++;
  }
  return unmatched;
}
