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
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker?.charAt(0) === fence.char && marker.length >= fence.length && line.trim() === marker) fence = undefined;
    } else {
      const blank = line.trim() === "";
      if (previousBlank && !blank && !/^\s/.test(line) && !/^(?:[-+*]|\d{1,9}[.)])(?:\s|$)/.test(line)) boundary = position;
      if (marker) fence = { char: marker.charAt(0), length: marker.length };
      previousBlank = blank;
    }
    position = newline + 1;
  }
  return boundary;
}
