/**
 * Suggestions already computed, keyed by the text around the cursor. Serves "typing as suggested":
 * when the user types the first characters of a suggestion, the rest comes from here with no model
 * call. Also holds pre-fetched continuations (the suggestion after accepting the current one).
 */
const BEFORE_CHARS = 600;
const AFTER_CHARS = 200;
const CAPACITY = 64;

interface Entry {
  readonly documentKey: string;
  readonly before: string;
  readonly after: string;
  readonly text: string;
}

export interface CacheKeyText {
  readonly documentKey: string;
  /** Text before the cursor; only its end is used. */
  readonly before: string;
  /** Text after the cursor; only its start is used. */
  readonly after: string;
}

export class SuggestionCache {
  private entries: Entry[] = [];

  store(key: CacheKeyText, text: string): void {
    if (!text) return;
    const entry: Entry = { documentKey: key.documentKey, before: key.before.slice(-BEFORE_CHARS), after: key.after.slice(0, AFTER_CHARS), text };
    this.entries = this.entries.filter((e) => !(e.documentKey === entry.documentKey && e.before === entry.before && e.after === entry.after));
    this.entries.push(entry);
    if (this.entries.length > CAPACITY) this.entries.shift();
  }

  /**
   * The rest of a cached suggestion that the text before the cursor continues, or undefined.
   * `key.before` should hold at least BEFORE_CHARS plus the longest suggestion's length.
   */
  lookup(key: CacheKeyText): string | undefined {
    const after = key.after.slice(0, AFTER_CHARS);
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const entry = this.entries[i]!;
      if (entry.documentKey !== key.documentKey || entry.after !== after) continue;
      const rest = remainder(key.before, entry);
      if (rest) return rest;
    }
    return undefined;
  }

  clear(): void {
    this.entries = [];
  }
}

/** How many characters of text before the cursor a lookup needs. */
export function cacheBeforeChars(maxSuggestionChars: number): number {
  return BEFORE_CHARS + maxSuggestionChars;
}

function remainder(before: string, entry: Entry): string | undefined {
  // Match when before = …entry.before + typed, and typed is a proper prefix of entry.text.
  const maxTyped = Math.min(entry.text.length - 1, before.length);
  for (let typed = 0; typed <= maxTyped; typed++) {
    const end = before.length - typed;
    if (!entry.text.startsWith(before.slice(end))) continue;
    const head = before.slice(0, end);
    // A window shorter than BEFORE_CHARS reached the top of the document: it must match whole.
    const matches = entry.before.length < BEFORE_CHARS ? head === entry.before : head.endsWith(entry.before);
    if (matches) return entry.text.slice(typed);
  }
  return undefined;
}
