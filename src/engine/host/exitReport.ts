/** Words for how the engine process ended, and the output that explains it. */

const SIGNAL_WORDS: Readonly<Record<string, string>> = {
  SIGABRT: "llama.cpp aborted, SIGABRT",
  SIGSEGV: "a crash in native code, SIGSEGV",
  SIGKILL: "killed, SIGKILL: out of memory, or ended by another program",
  SIGBUS: "a crash in native code, SIGBUS",
  SIGILL: "this CPU cannot run the engine's code, SIGILL",
  SIGTERM: "ended by another program, SIGTERM",
};

export function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return SIGNAL_WORDS[signal] ?? `signal ${signal}`;
  return `exit code ${code ?? "unknown"}`;
}

/** The last lines the engine process wrote (stderr, llama.cpp's log), for the crash report. */
export class LastLines {
  private lines: string[] = [];
  private partial = "";

  constructor(private readonly limit: number) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split("\n");
    this.partial = parts.pop() ?? "";
    for (const line of parts) if (line.trim()) this.lines.push(line.trimEnd().slice(0, 500));
    if (this.lines.length > this.limit) this.lines = this.lines.slice(-this.limit);
  }

  clear(): void {
    this.lines = [];
    this.partial = "";
  }

  text(): string {
    return [...this.lines, this.partial].filter((line) => line.trim()).join("\n");
  }

  /** The line that says what went wrong: a failed assertion, else the last error line. */
  evidence(): string | undefined {
    const all = [...this.lines, this.partial].reverse();
    const assertion = all.find((line) => /GGML_ASSERT|assert(ion)? failed|terminate called/i.test(line));
    const error = assertion ?? all.find((line) => /error|failed|out of memory/i.test(line));
    return error?.replace(/^.*?(GGML_ASSERT)/, "$1").trim().slice(0, 300);
  }
}
