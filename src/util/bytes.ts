/**
 * Sizes in the user's words. `summary` (the default) is for messages about a whole file: whole MB,
 * GB to one decimal, never "0 KB". `progress` keeps one more digit so a download's "0.2 of 1.3 MB"
 * visibly moves.
 */
export function formatBytes(bytes: number, style: "summary" | "progress" = "summary"): string {
  const MB = 1024 ** 2;
  const GB = 1024 ** 3;
  if (style === "progress") {
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < MB) return `${(bytes / 1024).toFixed(1)} KB`;
    if (bytes < GB) return `${(bytes / MB).toFixed(1)} MB`;
    return `${(bytes / GB).toFixed(2)} GB`;
  }
  if (bytes >= GB) return `${(bytes / GB).toFixed(1)} GB`;
  if (bytes >= MB) return `${(bytes / MB).toFixed(0)} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}
