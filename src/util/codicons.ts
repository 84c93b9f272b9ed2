/**
 * Text from a file (a model's `general.name`, a file name) shown where VS Code expands `$(icon)`
 * codicons (status bar, quick picks): escaped so it reads as written, never as an icon.
 */
export function plainText(text: string): string {
  return text.replace(/\$\(/g, "\\$(");
}

/** `text` cut to at most `max` characters, with an ellipsis when cut (for the status bar). */
export function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}
