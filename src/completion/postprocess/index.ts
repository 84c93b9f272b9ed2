/**
 * Post-processing: small pure filters, applied in order, each allowed to trim the completion or
 * drop it (""). Reads top to bottom as what happens to a completion before the user sees it.
 */
import { limitToBlock } from "./blockScope";
import { removeFamilyArtefacts } from "./family";
import { trimDuplicateClosers } from "./closers";
import { matchDocumentIndentation } from "./indentation";
import { keepSingleLineUnlessBlockStart } from "./lineMode";
import { dropRewriteOfLineAbove, stopAtRepeatedLines } from "./repetition";
import { dropRepeatOfRightText, stopAtSuffixRepeat } from "./suffix";
import type { NamedFilter, PostprocessContext } from "./types";
import { dropBlank, toDocumentLineEndings, trimTrailingWhitespace } from "./whitespace";

export type { CompletionFilter, MultilineMode, NamedFilter, PostprocessContext } from "./types";
export { allowsMultiline } from "./lineMode";
export { EndWatcher, type EndRule } from "./stopRules";

export const COMPLETION_FILTERS: readonly NamedFilter[] = [
  { name: "blank", apply: dropBlank },
  { name: "familyArtefacts", apply: removeFamilyArtefacts },
  { name: "singleLine", apply: keepSingleLineUnlessBlockStart },
  { name: "indentation", apply: matchDocumentIndentation },
  { name: "repeatsRightText", apply: dropRepeatOfRightText },
  { name: "repeatsLineAbove", apply: dropRewriteOfLineAbove },
  { name: "repeatsSuffix", apply: stopAtSuffixRepeat },
  { name: "repeatedLines", apply: stopAtRepeatedLines },
  { name: "blockScope", apply: limitToBlock },
  { name: "duplicateClosers", apply: trimDuplicateClosers },
  { name: "trailingWhitespace", apply: trimTrailingWhitespace },
  { name: "blank", apply: dropBlank },
  { name: "lineEndings", apply: toDocumentLineEndings },
];

export interface PostprocessResult {
  /** The text to show, in the document's line endings; "" when the completion was dropped. */
  readonly text: string;
  /** The filter that dropped it, when it was dropped. */
  readonly droppedBy?: string;
  /** The filters that changed it, in order, for the log. */
  readonly changedBy: readonly string[];
}

export function postprocessCompletion(
  raw: string,
  ctx: PostprocessContext,
  filters: readonly NamedFilter[] = COMPLETION_FILTERS,
): PostprocessResult {
  const lf = withLfLineEndings(ctx);
  let text = raw.replace(/\r\n?/g, "\n");
  const changedBy: string[] = [];
  for (const filter of filters) {
    const next = filter.apply(text, lf);
    if (next === text) continue;
    if (next.length === 0) return { text: "", droppedBy: filter.name, changedBy };
    // Converting back to the document's line endings is not a change worth logging.
    if (filter.apply !== toDocumentLineEndings) changedBy.push(filter.name);
    text = next;
  }
  return { text, changedBy };
}

/** The context as the filters expect it: "\n" line endings throughout. */
function withLfLineEndings(ctx: PostprocessContext): PostprocessContext {
  const lf = (s: string): string => (s.includes("\r") ? s.replace(/\r\n?/g, "\n") : s);
  return {
    ...ctx,
    prefix: lf(ctx.prefix),
    suffix: lf(ctx.suffix),
    linePrefix: lf(ctx.linePrefix),
    lineSuffix: lf(ctx.lineSuffix).replace(/\n$/, ""),
  };
}
