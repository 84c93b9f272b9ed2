import { bracketsOf, openBrackets, scanBrackets, type BracketState } from "./brackets";
import { isBlank, leadingWhitespace, linesAfterCursor } from "./text";
import type { PostprocessContext } from "./types";

/**
 * Trims closing brackets, quotes and `;`/`,` the completion writes although the document already
 * has them: right of the cursor (the editor auto-closed `(` or `"`), or opening the next line
 * (`{` + Enter leaves `}` below the cursor). Brackets are compared without their punctuation, so
 * `};` duplicates `}` and `});` duplicates `})`.
 */
export function trimDuplicateClosers(text: string, ctx: PostprocessContext): string {
  return trimClosersBeforeNextLine(trimClosersBeforeLineSuffix(text, ctx), ctx);
}

const DUPLICABLE = /^[)\]}"'`;,]+$/;

/**
 * `print(|)` + `x)` gives `print(x))`: drop the completion's `)`. Of the completion's possible
 * endings (its closing characters dropped one by one), keeps the one that leaves the line's
 * closers matched, the longest on a tie.
 */
export function trimClosersBeforeLineSuffix(text: string, ctx: PostprocessContext): string {
  const right = ctx.lineSuffix;
  if (!/^[)\]}"'`;,]/.test(right)) return text;
  const before = openBrackets(lastLines(ctx.prefix, 60), ctx.languageId);
  let best = text;
  let bestScore = lineScore(before, text, right, ctx);
  for (let k = 1; k <= text.length; k++) {
    const dropped = text.slice(text.length - k);
    if (!DUPLICABLE.test(dropped)) break;
    const candidate = text.slice(0, text.length - k);
    const score = lineScore(before, candidate, right, ctx);
    if (score < bestScore) {
      best = candidate;
      bestScore = score;
    }
  }
  return best;
}

/** Closers with nothing to close, a string left open, and `;;` / `,,` where the two texts meet. */
function lineScore(before: BracketState, middle: string, right: string, ctx: PostprocessContext): number {
  // Closers that close openers from before the cursor are fine; only those with nothing left to close count.
  let extra = 0;
  const state = scanBrackets(middle + right, ctx.languageId, { stack: [...before.stack], openedAt: [...before.openedAt], quote: before.quote }, (_, kind) => {
    if (kind === "unmatched") extra++;
  });
  const junction = (middle.slice(-2) + right.slice(0, 2)).match(/;;|,,/g)?.length ?? 0;
  return extra + (state.quote !== undefined ? 1 : 0) + junction;
}

/**
 * The completion ends with closers the next line of the document starts with (`}` above `}`,
 * `};` above `}`, `});` above `})`): drop them when they close the block the document's closers
 * close: they close brackets opened before the completion, on a line indented like the
 * document's closer line. A `}` for an `if` above the function's `}` stays.
 */
export function trimClosersBeforeNextLine(text: string, ctx: PostprocessContext): string {
  if (!isBlank(ctx.lineSuffix)) return text;
  const nextLine = linesAfterCursor(ctx).find((line) => !isBlank(line));
  if (nextLine === undefined) return text;
  const documentClosers = bracketsOf(/^[)\]}][)\]};,\s]*/.exec(nextLine.trim())?.[0] ?? "");
  if (documentClosers.length === 0) return text;

  const trimmed = text.trimEnd();
  const lastLine = trimmed.slice(trimmed.lastIndexOf("\n") + 1);
  const run = /[)\]}][)\]};,]*$/.exec(lastLine)?.[0];
  if (run === undefined) return text;

  // Which of the run's closers close brackets opened before the completion, and where that opener stands.
  const start = trimmed.length - run.length;
  const above = lastLines(ctx.prefix, 200);
  const state = openBrackets(above, ctx.languageId);
  let first: { offset: number; openedAt?: number } | undefined;
  scanBrackets(trimmed, ctx.languageId, state, (offset, kind, openedAt) => {
    if (offset >= start && first === undefined) first = { offset, openedAt: kind === "outer" ? openedAt : undefined };
  });
  if (first?.openedAt === undefined) return text;
  const openerLine = above.slice(above.lastIndexOf("\n", first.openedAt) + 1);
  if (leadingWhitespace(openerLine) !== leadingWhitespace(nextLine)) return text;
  if (!documentClosers.startsWith(bracketsOf(trimmed.slice(first.offset)))) return text;
  // Text on the closer's line before it (`foo(a, b` + `)`) stays; a line left empty goes.
  let kept = trimmed.slice(0, first.offset);
  const lastBreak = kept.lastIndexOf("\n");
  if (lastBreak >= 0 && isBlank(kept.slice(lastBreak + 1))) kept = kept.slice(0, lastBreak);
  return kept.trimEnd();
}

/** The last `count` lines of a text: bracket state far above the cursor does not matter here. */
function lastLines(text: string, count: number): string {
  let at = text.length;
  for (let i = 0; i < count && at > 0; i++) at = text.lastIndexOf("\n", at - 1);
  return at <= 0 ? text : text.slice(at + 1);
}
