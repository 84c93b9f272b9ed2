import { openBrackets, scanBrackets } from "./brackets";
import { endsWithBlockOpener, indentWidth, isBlank, isCloserLine, leadingWhitespace, splitLines, tabSize } from "./text";
import type { PostprocessContext } from "./types";

/**
 * Keeps a multi-line completion inside the block it starts in, as Copilot's block trimmer does.
 * Two readings, the earlier end wins:
 * - brackets: a line that closes a bracket opened before the cursor closes the cursor's block;
 *   the completion ends with that line;
 * - indentation: right after a block opener the user typed (`if x:`, `{`), the body is the lines
 *   indented deeper than that line, and a closer at the opener's indentation ends it (kept); on an
 *   empty line, the lines at the cursor's indentation or deeper, a closer further left ending it
 *   (kept); after other text, the lines at the current line's indentation or deeper.
 * At the top level nothing dedents, so only brackets can end it.
 */
export function limitToBlock(text: string, ctx: PostprocessContext): string {
  const lines = splitLines(text);
  if (lines.length < 2) return text;
  const end = Math.min(bracketEnd(lines, ctx), indentationEnd(lines, ctx));
  if (end >= lines.length) return text;
  const kept = lines.slice(0, end);
  while (kept.length > 1 && isBlank(kept[kept.length - 1]!)) kept.pop();
  return kept.join("\n");
}

/** Languages where a bracket is punctuation (`1) item`), not structure. */
const PROSE = new Set(["markdown", "plaintext", "restructuredtext", "latex"]);

/** Lines kept by the bracket reading: up to the line that closes what was open at the cursor. */
function bracketEnd(lines: readonly string[], ctx: PostprocessContext): number {
  if (PROSE.has(ctx.languageId)) return lines.length;
  const state = openBrackets(ctx.prefix, ctx.languageId);
  let closedAt: number | undefined;
  const text = lines.join("\n");
  scanBrackets(text, ctx.languageId, state, (offset) => {
    closedAt ??= offset;
  });
  if (closedAt === undefined) return lines.length;
  const line = text.slice(0, closedAt).split("\n").length - 1;
  // Only what follows the closing line is outside the block; on the cursor's own line nothing is cut.
  return line + 1;
}

/** Lines kept by the indentation reading. */
function indentationEnd(lines: readonly string[], ctx: PostprocessContext): number {
  const tab = tabSize(ctx);
  const width = (line: string): number => indentWidth(leadingWhitespace(line), tab);

  let floor: number;
  let closerWidth: number | undefined;
  let firstChecked = 1;
  if (isBlank(ctx.linePrefix)) {
    const firstIndex = lines.findIndex((line) => !isBlank(line));
    if (firstIndex < 0) return lines.length;
    const first = lines[firstIndex]!;
    const firstWidth = width(firstIndex === 0 ? ctx.linePrefix + first : first);
    const cursorWidth = width(ctx.linePrefix);
    // The cursor's indentation says where the block is; with none, the first line the model writes.
    floor = cursorWidth > 0 ? cursorWidth : firstWidth;
    firstChecked = firstIndex === 0 ? 1 : firstIndex;
  } else if (endsWithBlockOpener(ctx.linePrefix, ctx.languageId) || endsWithBlockOpener(ctx.linePrefix + lines[0]!, ctx.languageId)) {
    // The user's line opens a block, or the completion's first line finishes opening it (`def f(x)` + `:`).
    closerWidth = width(ctx.linePrefix);
    floor = closerWidth + 1;
    // A body written at the opener's own indentation (a C++ namespace): only brackets can tell its end.
    const body = lines.slice(1).find((line) => !isBlank(line));
    if (body !== undefined && width(body) <= closerWidth && !isCloserLine(body)) return lines.length;
  } else {
    floor = width(ctx.linePrefix);
  }

  for (let i = firstChecked; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line) || width(line) >= floor) continue;
    const keepCloser = isCloserLine(line) && (closerWidth === undefined || width(line) === closerWidth);
    return keepCloser ? i + 1 : i;
  }
  return lines.length;
}
