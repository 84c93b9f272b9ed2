/**
 * Bracket reading shared by the filters: which openers a text leaves open, and where a
 * completion closes something it did not open. Brackets inside strings and line comments do
 * not count. Everything assumes "\n" line endings.
 */

export const OPENER_OF: Readonly<Record<string, string>> = { ")": "(", "]": "[", "}": "{" };

/** Languages whose line comments start with `#` rather than `//`. */
const HASH_COMMENTS = new Set(["python", "ruby", "shellscript", "perl", "r", "yaml", "toml", "elixir", "makefile", "dockerfile", "powershell"]);

export interface BracketState {
  /** Openers still open, innermost last. */
  readonly stack: string[];
  /** Where each of them stands (offsets into the text that opened it), in step with `stack`. */
  readonly openedAt: number[];
  /** Inside a string that has not ended: its quote. */
  quote?: string;
}

/**
 * Reads `text` from `state` on. Calls `onUnmatched` with the offset of each closer that closes an
 * opener from before `text` (one the state already held: "outer") or has nothing to close.
 */
export function scanBrackets(
  text: string,
  languageId: string,
  state: BracketState = { stack: [], openedAt: [] },
  onUnmatched?: (offset: number, kind: "outer" | "unmatched", openedAt?: number) => void,
): BracketState {
  const hashComments = HASH_COMMENTS.has(languageId);
  const floor = { depth: state.stack.length };
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (state.quote !== undefined) {
      if (char === "\\") i++;
      else if (char === state.quote || (char === "\n" && state.quote !== "`")) state.quote = undefined;
      continue;
    }
    if ((char === "/" && text[i + 1] === "/" && !hashComments) || (char === "#" && hashComments)) {
      const end = text.indexOf("\n", i);
      if (end < 0) break;
      i = end;
      continue;
    }
    if (char === '"' || char === "'" || char === "`") {
      // An apostrophe inside a word (`don't` in a comment the scanner missed) opens nothing.
      if (char === "'" && /\w/.test(text[i - 1] ?? "") && /\w/.test(text[i + 1] ?? "")) continue;
      state.quote = char;
    } else if (char === "(" || char === "[" || char === "{") {
      state.stack.push(char);
      state.openedAt.push(i);
    } else if (char in OPENER_OF) {
      if (state.stack.length > 0 && state.stack[state.stack.length - 1] === OPENER_OF[char]) {
        state.stack.pop();
        const openedAt = state.openedAt.pop();
        if (state.stack.length < floor.depth) {
          floor.depth = state.stack.length;
          onUnmatched?.(i, "outer", openedAt);
        }
      } else {
        onUnmatched?.(i, "unmatched");
      }
    }
  }
  return state;
}

/** The openers a text leaves open (the prefix before the cursor: what the cursor stands inside). */
export function openBrackets(text: string, languageId: string): BracketState {
  return scanBrackets(text, languageId);
}

/**
 * How wrong a text's brackets and quotes are: closers without an opener, openers left open, one
 * more if it ends inside a string, and doubled `;;` / `,,`. Brackets inside strings do not count.
 */
export function imbalance(text: string, languageId = ""): number {
  let unmatched = 0;
  const state = scanBrackets(text, languageId, undefined, () => unmatched++);
  const doubled = (text.match(/;;|,,/g) ?? []).length;
  return unmatched + state.stack.length + (state.quote !== undefined ? 1 : 0) + doubled;
}

/** The brackets of a closer run, without the `;` `,` and spaces between them: `});` → `})`. */
export function bracketsOf(run: string): string {
  return run.replace(/[^)\]}]/g, "");
}

/** A line that is only closers and punctuation: `}`, `};`, `});`, `]);`, `)`. */
export const CLOSER_RUN = /^[)\]}][)\]};,\s]*$/;
