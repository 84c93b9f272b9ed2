/** Plain data the post-processing filters read; no `vscode`. */
import type { FimFamilyId } from "../../models/fimFamilies";

export type MultilineMode = "auto" | "always" | "never";

export interface PostprocessContext {
  /** Text before the cursor: at least the current line and some lines above. Ends with `linePrefix`. */
  readonly prefix: string;
  /** Text after the cursor. Starts with `lineSuffix`. */
  readonly suffix: string;
  /** The current line's text left of the cursor. */
  readonly linePrefix: string;
  /** The current line's text right of the cursor (without the line break). */
  readonly lineSuffix: string;
  /** One level of indentation in this document ("\t" or some spaces), when the editor knows it. */
  readonly indentUnit?: string;
  readonly eol: "\n" | "\r\n";
  readonly multiline: MultilineMode;
  readonly languageId: string;
  /** The model's FIM family, for its known output artefacts (the family table says which). */
  readonly family?: FimFamilyId;
  /**
   * The generation did not end by itself: a token or time limit, or a loop rule, stopped it. Its
   * last lines may be a loop the model was still in, so shorter runs of variations count as one.
   */
  readonly cutOff?: boolean;
}

/**
 * One post-processing step: takes the completion so far and returns it trimmed, or "" to drop it.
 * Filters see "\n" line endings only, in both the text and the context; `postprocessCompletion`
 * normalizes before and converts back to the document's line endings at the end.
 */
export type CompletionFilter = (text: string, ctx: PostprocessContext) => string;

export interface NamedFilter {
  /** Short name for the log ("repeatsSuffix", "duplicateClosers", …). */
  readonly name: string;
  readonly apply: CompletionFilter;
}
