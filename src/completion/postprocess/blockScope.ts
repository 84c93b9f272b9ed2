import { endsWithBlockOpener, indentWidth, isBlank, isCloserLine, leadingWhitespace, splitLines, tabSize } from "./text";
import type { PostprocessContext } from "./types";

/**
 * Keeps a multi-line completion inside the block it starts in, as Copilot's block trimmer does:
 * - right after a block opener the user typed (`if x:`, `{`), the body is the lines indented
 *   deeper than that line; a closer at the opener's indentation (`}`) ends it and is kept;
 * - on an empty line, the lines at the cursor's indentation or deeper; the completion ends before
 *   the first line that dedents, except a closer (`}`), which ends it and is kept;
 * - after other text, the lines at the current line's indentation or deeper.
 * At the top level nothing dedents, so nothing is cut.
 */
export function limitToBlock(text: string, ctx: PostprocessContext): string {
  const lines = splitLines(text);
  if (lines.length < 2) return text;
  const tab = tabSize(ctx);
  const width = (line: string): number => indentWidth(leadingWhitespace(line), tab);

  let floor: number;
  let closerWidth: number | undefined;
  if (isBlank(ctx.linePrefix)) {
    const first = lines.find((line) => !isBlank(line));
    if (first === undefined) return text;
    floor = width(first === lines[0] ? ctx.linePrefix + first : first);
  } else if (endsWithBlockOpener(ctx.linePrefix)) {
    closerWidth = width(ctx.linePrefix);
    floor = closerWidth + 1;
  } else {
    floor = width(ctx.linePrefix);
  }

  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line) || width(line) >= floor) continue;
    const keepCloser = isCloserLine(line) && (closerWidth === undefined || width(line) === closerWidth);
    const kept = lines.slice(0, keepCloser ? i + 1 : i);
    while (kept.length > 1 && isBlank(kept[kept.length - 1]!)) kept.pop();
    return kept.join("\n");
  }
  return text;
}
