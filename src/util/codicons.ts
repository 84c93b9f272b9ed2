/**
 * Text from a file (a model's `general.name`, a file name) shown where VS Code expands `$(icon)`
 * codicons (status bar, quick picks): escaped so it reads as written, never as an icon.
 */
export function plainText(text: string): string {
  return text.replace(/\$\(/g, "\\$(");
}
