import { isBlank, previousNonBlankLine, splitLines } from "./text";
import { similarLines } from "./similarity";
import type { PostprocessContext } from "./types";

/** Long enough to be content rather than a closer or a keyword: repeating it twice is a loop. */
const SUBSTANTIVE_LENGTH = 8;
/** Looking for repeats in more lines than this costs more than it finds. */
const MAX_LINES_CHECKED = 400;
/** Variations of one line in a row that are a loop wherever they stand (`const b = 1;` … `const i = 1;`). */
const SIMILAR_RUN = 8;
/** …and at the end of a completion that was cut off, where the model was still looping. */
const SIMILAR_RUN_AT_CUT = 3;
/** Copies in a row of a block of lines, each a variation of the first, that are a loop. */
const SIMILAR_BLOCKS = 4;
const SIMILAR_BLOCKS_AT_CUT = 2;

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
 * Stops where the model starts looping, keeping one copy: a line written again right after
 * itself (a long line twice, a short one three times), a block of lines written again, a run of
 * variations of one line or of one block (numbered names, a letter counting up), and a line that
 * repeats itself within (`foo = foo = foo = …`). Runs that could be real code (a few similar
 * assignments) count as a loop only at the end of a completion that was cut off.
 */
export function stopAtRepeatedLines(text: string, ctx: PostprocessContext): string {
  const lines = splitLines(text);
  // Compare the first line as it will read, with the indentation left of the cursor.
  const whole = [ctx.linePrefix + lines[0]!, ...lines.slice(1)];
  const cut = loopCut(whole, ctx.cutOff === true);
  if (cut.line < lines.length) return lines.slice(0, cut.line).join("\n");
  const selfCut = selfRepeatingLineCut(whole, ctx.cutOff === true);
  if (selfCut === undefined) return text;
  const kept = [...whole.slice(0, selfCut.line), whole[selfCut.line]!.slice(0, selfCut.column)];
  kept[0] = kept[0]!.slice(ctx.linePrefix.length);
  return kept.join("\n").trimEnd();
}

/** Where the first loop starts its second copy: the line index to cut at (`lines.length`: none). */
export function loopCut(lines: readonly string[], cutOff: boolean): { line: number } {
  const limit = Math.min(lines.length, MAX_LINES_CHECKED);
  const checked = lines.slice(0, limit);
  return { line: Math.min(repeatedLineCut(checked), repeatedBlockCut(checked), similarRunCut(checked, cutOff), similarBlockCut(checked, cutOff), lines.length) };
}

/** Index of the first line to drop because it repeats the line before it, or `lines.length`. */
function repeatedLineCut(lines: readonly string[]): number {
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (isBlank(line) || line !== lines[i - 1]) continue;
    if (line.trim().length >= SUBSTANTIVE_LENGTH) return i;
    if (i + 1 < lines.length && lines[i + 1] === line) return i;
  }
  return lines.length;
}

/** Index where a block of two or more lines starts again right after itself, or `lines.length`. */
function repeatedBlockCut(lines: readonly string[]): number {
  let best = lines.length;
  for (let size = 2; size * 2 <= lines.length; size++) {
    for (let start = 0; start + size * 2 <= lines.length && start + size < best; start++) {
      if (blockContent(lines, start, size) >= 10 && sameBlock(lines, start, start + size, size, (a, b) => a === b)) {
        best = start + size;
        break;
      }
    }
  }
  return best;
}

/**
 * A run of lines, each a variation of the one before: long runs are a loop anywhere, short ones
 * only where they reach the end of a cut-off completion (its last line may be unfinished).
 */
function similarRunCut(lines: readonly string[], cutOff: boolean): number {
  let runStart = 0;
  for (let i = 1; i <= lines.length; i++) {
    const continues = i < lines.length && isRunLine(lines[i]!) && isRunLine(lines[i - 1]!) && similarLines(lines[i]!, lines[i - 1]!);
    if (continues) {
      if (i - runStart + 1 >= SIMILAR_RUN) return runStart + 1;
      continue;
    }
    const length = i - runStart;
    const reachesEnd = i === lines.length || (i === lines.length - 1 && unfinishedVariation(lines[i]!, lines[i - 1]!));
    if (cutOff && reachesEnd && length >= SIMILAR_RUN_AT_CUT) return runStart + 1;
    runStart = i;
  }
  return lines.length;
}

