/**
 * Keeps llama.cpp's recent log lines. node-llama-cpp reports several load failures only as
 * "Failed to load model"; the reason is in the log lines written during that attempt.
 */
export class LogBuffer {
  private lines: string[] = [];
  private total = 0;

  constructor(private readonly capacity = 400) {}

  push(text: string): void {
    for (const line of text.split(/\r?\n/)) {
      if (!line.trim()) continue;
      this.lines.push(line);
      this.total++;
    }
    if (this.lines.length > this.capacity) this.lines.splice(0, this.lines.length - this.capacity);
  }

  /** A position to read from later with {@link since}. */
  mark(): number {
    return this.total;
  }

  since(mark: number): string[] {
    const available = Math.min(this.total - mark, this.lines.length);
    return available > 0 ? this.lines.slice(this.lines.length - available) : [];
  }
}
