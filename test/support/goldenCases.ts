/**
 * Reads the post-processing golden cases (test/golden/postprocess/*.golden): small text files
 * anyone can add to. The format is described in test/golden/postprocess/README.md.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { FimFamilyId } from "../../src/models/fimFamilies";
import type { MultilineMode, PostprocessContext } from "../../src/completion/postprocess";

export const CURSOR = "█";
/** Stands for a space where one matters at a line's end (editors strip them). */
const VISIBLE_SPACE = "␣";

export interface GoldenCase {
  readonly file: string;
  readonly name: string;
  readonly languageId: string;
  readonly document: string;
  readonly raw: string;
  /** What the user is shown; undefined when the completion must be dropped. */
  readonly shown: string | undefined;
  /** How the model's generation ended: by itself, or at a token/time limit. */
  readonly stop: "model" | "limit";
  readonly ctx: PostprocessContext;
}

export function readGoldenCases(dir: string): GoldenCase[] {
  const cases: GoldenCase[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".golden")).sort()) {
    const text = fs.readFileSync(path.join(dir, file), "utf8").replace(/\r\n/g, "\n");
    const blocks = text.split(/^=== /m).slice(1);
    for (const block of blocks) cases.push(parseCase(file, block));
  }
  return cases;
}

function parseCase(file: string, block: string): GoldenCase {
  const [head, ...sectionTexts] = block.split(/^--- /m);
  const headLines = head!.split("\n");
  const name = headLines[0]!.trim();
  const where = `${file}: "${name}"`;
  const settings = new Map<string, string>();
  for (const line of headLines.slice(1)) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const match = /^(\w+):\s*(.*)$/.exec(line);
    if (!match) throw new Error(`${where}: cannot read the setting line "${line}"`);
    settings.set(match[1]!, match[2]!.trim());
  }
  const sections = new Map<string, string>();
  for (const section of sectionTexts) {
    const newline = section.indexOf("\n");
    const title = (newline < 0 ? section : section.slice(0, newline)).trim();
    const body = newline < 0 ? "" : section.slice(newline + 1).replace(/\n+$/, "");
    sections.set(title, body.replaceAll(VISIBLE_SPACE, " "));
  }
  const document = sections.get("document");
  const raw = sections.get("raw");
  if (document === undefined || raw === undefined) throw new Error(`${where}: needs a "--- document" and a "--- raw" section`);
  if (!document.includes(CURSOR)) throw new Error(`${where}: the document needs a ${CURSOR} cursor`);
  let shown: string | undefined;
  if (sections.has("shown")) shown = sections.get("shown");
  else if (sections.has("unchanged")) shown = raw;
  else if (!sections.has("dropped")) throw new Error(`${where}: needs "--- shown", "--- unchanged" or "--- dropped"`);

  const languageId = settings.get("language");
  if (!languageId) throw new Error(`${where}: needs "language:"`);
  const multiline = (settings.get("multiline") ?? "auto") as MultilineMode;
  const stop = settings.get("stop") === "limit" ? "limit" : "model";
  const indent = settings.get("indent");
  const indentUnit = indent === undefined ? undefined : indent === "tab" ? "\t" : " ".repeat(Number(indent));
  const family = settings.get("family") as FimFamilyId | undefined;
  const eol = settings.get("eol") === "crlf" ? "\r\n" : "\n";
  const fullDocument = (document + "\n").replace(/\n/g, eol);
  return { file, name, languageId, document: fullDocument, raw, shown: shown?.replace(/\n/g, eol), stop, ctx: contextAt(fullDocument, { languageId, multiline, indentUnit, family, cutOff: stop === "limit" }) };
}

/** The post-processing context for a document with `█` where the cursor is. */
export function contextAt(document: string, options: Partial<PostprocessContext> = {}): PostprocessContext {
  const offset = document.indexOf(CURSOR);
  const prefix = document.slice(0, offset);
  const suffix = document.slice(offset + CURSOR.length);
  const lineStart = prefix.lastIndexOf("\n") + 1;
  const lineEnd = suffix.search(/\r?\n/);
  return {
    prefix,
    suffix,
    linePrefix: prefix.slice(lineStart),
    lineSuffix: lineEnd < 0 ? suffix : suffix.slice(0, lineEnd),
    eol: document.includes("\r\n") ? "\r\n" : "\n",
    multiline: "auto",
    languageId: "plaintext",
    ...options,
  };
}
