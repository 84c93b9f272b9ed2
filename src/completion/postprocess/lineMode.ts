import { endsWithBlockOpener, isBlank } from "./text";
import type { PostprocessContext } from "./types";

/**
 * Whether this position gets a multi-line completion: "always"/"never" say so; "auto" allows one
 * on an empty (or whitespace-only) line and right after a block opener, where a user expects a
 * body, and keeps the rest of the time to the current line.
 */
export function allowsMultiline(ctx: PostprocessContext): boolean {
  switch (ctx.multiline) {
    case "always":
      return true;
    case "never":
      return false;
    case "auto":
      return (isBlank(ctx.linePrefix) && isBlank(ctx.lineSuffix)) || endsWithBlockOpener(ctx.linePrefix, ctx.languageId);
  }
}

/** Cuts the completion at its first line break where only a single line is wanted. */
export function keepSingleLineUnlessBlockStart(text: string, ctx: PostprocessContext): string {
  if (allowsMultiline(ctx)) return text;
  const newline = text.indexOf("\n");
  if (newline < 0) return text;
  const firstLine = text.slice(0, newline);
  return isBlank(firstLine) ? "" : firstLine;
}