function isRunLine(line: string): boolean {
  return line.trim().length >= 4 && /\w/.test(line);
}

/** The cut-off last line starts like a variation of the line before it (`const k =` after `const j = 1;`). */
function unfinishedVariation(last: string, before: string): boolean {
  const head = last.trim();
  return head.length === 0 || (head.length >= 3 && similarLines(head, before.trim().slice(0, head.length)));
}

/**
 * Blocks of two or more lines written again and again with small changes (`myFuncB`, `myFuncC`, …):
 * keep the first block.
 */
function similarBlockCut(lines: readonly string[], cutOff: boolean): number {
  let best = lines.length;
  for (let size = 2; size * SIMILAR_BLOCKS_AT_CUT <= lines.length; size++) {
    for (let start = 0; start + size * SIMILAR_BLOCKS_AT_CUT <= lines.length && start + size < best; start++) {
      if (blockContent(lines, start, size) < 10) continue;
      let copies = 1;
      while (start + (copies + 1) * size <= lines.length && sameBlock(lines, start, start + copies * size, size, blockLinesAlike)) copies++;
      const tailStart = start + copies * size;
      // The copy after the last whole one was cut off part way: it reaches the end.
      const reachesEnd = tailStart >= lines.length || sameBlock(lines, start, tailStart, lines.length - tailStart, blockLinesAlike, true);
      if (copies >= SIMILAR_BLOCKS || (cutOff && reachesEnd && copies >= SIMILAR_BLOCKS_AT_CUT)) {
        best = start + size;
        break;
      }
    }
  }
  return best;
}

function blockLinesAlike(a: string, b: string): boolean {
  return (isBlank(a) && isBlank(b)) || a.trimEnd() === b.trimEnd() || similarLines(a, b);
}

function sameBlock(lines: readonly string[], a: number, b: number, size: number, alike: (x: string, y: string) => boolean, lastMayBePartial = false): boolean {
  for (let k = 0; k < size; k++) {
    const x = lines[a + k]!;
    const y = lines[b + k]!;
    if (lastMayBePartial && k === size - 1) return unfinishedVariation(y, x) || alike(x, y);
    if (!alike(x, y)) return false;
  }
  return true;
}

function blockContent(lines: readonly string[], start: number, size: number): number {
  let length = 0;
  for (let k = 0; k < size; k++) length += lines[start + k]!.trim().length;
  return length;
}

/** Copies of a unit at a line's end that make it a loop (`foo = foo = foo = foo`)… */
const SELF_REPEATS = 4;
/** …or fewer on the last line of a completion that was cut off. */
const SELF_REPEATS_AT_CUT = 3;

/**
 * A line that loops within itself: from some column to its end, one unit with a letter in it
 * again and again (a last partial copy allowed). Where that repetition starts, the line ends.
 */
export function selfRepeatingLineCut(lines: readonly string[], cutOff: boolean): { line: number; column: number } | undefined {
  for (let i = 0; i < Math.min(lines.length, MAX_LINES_CHECKED); i++) {
    const last = i === lines.length - 1;
    const column = repetitionStart(lines[i]!, cutOff && last ? SELF_REPEATS_AT_CUT : SELF_REPEATS);
    if (column !== undefined) return { line: i, column };
  }
  return undefined;
}

/** The column where the line's end starts repeating one unit `copies` times or more. */
export function repetitionStart(line: string, copies: number): number | undefined {
  const body = line.replace(/[\s;,)]*$/, "");
  if (body.length < 12) return undefined;
  let best: number | undefined;
  for (let unit = 2; unit * copies <= body.length && unit <= 40; unit++) {
    // The line may end part way through a copy: try each phase.
    for (let partial = 0; partial < unit; partial++) {
      let start = body.length - partial;
      const pattern = body.slice(start - unit, start);
      if (start - unit < 0 || !/[A-Za-z_]/.test(pattern) || !pattern.startsWith(body.slice(start))) continue;
      let count = 0;
      while (start - unit >= 0 && body.slice(start - unit, start) === pattern) {
        start -= unit;
        count++;
      }
      if (count >= copies && (best === undefined || start < best)) best = start;
    }
  }
  return best;
}
