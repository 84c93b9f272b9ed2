/**
 * Fits a staged diff into the tokens the model can read: whole files in order while they fit;
 * the rest by name, with how many lines were left out. Pure: tokens come from `measure`.
 */

export interface FittedDiff {
  readonly text: string;
  /** Files whose changes did not fit (named in `text`, without their lines). */
  readonly leftOut: readonly string[];
  readonly tokens: number;
}

/** Splits `git diff` output into one piece per file (each starts with "diff --git"). */
export function splitByFile(diff: string): string[] {
  const starts = [...diff.matchAll(/^diff --git /gm)].map((match) => match.index);
  if (starts.length === 0) return diff.trim() ? [diff] : [];
  if (starts[0] !== 0) starts.unshift(0);
  return starts.map((start, index) => diff.slice(start, starts[index + 1] ?? diff.length));
}

export function fileName(piece: string): string {
  const header = /^diff --git a\/(.*?) b\/(.*)$/m.exec(piece);
  return header?.[2] ?? piece.split("\n", 1)[0] ?? "";
}

export async function fitDiff(diff: string, budgetTokens: number, measure: (text: string) => Promise<number>): Promise<FittedDiff> {
  const kept: string[] = [];
  const leftOut: string[] = [];
  const summaries: string[] = [];
  let used = 0;
  for (const piece of splitByFile(diff)) {
    const name = fileName(piece);
    const summary = `${name}: ${changedLines(piece)} changed line(s) left out (too long for the model's context)\n`;
    // Once one file did not fit, later ones only get their summary: the message should describe
    // the files in order, not skip to whichever small file happens to fit.
    const tokens = leftOut.length === 0 ? await measure(piece) : Number.POSITIVE_INFINITY;
    if (used + tokens <= budgetTokens) {
      kept.push(piece);
      used += tokens;
      continue;
    }
    const summaryTokens = await measure(summary);
    if (used + summaryTokens > budgetTokens) {
      leftOut.push(name);
      continue;
    }
    summaries.push(summary);
    leftOut.push(name);
    used += summaryTokens;
  }
  const text = kept.join("") + (summaries.length > 0 ? `\n${summaries.join("")}` : "");
  return { text, leftOut, tokens: used };
}

function changedLines(piece: string): number {
  return piece.split("\n").filter((line) => /^[+-](?![+-]{2} )/.test(line)).length;
}
