// Code colouring for the chat, bounded: highlight.js costs about 2 ms per 1,000 characters here,
// and a streaming code block is coloured again every frame, so a block larger than
// MAX_HIGHLIGHT_CHARS, or one the measured speed says would take longer than HIGHLIGHT_BUDGET_MS,
// is shown as plain text instead. No DOM: the unit tests run it in Node.
import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import c from "highlight.js/lib/languages/c";
import cpp from "highlight.js/lib/languages/cpp";
import csharp from "highlight.js/lib/languages/csharp";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import java from "highlight.js/lib/languages/java";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import kotlin from "highlight.js/lib/languages/kotlin";
import markdown from "highlight.js/lib/languages/markdown";
import php from "highlight.js/lib/languages/php";
import plaintext from "highlight.js/lib/languages/plaintext";
import python from "highlight.js/lib/languages/python";
import ruby from "highlight.js/lib/languages/ruby";
import rust from "highlight.js/lib/languages/rust";
import sql from "highlight.js/lib/languages/sql";
import swift from "highlight.js/lib/languages/swift";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";
import yaml from "highlight.js/lib/languages/yaml";

const LANGUAGES = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, kotlin, markdown, php, plaintext, python, ruby, rust, sql, swift, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);
hljs.registerAliases(["sh", "shell", "zsh", "console", "shellscript"], { languageName: "bash" });
hljs.registerAliases(["html", "svg"], { languageName: "xml" });

export const LANGUAGE_NAMES: readonly string[] = Object.keys(LANGUAGES);
/** Larger code blocks are never coloured. */
export const MAX_HIGHLIGHT_CHARS = 20_000;
/** Longest a streaming block may be expected to take to colour (a frame is 16 ms; it is coloured each frame). */
export const HIGHLIGHT_BUDGET_MS = 12;
/** …and a block of a finished answer or the history, coloured once. */
export const FINAL_HIGHLIGHT_BUDGET_MS = 120;
/** Blocks at least this long teach the highlighter its speed (shorter ones are noise). */
const MEASURED_FROM_CHARS = 1_000;

export interface Highlighted {
  /** highlight.js's HTML: spans with hljs classes around escaped text. */
  readonly html: string;
  readonly language: string;
}

export class CodeHighlighter {
  /** The measured cost, from the blocks coloured so far (slow measurements weigh more). */
  private msPerChar = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** `code` coloured as `language`, or undefined: an unknown language, or too large for the bounds. */
  highlight(code: string, language: string, budgetMs = HIGHLIGHT_BUDGET_MS): Highlighted | undefined {
    const known = language && hljs.getLanguage(language) ? language : undefined;
    if (!known || this.skipped(code, language, budgetMs)) return undefined;
    const started = this.now();
    const html = hljs.highlight(code, { language: known, ignoreIllegals: true }).value;
    if (code.length >= MEASURED_FROM_CHARS) {
      const measured = (this.now() - started) / code.length;
      this.msPerChar = measured > this.msPerChar ? measured : 0.8 * this.msPerChar + 0.2 * measured;
    }
    return { html, language: known };
  }

  /** Whether a block in a known language is shown plain because of its size. */
  skipped(code: string, language: string, budgetMs = HIGHLIGHT_BUDGET_MS): boolean {
    if (!language || !hljs.getLanguage(language)) return false;
    return code.length > MAX_HIGHLIGHT_CHARS || code.length * this.msPerChar > budgetMs;
  }
}

/** Compiles a language's grammar (highlight.js does it at first use) on a tiny sample. */
export function warmUpLanguage(language: string): void {
  hljs.highlight("const a = 1; // b\nfunction c(d) { return 'e' + d; }", { language, ignoreIllegals: true });
}
