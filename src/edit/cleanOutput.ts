/**
 * Turns what a chat model wrote into the code it meant: the inside of its fenced block, without
 * the sentences small models put around code. Works on a partial answer too, so the diff can
 * show the rewrite while it streams. Pure.
 */

const FENCE = /^ {0,3}(`{3,}|~{3,})[^\n]*$/;
/** A line of prose before the code: "Here is the updated code:", "Sure! ...". */
const LEADING_PROSE = /^(here(?:'s| is| are)|sure|certainly|of course|okay|ok|below|the (?:updated|modified|rewritten|following|new)|i(?:'ve| have| added| changed| updated)|this (?:is|version))\b[^`]*$/i;
/** A sentence after the code: "This adds type hints.", "Note: ...". */
const TRAILING_PROSE = /^(this|these|note|explanation|i(?:'ve| have)?|the (?:code|function|change|changes)|changes|it now|now )\b[^`]*[.!:]?$/i;

export function extractCode(answer: string): string {
  const lines = answer.replace(/\r\n/g, "\n").split("\n");
  const open = lines.findIndex((line) => FENCE.test(line));
  if (open >= 0) {
    const marker = FENCE.exec(lines[open]!)![1]!;
    const rest = lines.slice(open + 1);
    const close = rest.findIndex((line) => line.trim().startsWith(marker[0]!.repeat(3)) && /^[`~\s]*$/.test(line));
    return (close >= 0 ? rest.slice(0, close) : rest).join("\n");
  }
  let start = 0;
  while (start < lines.length && (lines[start]!.trim() === "" || LEADING_PROSE.test(lines[start]!.trim()))) start++;
  let end = lines.length;
  // Sentences after the code: only after a blank line, so a code line that happens to start with "this" stays.
  for (let index = lines.length - 1; index > start; index--) {
    const line = lines[index]!.trim();
    if (line === "") continue;
    if (!TRAILING_PROSE.test(line) || lines[index - 1]!.trim() !== "") break;
    end = index;
  }
  return lines.slice(start, end).join("\n");
}

/**
 * Fits the cleaned code into the place of the selection: the selection's indentation when the
 * model dropped it, and the selection's own ending (a final newline or none).
 */
export function fitToSelection(code: string, selection: string): string {
  let body = code.replace(/\s+$/, "");
  const selectionIndent = commonIndent(selection);
  const codeIndent = commonIndent(body);
  if (selectionIndent.length > codeIndent.length && selectionIndent.startsWith(codeIndent)) {
    const extra = selectionIndent.slice(codeIndent.length);
    body = body
      .split("\n")
      .map((line) => (line.trim() === "" ? line : extra + line))
      .join("\n");
  }
  const ending = /\n$/.test(selection) ? "\n" : "";
  return body + ending;
}

function commonIndent(text: string): string {
  let indent: string | undefined;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const own = /^[ \t]*/.exec(line)![0];
    if (indent === undefined) indent = own;
    else {
      let shared = 0;
      while (shared < indent.length && shared < own.length && indent[shared] === own[shared]) shared++;
      indent = indent.slice(0, shared);
    }
  }
  return indent ?? "";
}
