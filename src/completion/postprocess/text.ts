/** Small text helpers shared by the filters. Everything assumes "\n" line endings. */
import type { PostprocessContext } from "./types";

export function splitLines(text: string): string[] {
  return text.split("\n");
}

export function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

export function leadingWhitespace(line: string): string {
  return /^[ \t]*/.exec(line)![0];
}

/** Columns a tab advances to, from the document's indent unit when it is spaces; else 4. */
export function tabSize(ctx: PostprocessContext): number {
  const unit = ctx.indentUnit;
  return unit !== undefined && /^ +$/.test(unit) ? unit.length : 4;
}

/** Visual width of leading whitespace, tabs advancing to the next tab stop. */
export function indentWidth(whitespace: string, tab: number): number {
  let width = 0;
  for (const char of whitespace) width += char === "\t" ? tab - (width % tab) : 1;
  return width;
}

/** The document's lines after the cursor's line, at most `max` of them, scanned lazily. */
export function linesAfterCursor(ctx: PostprocessContext, max = 40): string[] {
  const lines: string[] = [];
  let start = ctx.suffix.indexOf("\n");
  while (start >= 0 && lines.length < max) {
    const end = ctx.suffix.indexOf("\n", start + 1);
    lines.push(ctx.suffix.slice(start + 1, end < 0 ? undefined : end));
    start = end;
  }
  return lines;
}

export function nextNonBlankLine(ctx: PostprocessContext): string | undefined {
  return linesAfterCursor(ctx).find((line) => !isBlank(line));
}

/** The document's lines before the cursor's line, nearest first, at most `max` of them. */
export function linesBeforeCursor(ctx: PostprocessContext, max = 40): string[] {
  const lines: string[] = [];
  let end = ctx.prefix.lastIndexOf("\n");
  while (end >= 0 && lines.length < max) {
    const start = ctx.prefix.lastIndexOf("\n", end - 1);
    lines.push(ctx.prefix.slice(start + 1, end));
    end = start;
  }
  return lines;
}

export function previousNonBlankLine(ctx: PostprocessContext): string | undefined {
  return linesBeforeCursor(ctx).find((line) => !isBlank(line));
}

/** Whether the document indents with tabs or spaces: the editor's setting, else what the lines above use. */
export function documentIndentsWithTabs(ctx: PostprocessContext): boolean | undefined {
  if (ctx.indentUnit !== undefined && ctx.indentUnit.length > 0) return ctx.indentUnit.includes("\t");
  let tabs = 0;
  let spaces = 0;
  for (const line of [ctx.linePrefix, ...linesBeforeCursor(ctx, 200)]) {
    if (line.startsWith("\t")) tabs++;
    else if (line.startsWith("  ") && !isBlank(line)) spaces++;
  }
  if (tabs === 0 && spaces === 0) return undefined;
  return tabs > spaces;
}

/** Languages where a line ending in `:` opens a block; elsewhere it is a `key:` or a label. */
const COLON_BLOCKS = new Set(["python", "cython", "nim", "coffeescript", "gdscript", "mojo"]);

/**
 * Whether a line ends by opening a block, after which a multi-line completion makes sense:
 * `{`, `(`, `[`, `=>`, the words `then` and `do`, and `:` (not `::`) in Python-like languages
 * (or when the language is not known).
 */
export function endsWithBlockOpener(line: string, languageId?: string): boolean {
  const trimmed = line.trimEnd();
  const colon = languageId === undefined || COLON_BLOCKS.has(languageId);
  return /(?:[{([]|=>)$/.test(trimmed) || (colon && /(?<!:):$/.test(trimmed)) || /(?:^|\W)(?:then|do)$/.test(trimmed);
}

/** A line that only closes something: `}`, `})`, `];`, `end`, `fi`, … */
export function isCloserLine(line: string): boolean {
  const trimmed = line.trim();
  return /^[)\]}]/.test(trimmed) || /^(?:end|fi|done|esac)\b/.test(trimmed);
}
