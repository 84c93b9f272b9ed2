import { isBlank, previousNonBlankLine, splitLines } from "./text";
import type { PostprocessContext } from "./types";

/** Long enough to be content rather than a closer or a keyword: repeating it twice is a loop. */
const SUBSTANTIVE_LENGTH = 8;
/** Looking for repeats in more lines than this costs more than it finds. */
const MAX_LINES_CHECKED = 400;

/** Drops a completion whose first line only rewrites the line above the cursor. */
export function dropRewriteOfLineAbove(text: string, ctx: PostprocessContext): string {
  const above = previousNonBlankLine(ctx);
  if (above === undefined) return text;
  const lines = splitLines(text);
  const firstIndex = lines.findIndex((line) => !isBlank(line));
  if (firstIndex < 0) return text;
  const first = firstIndex === 0 ? ctx.linePrefix + lines[0]! : lines[firstIndex]!;
  const content = first.trim();
  return content.length >= 4 && /\w/.test(content) && content === above.trim() ? "" : text;
}

/**
 * Stops where the model starts looping: a line written again right after itself (a long line
 * twice, a short one three times), or a block of lines written again right after itself.
 * One copy is kept.
 */
export function stopAtRepeatedLines(text: string, ctx: PostprocessContext): string {
  const lines = splitLines(text);
  // Compare the first line as it will read, with the indentation left of the cursor.
  const whole = [ctx.linePrefix + lines[0]!, ...lines.slice(1)];
  const cut = Math.min(repeatedLineCut(whole), repeatedBlockCut(whole));
  return cut < lines.length ? lines.slice(0, cut).join("\n") : text;
}

/** Index of the first line to drop because it repeats the line before it, or `lines.length`. */
function repeatedLineCut(lines: readonly string[]): number {
  const limit = Math.min(lines.length, MAX_LINES_CHECKED);
  for (let i = 1; i < limit; i++) {
    const line = lines[i]!;
    if (isBlank(line) || line !== lines[i - 1]) continue;
    if (line.trim().length >= SUBSTANTIVE_LENGTH) return i;
    if (i + 1 < limit && lines[i + 1] === line) return i;
  }
  return lines.length;
}

/** Index where a block of two or more lines starts again right after itself, or `lines.length`. */
function repeatedBlockCut(lines: readonly string[]): number {
  const limit = Math.min(lines.length, MAX_LINES_CHECKED);
  let best = lines.length;
  for (let size = 2; size * 2 <= limit; size++) {
    for (let start = 0; start + size * 2 <= limit && start + size < best; start++) {
      if (blockContent(lines, start, size) >= 10 && sameBlock(lines, start, start + size, size)) {
        best = start + size;
        break;
      }
    }
  }
  return best;
}

function sameBlock(lines: readonly string[], a: number, b: number, size: number): boolean {
  for (let k = 0; k < size; k++) if (lines[a + k] !== lines[b + k]) return false;
  return true;
}

function blockContent(lines: readonly string[], start: number, size: number): number {
  let length = 0;
  for (let k = 0; k < size; k++) length += lines[start + k]!.trim().length;
  return length;
}
