/**
 * Text from files, servers or settings (paths, model names, error messages) placed in Markdown
 * that VS Code renders: it must show as written and never become a link, an image (which the
 * preview would fetch), HTML or a new line of the list.
 */

/** `text` as a code span: shown exactly, nothing in it interpreted. */
export function literal(text: string): string {
  const flat = oneLine(text);
  if (flat.trim() === "") return "(empty)";
  const longestRun = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = "`".repeat(longestRun + 1);
  // A span that starts or ends with a backtick (or space) needs a space inside the fence, which the renderer strips.
  const pad = /^[`\s]|[`\s]$/.test(flat) ? " " : "";
  return `${fence}${pad}${flat}${pad}${fence}`;
}

/** `text` in running prose: each character Markdown could act on is escaped with a backslash. */
export function escapeInline(text: string): string {
  return oneLine(text).replace(/[\\`*_[\]<>!|~#&]/g, (c) => `\\${c}`);
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, " ");
}
