import { CLOSER_RUN, imbalance } from "./brackets";
import { trimClosersBeforeNextLine } from "./closers";
import { isBlank, linesAfterCursor, splitLines } from "./text";
import type { PostprocessContext } from "./types";

/**
 * Drops a completion that only repeats what already stands right of the cursor. A closer on a
 * line of its own repeats the next line's closer only when it closes the same block, at the same
 * indentation: `}` for an `if` above the function's `}` is needed.
 */
export function dropRepeatOfRightText(text: string, ctx: PostprocessContext): string {
  const completion = text.trim();
  const rightStart = ctx.suffix.search(/\S/);
  if (completion.length === 0 || rightStart < 0 || !ctx.suffix.startsWith(completion, rightStart)) return text;
  // A closer alone repeats the next line's only when it closes the same block (see closers.ts).
  if (CLOSER_RUN.test(completion) && rightStart > ctx.lineSuffix.length) return trimClosersBeforeNextLine(text, ctx) === "" ? "" : text;
  return "";
}

/**
 * Stops where the completion starts writing what the document already has after the cursor:
 * the rest of the current line (`foo(|b)` + `a, b)` keeps `a, `), or the next non-blank line.
 */
export function stopAtSuffixRepeat(text: string, ctx: PostprocessContext): string {
  return stopAtNextLine(stopAtLineSuffix(text, ctx), ctx);
}

/**
 * The completion rewrites the rest of the current line: keep what comes before that, unless the
 * brackets say the completion's end was its own (`print(|)` + `f(x)` keeps its `)`).
 */
export function stopAtLineSuffix(text: string, ctx: PostprocessContext): string {
  const rest = ctx.lineSuffix.trim();
  if (rest.length === 0) return text;
  const lines = splitLines(text);
  const first = lines[0]!.trimEnd();
  const whole = text.trimEnd();
  const candidate = lines.length > 1 && first.endsWith(rest)
    ? first.slice(0, first.length - rest.length)
    : whole.endsWith(rest) ? whole.slice(0, whole.length - rest.length) : undefined;
  if (candidate === undefined) return text;
  const line = (middle: string): string => ctx.linePrefix + middle + ctx.lineSuffix;
  return imbalance(line(candidate)) <= imbalance(line(text)) ? candidate : text;
}

/**
 * The completion reaches the document's next non-blank lines: cut before the repeated line. The
 * very next line matches alone; the two after it only as a pair, so one common line does not cut.
 */
export function stopAtNextLine(text: string, ctx: PostprocessContext): string {
  const next = nextNonBlankLines(ctx, 3);
  if (next.length === 0) return text;
  const lines = splitLines(text);
  // The first line shares the cursor's line: compare it whole, as it will read.
  const whole = [ctx.linePrefix + lines[0]! + (lines.length === 1 ? ctx.lineSuffix : ""), ...lines.slice(1)];
  for (let i = 0; i < whole.length; i++) {
    const repeats = sameLine(whole[i]!, next[0]!) || [1, 2].some((j) =>
      next[j + 1] !== undefined && i + 1 < whole.length && sameLine(whole[i]!, next[j]!) && sameLine(whole[i + 1]!, next[j + 1]!));
    if (repeats) return lines.slice(0, i).join("\n");
  }
  return text;
}

function nextNonBlankLines(ctx: PostprocessContext, count: number): string[] {
  return linesAfterCursor(ctx).filter((line) => !isBlank(line)).slice(0, count);
}

/**
 * Lines match when equal with their indentation; long enough lines also match when only their
 * indentation differs. A short closer (`}`) matches only at the same indentation, so the end of a
 * nested block the model writes is not taken for the enclosing block's end.
 */
export function sameLine(a: string, b: string): boolean {
  if (isBlank(a)) return false;
  if (a.trimEnd() === b.trimEnd()) return true;
  const content = a.trim();
  return content.length >= 6 && /\w/.test(content) && content === b.trim();
}
