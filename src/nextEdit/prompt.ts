/**
 * The next-edit prompt in Sweep Next-Edit's published format (the model card's `run_model.py`, the
 * "Our Format" section of blog.sweep.dev/posts/oss-next-edit): Qwen2.5-Coder's repo-level
 * `<|file_sep|>` blocks, in this order —
 *
 *     <|file_sep|>{related file}\n{excerpt}\n            (other open files, recent chunks)
 *     <|file_sep|>{path}.diff\noriginal:\n{lines}\nupdated:\n{lines}\n   (recent edits, oldest first)
 *     <|file_sep|>original/{path}\n{window before the latest edit}\n
 *     <|file_sep|>current/{path}\n{window now}\n
 *     <|file_sep|>updated/{path}\n                        (the model writes the window it expects)
 *
 * over a fixed window of 10 lines above the cursor's line, that line and 10 below (21 lines:
 * Sweep found a fixed size trains better than syntax-aware boundaries, so another size is out of
 * distribution). `<|file_sep|>` is sent as the special token; every text piece is tokenized as
 * text, so code that contains the string "<|file_sep|>" cannot forge a block boundary.
 */
import type { PromptPiece } from "../engine/api";
import { revertHunk, type EditHunk } from "./history";

export const WINDOW_LINES_ABOVE = 10;
export const WINDOW_LINES_BELOW = 10;
/** Recent edits sent (Sweep's reference client sends at most three). */
export const MAX_RECENT_EDITS = 3;
/** Lines of each side of an edit sent; longer sides keep their head and tail around "...". */
export const MAX_EDIT_LINES = 40;
export const FILE_SEP = "<|file_sep|>";
/** Tokens that end the model's window: the next block, or the end of text. */
export const NEXT_EDIT_STOP_TOKENS = [FILE_SEP, "<|endoftext|>", "</s>"] as const;

export interface RelatedExcerpt {
  readonly path: string;
  readonly text: string;
}

export interface NextEditInput {
  /** The file being edited, as the model sees paths (workspace-relative, `/` separators). */
  readonly path: string;
  readonly lines: readonly string[];
  readonly cursorLine: number;
  /** Recent edits over all files, oldest first; the last of this file is its latest change. */
  readonly recent: readonly EditHunk[];
  /** The latest change of this file (to rebuild the window as it was before it). */
  readonly latest?: EditHunk;
  readonly related: readonly RelatedExcerpt[];
}

export interface WindowRange {
  /** First line of the window. */
  readonly start: number;
  /** Line after the window. */
  readonly end: number;
}

export interface NextEditPrompt {
  readonly pieces: PromptPiece[];
  readonly window: WindowRange;
  readonly currentWindow: string;
  readonly originalWindow: string;
}

/** Ten lines above the cursor's line, it, and ten below, clamped to the file. */
export function cursorWindow(lineCount: number, cursorLine: number): WindowRange {
  const line = Math.max(0, Math.min(cursorLine, lineCount - 1));
  return { start: Math.max(0, line - WINDOW_LINES_ABOVE), end: Math.min(lineCount, line + WINDOW_LINES_BELOW + 1) };
}

export function buildNextEditPrompt(input: NextEditInput): NextEditPrompt {
  const window = cursorWindow(input.lines.length, input.cursorLine);
  const currentWindow = input.lines.slice(window.start, window.end).join("\n");
  const originalWindow = windowBeforeLatest(input, window) ?? currentWindow;
  const pieces: PromptPiece[] = [];
  for (const excerpt of input.related) block(pieces, excerpt.path, excerpt.text);
  for (const edit of input.recent.slice(-MAX_RECENT_EDITS)) {
    block(pieces, `${edit.path}.diff`, `original:\n${limitLines(edit.original)}\nupdated:\n${limitLines(edit.updated)}`);
  }
  block(pieces, `original/${input.path}`, originalWindow);
  block(pieces, `current/${input.path}`, currentWindow);
  pieces.push({ special: FILE_SEP }, { text: `updated/${input.path}\n` });
  return { pieces, window, currentWindow, originalWindow };
}

/** The prompt as one string, for the log and for tests against the published layout. */
export function promptText(pieces: readonly PromptPiece[]): string {
  return pieces.map((piece) => ("special" in piece ? piece.special : piece.text)).join("");
}

function block(pieces: PromptPiece[], name: string, body: string): void {
  pieces.push({ special: FILE_SEP }, { text: `${name}\n${body}${body.endsWith("\n") ? "" : "\n"}` });
}

/**
 * The window's lines in the file as it was before its latest change. The window keeps its place
 * relative to the lines around the change: lines before the change are the same, lines after it
 * move by the change's line delta, and a window edge inside the change covers all of it.
 */
function windowBeforeLatest(input: NextEditInput, window: WindowRange): string | undefined {
  const hunk = input.latest;
  if (!hunk) return undefined;
  const before = revertHunk(input.lines, hunk);
  if (!before) return undefined;
  const changeEnd = hunk.startLine + hunk.updated.length;
  const delta = hunk.original.length - hunk.updated.length;
  const map = (line: number, isEnd: boolean): number => {
    if (line <= hunk.startLine) return line;
    if (line >= changeEnd) return line + delta;
    return isEnd ? hunk.startLine + hunk.original.length : hunk.startLine;
  };
  return before.slice(map(window.start, false), map(window.end, true)).join("\n");
}

function limitLines(lines: readonly string[]): string {
  if (lines.length <= MAX_EDIT_LINES) return lines.join("\n");
  const head = MAX_EDIT_LINES / 2;
  const tail = MAX_EDIT_LINES - head - 1;
  return [...lines.slice(0, head), "...", ...lines.slice(lines.length - tail)].join("\n");
}
