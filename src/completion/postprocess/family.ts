import { FIM_FAMILIES, type FimArtefacts } from "../../models/fimFamilies";
import type { PostprocessContext } from "./types";

/**
 * Removes what the model's family is known to write that is not code, as the FIM family table
 * lists it: a control text written as plain text ends the completion, `<think>` reasoning goes, a
 * repeat of the cursor's line goes, and the tokenizer's space before the first word goes.
 */
export function removeFamilyArtefacts(text: string, ctx: PostprocessContext): string {
  const artefacts: FimArtefacts | undefined = ctx.family === undefined ? undefined : FIM_FAMILIES[ctx.family].artefacts;
  if (!artefacts) return text;
  let result = text;
  if (artefacts.strayText) result = cutAtStrayText(result, artefacts.strayText);
  if (artefacts.thinkBlocks) result = removeThinkBlocks(result);
  if (artefacts.repeatsLinePrefix) result = removeRepeatedLinePrefix(result, ctx);
  if (artefacts.leadingSpace) result = removeTokenizerSpace(result, ctx);
  return result;
}

function cutAtStrayText(text: string, stray: readonly string[]): string {
  let end = text.length;
  for (const marker of stray) {
    const at = text.indexOf(marker);
    if (at >= 0 && at < end) end = at;
  }
  return end < text.length ? text.slice(0, end).trimEnd() : text;
}

/** `<think>…</think>` blocks and the line breaks after them; an unclosed one takes the rest. */
function removeThinkBlocks(text: string): string {
  if (!text.includes("<think>")) return text;
  const withoutClosed = text.replace(/<think>[\s\S]*?<\/think>\n*/g, "");
  const open = withoutClosed.indexOf("<think>");
  return open < 0 ? withoutClosed : withoutClosed.slice(0, open).trimEnd();
}

/** `    return |` + `return a + b`: the model wrote the line from its start again. */
function removeRepeatedLinePrefix(text: string, ctx: PostprocessContext): string {
  const typed = ctx.linePrefix.trimStart();
  if (typed.trim().length === 0) return text;
  if (text.startsWith(ctx.linePrefix)) return text.slice(ctx.linePrefix.length);
  return text.startsWith(typed) ? text.slice(typed.length) : text;
}

/** A single space before the first word where none belongs: at a line's start, after indentation or an opener. */
function removeTokenizerSpace(text: string, ctx: PostprocessContext): string {
  if (!/^ [^ ]/.test(text)) return text;
  return /(?:^|[\s([{.])$/.test(ctx.linePrefix) ? text.slice(1) : text;
}
