/**
 * The rules that can only cut a completion's end, run on the text generated so far: once one of
 * them cuts, no later token can bring the cut part back, so generation stops there (the engine's
 * `stopSignal`). They are the same functions the filters run afterwards; the pipeline then
 * post-processes the text as it stood when the rule fired.
 */
import { limitToBlock } from "./blockScope";
import { removeFamilyArtefacts } from "./family";
import { matchDocumentIndentation } from "./indentation";
import { allowsMultiline } from "./lineMode";
import { loopCut, repetitionStart } from "./repetition";
import { stopAtNextLine } from "./suffix";
import { isBlank, splitLines } from "./text";
import type { PostprocessContext } from "./types";

export type EndRule = "singleLine" | "repeatedLines" | "repeatsSuffix" | "blockScope";

/** Copies of a unit within the line being written that decide it loops (as `stopAtRepeatedLines` with no cut-off). */
const SELF_REPEATS = 4;
/**
 * Lines the loop rules look back over while streaming. Every earlier line end was checked already,
 * so a new loop ends at the newest line; this bounds the cost per line (the filters afterwards
 * still see the whole text).
 */
const WATCHED_LINES = 64;

/** Watches a streamed completion and says when its end is decided. */
export class EndWatcher {
  private streamed = "";
  private decided?: { readonly rule: EndRule; readonly text: string };

  constructor(private readonly ctx: PostprocessContext) {}

  /** The text streamed so far, or the text as it stood when a rule fired. */
  get text(): string {
    return this.decided?.text ?? this.streamed;
  }

  get rule(): EndRule | undefined {
    return this.decided?.rule;
  }

  /** Adds a streamed chunk; returns the rule that decided the end, the first time one does. */
  push(chunk: string): EndRule | undefined {
    if (this.decided) return undefined;
    this.streamed += chunk;
    const rule = decidedEnd(this.streamed, this.ctx, chunk.includes("\n") || chunk.includes("\r"));
    if (rule) this.decided = { rule, text: this.streamed };
    return rule;
  }
}

/**
 * Which end rule, if any, already cuts `text` (the completion so far). Line rules look at whole
 * lines only, and only when a line has just ended (`lineEnded`): a line still being written may
 * yet turn out different.
 */
export function decidedEnd(raw: string, ctx: PostprocessContext, lineEnded = true): EndRule | undefined {
  const text = matchDocumentIndentation(removeFamilyArtefacts(raw.replace(/\r\n?/g, "\n"), ctx), ctx);
  const lastBreak = text.lastIndexOf("\n");
  if (lastBreak >= 0 && !allowsMultiline(ctx)) return "singleLine";

  const partial = text.slice(lastBreak + 1);
  if (repetitionStart(lastBreak < 0 ? ctx.linePrefix + partial : partial, SELF_REPEATS) !== undefined) return "repeatedLines";

  if (lineEnded && lastBreak >= 0) {
    const complete = text.slice(0, lastBreak);
    const lines = splitLines(complete);
    const watched = lines.length > WATCHED_LINES ? lines.slice(-WATCHED_LINES) : [ctx.linePrefix + lines[0]!, ...lines.slice(1)];
    if (loopCut(watched, false).line < watched.length) return "repeatedLines";
    if (stopAtNextLine(complete, ctx).length < complete.length) return "repeatsSuffix";
  }
  // A closed block ends the completion once anything but blank lines follows it; a short word
  // being written may still become a closer (`end`, `done`).
  if (lastBreak >= 0 && (lineEnded || (!isBlank(partial) && !/^\s*[a-z]{1,4}$/.test(partial)))) {
    const kept = limitToBlock(text, ctx);
    if (kept.length < text.length && !isBlank(text.slice(kept.length))) return "blockScope";
  }
  return undefined;
}
