/**
 * When two lines are "the same line again" for the repetition rules: equal once whitespace is
 * collapsed and numbers are masked, or a few characters apart (`const b = 1;` / `const c = 1;`,
 * `myFuncB` / `myFuncC`). Lines without a word character (`}`, `]);`) only match exactly.
 */

/** The line as the repetition rules compare it: trimmed, inner whitespace collapsed, numbers as `0`. */
export function normalizeLine(line: string): string {
  return line.trim().replace(/\s+/g, " ").replace(/\d+/g, "0");
}

/** Share of a line's characters that may differ for it to count as a variation of another. */
const VARIATION_SHARE = 0.15;

export function similarLines(a: string, b: string): boolean {
  const na = normalizeLine(a);
  const nb = normalizeLine(b);
  if (na === nb) return na.length > 0;
  if (!/\w/.test(na) || !/\w/.test(nb)) return false;
  const allowed = Math.max(1, Math.floor(Math.max(na.length, nb.length) * VARIATION_SHARE));
  return Math.abs(na.length - nb.length) <= allowed && editDistanceAtMost(na, nb, allowed);
}

/** Whether the edit distance of `a` and `b` is at most `limit` (stops as soon as a row exceeds it). */
export function editDistanceAtMost(a: string, b: string, limit: number): boolean {
  if (Math.abs(a.length - b.length) > limit) return false;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(previous[j - 1]! + cost, current[j - 1]! + 1, previous[j]! + 1);
      if (current[j]! < rowMin) rowMin = current[j]!;
    }
    if (rowMin > limit) return false;
    [previous, current] = [current, previous];
  }
  return previous[b.length]! <= limit;
}
