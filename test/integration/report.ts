// Lines a test wants shown next to the counts (e.g. a measured time it does not assert on).
export const notes: string[] = [];

export function report(line: string): void {
  notes.push(line);
  console.log(`[note] ${line}`);
}
