import type { ExtraChunk } from "../types";

const MAX_CHUNKS = 16;
const CHUNK_LINES = 64;
/** Chunks at least this similar to a newer one are the same code seen twice. */
const DUPLICATE_SIMILARITY = 0.9;
/** Chunks this similar to the cursor's own window add nothing the prompt does not have. */
const CURSOR_SIMILARITY = 0.5;

/**
 * Recently seen code from other places (files opened, edited, saved, copied), offered to the model
 * as extra context. A small ring buffer; near-duplicates replace each other.
 */
export class ExtraContext {
  private chunks: Array<ExtraChunk & { words: Set<string> }> = [];

  /** Records up to 64 lines of `text` around `centerLine` of `file`. */
  addAround(file: string, lines: readonly string[], centerLine: number): void {
    const start = Math.max(0, Math.min(centerLine - CHUNK_LINES / 2, lines.length - CHUNK_LINES));
    this.add(file, lines.slice(start, start + CHUNK_LINES).join("\n"));
  }

  add(file: string, text: string): void {
    const trimmed = text.split("\n").slice(0, CHUNK_LINES).join("\n");
    if (trimmed.trim().length < 16 || trimmed.includes("\u0000")) return;
    const words = wordSet(trimmed);
    this.chunks = this.chunks.filter((chunk) => jaccard(chunk.words, words) < DUPLICATE_SIMILARITY);
    this.chunks.push({ file, text: trimmed, words });
    if (this.chunks.length > MAX_CHUNKS) this.chunks.splice(0, this.chunks.length - MAX_CHUNKS);
  }

  /**
   * Newest chunks first that fit `budgetChars`, skipping those from `excludeFile` near the cursor
   * and those that mostly repeat the cursor's window. Returned oldest first, so the prompt's start
   * changes as little as possible when a new chunk arrives.
   */
  select(budgetChars: number, cursorWindow: string): ExtraChunk[] {
    const cursorWords = wordSet(cursorWindow);
    const picked: ExtraChunk[] = [];
    let used = 0;
    for (let i = this.chunks.length - 1; i >= 0; i--) {
      const chunk = this.chunks[i]!;
      if (jaccard(chunk.words, cursorWords) >= CURSOR_SIMILARITY) continue;
      const cost = chunk.text.length + chunk.file.length + 8;
      if (used + cost > budgetChars) continue;
      used += cost;
      picked.push({ file: chunk.file, text: chunk.text });
    }
    return picked.reverse();
  }

  get size(): number {
    return this.chunks.length;
  }
}

export function wordSet(text: string): Set<string> {
  return new Set(text.match(/[\p{L}\p{N}_]+/gu) ?? []);
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let common = 0;
  const [small, large] = a.size < b.size ? [a, b] : [b, a];
  for (const word of small) if (large.has(word)) common++;
  return common / (a.size + b.size - common);
}
