import { isBlank, nextNonBlankLine, splitLines } from "./text";
import type { PostprocessContext } from "./types";

/** Drops a completion that only repeats what already stands right of the cursor. */
export function dropRepeatOfRightText(text: string, ctx: PostprocessContext): string {
  const completion = text.trim();
  return completion.length > 0 && ctx.suffix.trimStart().startsWith(completion) ? "" : text;
}

/**
 * Stops where the completion starts writing what the document already has after the cursor:
 * the rest of the current line (`foo(|b)` + `a, b)` keeps `a, `), or the next non-blank line.
 */
export function stopAtSuffixRepeat(text: string, ctx: PostprocessContext): string {
  return stopAtNextLine(stopAtLineSuffix(text, ctx), ctx);
}

/** The completion rewrites the rest of the current line: keep what comes before that. */
export function stopAtLineSuffix(text: string, ctx: PostprocessContext): string {
  const rest = ctx.lineSuffix.trim();
  if (rest.length === 0) return text;
  const lines = splitLines(text);
  const first = lines[0]!.trimEnd();
  if (lines.length > 1 && first.endsWith(rest)) return first.slice(0, first.length - rest.length);
  const whole = text.trimEnd();
  if (whole.endsWith(rest)) return whole.slice(0, whole.length - rest.length);
  return text;
}

/** The completion reaches the document's next non-blank line: cut before the repeated line. */
export function stopAtNextLine(text: string, ctx: PostprocessContext): string {
  const next = nextNonBlankLine(ctx);
  if (next === undefined) return text;
  const lines = splitLines(text);
  for (let i = 0; i < lines.length; i++) {
    // The first line shares the cursor's line: compare it whole, as it will read.
    const line = i > 0 ? lines[i]! : ctx.linePrefix + lines[0]! + (lines.length === 1 ? ctx.lineSuffix : "");
    if (sameLine(line, next)) return lines.slice(0, i).join("\n");
  }
  return text;
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
