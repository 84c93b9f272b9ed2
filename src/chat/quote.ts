/**
 * Turns a piece of a file into the question the chat sends for "Explain" and "Summarize": file
 * name, language and line range, the code quoted as a fenced block, and, when the code is larger
 * than the model can read, a visible note of what was left out. Pure.
 */

export type QuoteKind = "explain" | "summarize";

export interface CodeRegion {
  /** As shown to the user: a workspace-relative path or the file name. */
  readonly fileLabel: string;
  /** VS Code language id, e.g. "typescript". */
  readonly languageId: string;
  /** 1-based, inclusive. */
  readonly startLine: number;
  readonly endLine: number;
  readonly code: string;
  /** How the region was chosen when nothing was selected (shown to the user). */
  readonly origin?: string;
}

export interface Quote {
  readonly question: string;
  readonly keptLines: number;
  readonly totalLines: number;
}

const INSTRUCTIONS: Record<QuoteKind, string> = {
  explain: "Explain what this code does",
  summarize: "Summarize this code in a few sentences",
};

/**
 * Builds the question; `fits(question)` says whether a candidate fits the token budget. Keeps
 * whole lines from the start; says how many were left out.
 */
export async function buildQuote(
  kind: QuoteKind,
  region: CodeRegion,
  fits: (question: string) => boolean | Promise<boolean>,
): Promise<Quote> {
  const lines = splitLines(region.code);
  const total = lines.length;
  const make = (kept: number) => formatQuestion(kind, region, lines.slice(0, kept), total);
  if (await fits(make(total))) return { question: make(total), keptLines: total, totalLines: total };
  let low = 0;
  let high = total;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (await fits(make(middle))) low = middle;
    else high = middle - 1;
  }
  // A single line longer than the whole budget: keep its start rather than nothing.
  if (low === 0 && total > 0) {
    const line = lines[0]!;
    let chars = line.length;
    while (chars > 16 && !(await fits(formatQuestion(kind, region, [`${line.slice(0, chars)} …`], total, true)))) chars = Math.floor(chars / 2);
    return { question: formatQuestion(kind, region, [`${line.slice(0, chars)} …`], total, true), keptLines: 0, totalLines: total };
  }
  return { question: make(low), keptLines: low, totalLines: total };
}

function formatQuestion(kind: QuoteKind, region: CodeRegion, kept: readonly string[], totalLines: number, lineCut = false): string {
  const language = languageName(region.languageId);
  const range = region.startLine === region.endLine ? `line ${region.startLine}` : `lines ${region.startLine}–${region.endLine}`;
  const code = kept.join("\n");
  const fence = fenceFor(code);
  const parts = [`${INSTRUCTIONS[kind]} from \`${region.fileLabel}\` (${language}, ${range}):`];
  if (region.origin) parts.push(`_${region.origin}_`);
  parts.push(`${fence}${fenceLanguage(region.languageId)}\n${code}\n${fence}`);
  const left = totalLines - kept.length;
  if (lineCut) {
    parts.push(`_(The code is too long for the model's context: only the start of its first line is included; ${totalLines.toLocaleString("en-US")} line${totalLines === 1 ? "" : "s"} were selected.)_`);
  } else if (left > 0) {
    const lastKept = region.startLine + kept.length - 1;
    parts.push(
      `_(Only lines ${region.startLine}–${lastKept} fit in the model's context: ${left.toLocaleString("en-US")} of ${totalLines.toLocaleString("en-US")} lines were left out.)_`,
    );
  }
  return parts.join("\n\n");
}

/** A fence longer than any run of backticks in the code, so the code cannot close it. */
export function fenceFor(code: string): string {
  let longest = 0;
  for (const match of code.matchAll(/`+/g)) longest = Math.max(longest, match[0].length);
  return "`".repeat(Math.max(3, longest + 1));
}

function splitLines(code: string): string[] {
  const lines = code.replace(/\r\n?/g, "\n").split("\n");
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

const LANGUAGE_NAMES: Record<string, string> = {
  typescript: "TypeScript",
  typescriptreact: "TypeScript React",
  javascript: "JavaScript",
  javascriptreact: "JavaScript React",
  python: "Python",
  csharp: "C#",
  cpp: "C++",
  c: "C",
  go: "Go",
  rust: "Rust",
  java: "Java",
  kotlin: "Kotlin",
  ruby: "Ruby",
  php: "PHP",
  shellscript: "Shell",
  json: "JSON",
  jsonc: "JSON",
  html: "HTML",
  css: "CSS",
  markdown: "Markdown",
  plaintext: "plain text",
  sql: "SQL",
  yaml: "YAML",
};

export function languageName(languageId: string): string {
  return LANGUAGE_NAMES[languageId] ?? languageId;
}

function fenceLanguage(languageId: string): string {
  const map: Record<string, string> = { typescriptreact: "tsx", javascriptreact: "jsx", shellscript: "bash", jsonc: "json", plaintext: "" };
  const tag = map[languageId] ?? languageId;
  return /^[\w+#-]{0,32}$/.test(tag) ? tag : "";
}

/**
 * True when text looks like a binary file decoded as text: NUL characters, or many replacement
 * or control characters. Such a file is not sent to the model.
 */
export function looksBinary(sample: string): boolean {
  if (sample.length === 0) return false;
  const slice = sample.slice(0, 8192);
  let suspicious = 0;
  for (let i = 0; i < slice.length; i++) {
    const code = slice.charCodeAt(i);
    if (code === 0) return true;
    if (code === 0xfffd || (code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12)) suspicious++;
  }
  return suspicious / slice.length > 0.1;
}
