import { isBlank } from "./text";
import type { PostprocessContext } from "./types";

/** Drops a completion that is empty or only whitespace. */
export function dropBlank(text: string): string {
  return isBlank(text) ? "" : text;
}

/**
 * Removes trailing spaces inside the completion, and at its end too when nothing stands right of
 * the cursor (a trailing line break there would push the next line down). Before text right of
 * the cursor the end's spaces stay only where they separate the two (`return |x` + `a + `), not
 * where the text there starts with its own space (`sum(bar, | baz)`).
 */
export function trimTrailingWhitespace(text: string, ctx: PostprocessContext): string {
  const lines = text.split("\n");
  const inner = lines.map((line, i) => (i < lines.length - 1 ? line.replace(/[ \t]+$/, "") : line)).join("\n");
  if (isBlank(ctx.lineSuffix)) return inner.trimEnd();
  return /^[ \t]/.test(ctx.lineSuffix) ? inner.replace(/[ \t]+$/, "") : inner;
}

/** Writes the completion with the document's line endings. */
export function toDocumentLineEndings(text: string, ctx: PostprocessContext): string {
  return ctx.eol === "\r\n" ? text.replace(/\r?\n/g, "\r\n") : text;
}
