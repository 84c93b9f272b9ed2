/**
 * The user's recent edits, per file, in memory only and bounded: what the next-edit model reads as
 * its `<|file_sep|>{path}.diff` blocks (`original:` lines, `updated:` lines) and what the window
 * looked like before the latest change (its `original/{path}` block).
 */

/** One change to a run of whole lines, with the lines before and after it. */
export interface EditHunk {
  /** The file as the model sees paths (workspace-relative). */
  readonly path: string;
  /** First line of the hunk, in the file as it is after this hunk (the latest hunk of a file only). */
  readonly startLine: number;
  readonly original: readonly string[];
  readonly updated: readonly string[];
  /** A side was longer than the store keeps; the hunk cannot be reverted to rebuild the old window. */
  readonly truncated: boolean;
  /** When the hunk was last extended (ms). */
  readonly at: number;
}

/** Hunks kept per file, files kept, and lines kept per side of a hunk (a paste can be huge). */
export const HISTORY_LIMITS = { hunksPerFile: 8, files: 16, linesPerSide: 200 } as const;
/** Edits to the same lines within this long of each other are one change (typing a word is one edit). */
export const COALESCE_MS = 30_000;

interface FileHistory {
  path: string;
  hunks: EditHunk[];
}

export class EditHistory {
  /** Insertion order is recency: the most recently edited file is last. */
  private readonly files = new Map<string, FileHistory>();

  /**
   * Records the change from `before` to `after` (whole texts of one file, `\n` line breaks). A
   * change inside the lines of the file's latest hunk extends that hunk, so a word typed key by
   * key, or a rename, is one edit; a change that restores the hunk's original lines removes it.
   */
  record(file: string, path: string, before: string, after: string, now: number): void {
    if (before === after) return;
    const change = lineChange(before.split("\n"), after.split("\n"));
    let history = this.files.get(file);
    if (history) this.files.delete(file);
    history ??= { path, hunks: [] };
    history.path = path;
    this.files.set(file, history);

    const last = history.hunks.at(-1);
    const lastEnd = last ? last.startLine + last.updated.length : -1;
    if (last && !last.truncated && now - last.at <= COALESCE_MS && change.start >= last.startLine && change.start + change.removed <= lastEnd) {
      // The change lies within the latest hunk's lines: rewrite that hunk's updated side.
      const afterLines = after.split("\n");
      const updated = afterLines.slice(last.startLine, lastEnd + change.added.length - change.removed);
      history.hunks.pop();
      if (!sameLines(updated, last.original)) history.hunks.push({ ...last, path, updated: clip(updated), truncated: updated.length > HISTORY_LIMITS.linesPerSide, at: now });
    } else {
      const original = change.removedLines;
      const truncated = original.length > HISTORY_LIMITS.linesPerSide || change.added.length > HISTORY_LIMITS.linesPerSide;
      history.hunks.push({ path, startLine: change.start, original: clip(original), updated: clip(change.added), truncated, at: now });
      if (history.hunks.length > HISTORY_LIMITS.hunksPerFile) history.hunks.shift();
    }
    if (history.hunks.length === 0) this.files.delete(file);
    while (this.files.size > HISTORY_LIMITS.files) this.files.delete(this.files.keys().next().value!);
  }

  /** The latest hunk of `file`, if any. */
  latest(file: string): EditHunk | undefined {
    return this.files.get(file)?.hunks.at(-1);
  }

  /** The `count` most recent hunks over all files, oldest first (Sweep's client sends three). */
  recent(count: number): EditHunk[] {
    const all = [...this.files.values()].flatMap((history) => history.hunks);
    return all.sort((a, b) => a.at - b.at).slice(-count);
  }

  /** Forgets a file (closed, renamed or deleted). */
  forget(file: string): void {
    this.files.delete(file);
  }

  get fileCount(): number {
    return this.files.size;
  }
}

/** The lines of `current` as they were before `hunk` (the file's latest change) was made. */
export function revertHunk(current: readonly string[], hunk: EditHunk): string[] | undefined {
  if (hunk.truncated) return undefined;
  const end = hunk.startLine + hunk.updated.length;
  if (end > current.length || !sameLines(current.slice(hunk.startLine, end), hunk.updated)) return undefined;
  return [...current.slice(0, hunk.startLine), ...hunk.original, ...current.slice(end)];
}

interface LineChange {
  /** First changed line (same index in both texts). */
  readonly start: number;
  /** Lines of `before` replaced. */
  readonly removed: number;
  readonly removedLines: string[];
  readonly added: string[];
}

/** The smallest run of whole lines that differs between the two texts. */
export function lineChange(before: readonly string[], after: readonly string[]): LineChange {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let tail = 0;
  while (tail < before.length - start && tail < after.length - start && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  const removedLines = before.slice(start, before.length - tail);
  return { start, removed: removedLines.length, removedLines, added: after.slice(start, after.length - tail) };
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}

function clip(lines: readonly string[]): string[] {
  return lines.slice(0, HISTORY_LIMITS.linesPerSide);
}
