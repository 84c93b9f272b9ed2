/**
 * Paths that name another machine. On Windows a UNC path (`\\server\share\model.gguf`) counts as
 * absolute, and merely stat-ing it opens an SMB connection (sending the user's credentials), so a
 * model path like that is refused unless the user allowed network access (slm.allowNetwork).
 * Drives mapped to a share and network mounts cannot be told from local paths without touching
 * them; they are the user's own choice of path.
 */
export function networkPathReason(file: string): string | undefined {
  const text = file.trim();
  if (/^[\\/]{2}[?.][\\/]UNC[\\/]/i.test(text)) return "a UNC path (another machine's share)";
  if (/^[\\/]{2}\.[\\/]/.test(text)) return "a device path";
  if (/^[\\/]{2}\?[\\/]/.test(text)) return undefined;
  if (/^[\\/]{2}[^\\/]/.test(text)) return "a UNC path (another machine's share)";
  if (/^[a-z][a-z0-9+.-]+:\/\//i.test(text)) return "a URL";
  return undefined;
}

/** The notice for a refused network path, in the user's words. */
export function networkPathNotice(setting: string, file: string, reason: string): string {
  return `${setting} is ${reason}: "${file}". Reading it would connect to another machine, so it is ignored while slm.allowNetwork is off. Copy the model to this machine, or turn slm.allowNetwork on.`;
}
