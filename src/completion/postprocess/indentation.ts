import {
  documentIndentsWithTabs, endsWithBlockOpener, indentWidth, isBlank, leadingWhitespace,
  previousNonBlankLine, splitLines, tabSize,
} from "./text";
import type { PostprocessContext } from "./types";

/**
 * Keeps the completion's indentation consistent with the document: no indentation doubled on
 * the cursor's line, continuation lines relative to the line they continue, and tabs or spaces as
 * the document uses them.
 */
export function matchDocumentIndentation(text: string, ctx: PostprocessContext): string {
  let lines = splitLines(text);
  lines = dropDoubledFirstIndent(lines, ctx);
  lines = dropDoubledSpace(lines, ctx);
  lines = indentContinuationLines(lines, ctx);
  lines = convertIndentStyle(lines, ctx);
  return lines.join("\n");
}

/**
 * The cursor stands in indentation already deep enough and the model indents again
 * (`    |` + `    return x`): drop the completion's own leading whitespace.
 */
export function dropDoubledFirstIndent(lines: string[], ctx: PostprocessContext): string[] {
  const first = lines[0]!;
  const added = leadingWhitespace(first);
  if (ctx.linePrefix.length === 0 || !isBlank(ctx.linePrefix) || added.length === 0) return lines;
  const tab = tabSize(ctx);
  const unit = ctx.indentUnit !== undefined && ctx.indentUnit.length > 0 ? indentWidth(ctx.indentUnit, tab) : tab;
  const previous = previousNonBlankLine(ctx);
  const expected = previous === undefined ? 0 : indentWidth(leadingWhitespace(previous), tab) + (endsWithBlockOpener(previous, ctx.languageId) ? unit : 0);
  if (indentWidth(ctx.linePrefix, tab) < expected) return lines;
  return [first.slice(added.length), ...lines.slice(1)];
}

/** `x = |` + ` 5` would give two spaces: drop the completion's first space. */
export function dropDoubledSpace(lines: string[], ctx: PostprocessContext): string[] {
  const first = lines[0]!;
  if (isBlank(ctx.linePrefix) || !ctx.linePrefix.endsWith(" ") || !/^ \S/.test(first)) return lines;
  return [first.slice(1), ...lines.slice(1)];
}

/**
 * After a line that opens a block, the next line must be deeper than it. A model that indents the
 * following lines relative to the completion's start instead of the document gets them shifted
 * by the current line's indentation.
 */
export function indentContinuationLines(lines: string[], ctx: PostprocessContext): string[] {
  if (lines.length < 2) return lines;
  const lineStartsAtIndent = isBlank(ctx.linePrefix);
  const base = leadingWhitespace(ctx.linePrefix) + (lineStartsAtIndent ? leadingWhitespace(lines[0]!) : "");
  const tab = tabSize(ctx);
  const baseWidth = indentWidth(base, tab);
  if (baseWidth === 0 || !endsWithBlockOpener(ctx.linePrefix + lines[0]!, ctx.languageId)) return lines;
  const next = lines.slice(1).find((line) => !isBlank(line));
  if (next === undefined || indentWidth(leadingWhitespace(next), tab) > baseWidth) return lines;
  return [lines[0]!, ...lines.slice(1).map((line) => (isBlank(line) ? line : base + line))];
}

/** Rewrites leading tabs as the document's spaces, or leading spaces as tabs, to match the document. */
export function convertIndentStyle(lines: string[], ctx: PostprocessContext): string[] {
  const useTabs = documentIndentsWithTabs(ctx);
  if (useTabs === undefined) return lines;
  const convertFirst = isBlank(ctx.linePrefix);
  const spacesPerLevel = useTabs ? modelSpacesPerLevel(lines) : 0;
  const spaceUnit = ctx.indentUnit !== undefined && /^ +$/.test(ctx.indentUnit) ? ctx.indentUnit : " ".repeat(tabSize(ctx));
  return lines.map((line, i) => {
    if (i === 0 && !convertFirst) return line;
    const ws = leadingWhitespace(line);
    if (ws.length === 0) return line;
    const rest = line.slice(ws.length);
    if (useTabs) {
      if (!ws.includes(" ")) return line;
      const width = indentWidth(ws, spacesPerLevel);
      return "\t".repeat(Math.floor(width / spacesPerLevel)) + " ".repeat(width % spacesPerLevel) + rest;
    }
    if (!ws.includes("\t")) return line;
    return ws.replace(/\t/g, spaceUnit) + rest;
  });
}

/** How many spaces the model used per level: the common divisor of its indents, 2, 3 or 4. */
function modelSpacesPerLevel(lines: readonly string[]): number {
  let divisor = 0;
  for (const line of lines) {
    const ws = leadingWhitespace(line);
    if (ws.length > 0 && !ws.includes("\t") && !isBlank(line)) divisor = gcd(divisor, ws.length);
  }
  if (divisor === 2 || divisor === 3 || divisor === 4) return divisor;
  return 4;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}
