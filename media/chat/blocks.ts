// Where a streaming Markdown answer can be split: blocks before the point are final. Pure.

/**
 * The offset after the last blank line (outside any code fence) that is followed by a line
 * starting in column 0 — a point where Markdown blocks before it can no longer change.
 */
export function stableBoundary(text: string, from: number): number {
  let fence: { char: string; length: number } | undefined;
  let boundary = from;
  let position = from;
  let previousBlank = false;
  while (position < text.length) {
    const newline = text.indexOf("\n", position);
    if (newline < 0) break; // the last line may still grow
    const line = text.slice(position, newline);
    const fenceMatch = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (fence) {
      if (fenceMatch && fenceMatch[1][0] === fence.char && fenceMatch[1].length >= fence.length && line.trim() === fenceMatch[1]) fence = undefined;
    } else {
      const blank = line.trim() === "";
      if (previousBlank && !blank && !/^\s/.test(line) && !/^(?:[-+*]|\d{1,9}[.)])(?:\s|$)/.test(line)) boundary = position;
      if (fenceMatch) fence = { char: fenceMatch[1][0], length: fenceMatch[1].length };
      previousBlank = blank;
    }
    position = newline + 1;
  }
  return boundary;
}
