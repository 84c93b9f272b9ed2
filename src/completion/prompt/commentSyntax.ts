/** Chunks of other files written as comments, for FIM families without a repo-level format. */
import type { FimChunk } from "./fimPrompt";

interface CommentSyntax {
  readonly start: string;
  readonly end: string;
}

const HASH = new Set([
  "python", "shellscript", "ruby", "perl", "perl6", "r", "yaml", "toml", "dockerfile", "makefile",
  "powershell", "elixir", "julia", "nim", "coffeescript", "cmake", "properties", "graphql", "terraform",
  "hcl", "nix", "gdscript", "crystal", "tcl", "awk", "fish", "zsh", "bash",
]);
const DOUBLE_DASH = new Set(["sql", "lua", "haskell", "elm", "ada", "vhdl", "purescript", "plsql"]);
const SEMICOLON = new Set(["clojure", "lisp", "scheme", "racket", "ini", "asm", "nasm"]);
const PERCENT = new Set(["latex", "tex", "bibtex", "erlang", "matlab", "octave", "prolog"]);
const MARKUP = new Set(["html", "xml", "xsl", "markdown", "vue", "svelte", "vue-html", "razor", "svg"]);
const BLOCK = new Set(["css"]);

export function commentSyntax(languageId: string | undefined): CommentSyntax {
  const id = (languageId ?? "").toLowerCase();
  if (HASH.has(id)) return { start: "#", end: "" };
  if (DOUBLE_DASH.has(id)) return { start: "--", end: "" };
  if (SEMICOLON.has(id)) return { start: ";", end: "" };
  if (PERCENT.has(id)) return { start: "%", end: "" };
  if (MARKUP.has(id)) return { start: "<!--", end: " -->" };
  if (BLOCK.has(id)) return { start: "/*", end: " */" };
  if (id === "vb" || id === "vba") return { start: "'", end: "" };
  return { start: "//", end: "" };
}

/** `// Path: a/b.ts` then every line of the chunk commented out, ending with a newline. */
export function chunkAsComment(chunk: FimChunk, languageId: string | undefined): string {
  const { start, end } = commentSyntax(languageId);
  const lines = chunk.text.replace(/\r\n?/g, "\n").replace(/\n$/, "").split("\n");
  const commented = lines.map((line) => (line.length > 0 ? `${start} ${line}${end}` : `${start}${end}`));
  return [`${start} Path: ${chunk.fileName}${end}`, ...commented].join("\n") + "\n";
}
