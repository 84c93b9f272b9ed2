import type { CompletionRequest, TextSource } from "./types";

/**
 * The most characters of one line a completion prompt reads: more than the prefix budget (2,048
 * tokens ≈ 8,000 characters) with room to spare, far less than a minified file's single line.
 */
export const MAX_LINE_CHARS = 16_384;
/** The cursor line's window moves in steps of this many characters, so typing keeps it still. */
const LINE_WINDOW_QUANTUM = 4096;

/**
 * A view of the document in which no line is longer than `maxLine`: the cursor's line is cut to a
 * window around the cursor (the cursor's column moves with it), a line above keeps its end (where
 * the prefix reads), a line below its start (where the suffix reads). The completion pipeline then
 * costs the same in a 10 MB single-line file as in an ordinary one. The insert position stays the
 * editor's own: only the text the prompt is built from is cut.
 */
export function clipLongLines(request: CompletionRequest, maxLine = MAX_LINE_CHARS): CompletionRequest {
  const { text, cursor } = request;
  const cursorLine = text.lineAt(cursor.line);
  let start = 0;
  let clippedCursorLine = cursorLine;
  if (cursorLine.length > maxLine) {
    start = avoidSplit(cursorLine, Math.max(0, Math.floor((cursor.character - maxLine / 2) / LINE_WINDOW_QUANTUM) * LINE_WINDOW_QUANTUM));
    clippedCursorLine = cursorLine.slice(start, avoidSplit(cursorLine, Math.max(cursor.character, start + maxLine)));
  }
  const source: TextSource = {
    lineCount: text.lineCount,
    lineAt(line) {
      if (line === cursor.line) return clippedCursorLine;
      const full = text.lineAt(line);
      if (full.length <= maxLine) return full;
      return line < cursor.line ? full.slice(avoidSplit(full, full.length - maxLine)) : full.slice(0, avoidSplit(full, maxLine));
    },
  };
  return { ...request, text: source, cursor: { line: cursor.line, character: cursor.character - start } };
}

/** Never cut between the two halves of a UTF-16 surrogate pair. */
function avoidSplit(text: string, index: number): number {
  if (index <= 0 || index >= text.length) return Math.max(0, Math.min(index, text.length));
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index - 1 : index;
}

