/** Line-level differences between two texts, as hunks a user can accept or reject one by one. Pure. */

export interface Hunk {
  /** Lines [aStart, aEnd) of the first text are replaced by lines [bStart, bEnd) of the second. */
  readonly aStart: number;
  readonly aEnd: number;
  readonly bStart: number;
  readonly bEnd: number;
}

/** Hunks that turn `a` into `b` (longest common subsequence of lines; adjacent changes merge). */
export function diffLines(a: string, b: string): Hunk[] {
  const x = a.split("\n");
  const y = b.split("\n");
  const n = x.length;
  const m = y.length;
  // lengths[i][j]: longest common subsequence of x[i..] and y[j..].
  const lengths = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i]![j] = x[i] === y[j] ? lengths[i + 1]![j + 1]! + 1 : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  let open: { aStart: number; bStart: number } | undefined;
  const close = () => {
    if (open) hunks.push({ aStart: open.aStart, aEnd: i, bStart: open.bStart, bEnd: j });
    open = undefined;
  };
  while (i < n || j < m) {
    if (i < n && j < m && x[i] === y[j]) {
      close();
      i++;
      j++;
    } else {
      open ??= { aStart: i, bStart: j };
      if (j < m && (i >= n || lengths[i]![j + 1]! >= lengths[i + 1]![j]!)) j++;
      else i++;
    }
  }
  close();
  return hunks;
}

/** `a` with one hunk of `b` applied (accepting that change). */
export function applyHunk(a: string, b: string, hunk: Hunk): string {
  const x = a.split("\n");
  const y = b.split("\n");
  return [...x.slice(0, hunk.aStart), ...y.slice(hunk.bStart, hunk.bEnd), ...x.slice(hunk.aEnd)].join("\n");
}

/** `b` with one hunk taken back to `a` (rejecting that change). */
export function revertHunk(a: string, b: string, hunk: Hunk): string {
  return applyHunk(b, a, { aStart: hunk.bStart, aEnd: hunk.bEnd, bStart: hunk.aStart, bEnd: hunk.aEnd });
}
