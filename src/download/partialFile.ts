// The `<destination>.partial` file a download writes into: only ever a regular file of our own.
// A symlink there (pointing at a file elsewhere), a FIFO, a device or a folder is refused, and the
// file is opened with O_NOFOLLOW, so nothing is written through a link planted in the folder.
import { createHash, type Hash } from "node:crypto";
import { constants } from "node:fs";
import * as fs from "node:fs/promises";
import { DownloadError } from "./errors";

export function partialPathFor(destination: string): string {
  return `${destination}.partial`;
}

/** The partial file's size (0 when there is none); refuses anything but a regular file. */
export async function partialSize(partial: string, name: string): Promise<number> {
  const stats = await fs.lstat(partial).catch(() => undefined);
  if (!stats) return 0;
  if (!stats.isFile()) {
    const what = stats.isSymbolicLink() ? "a symbolic link" : stats.isDirectory() ? "a folder" : "not a regular file";
    throw new DownloadError("file", `Not downloading ${name}: ${partial} is ${what}, not a partial download of this extension's. Remove it and run the download again.`);
  }
  return stats.size;
}

/** Opens the partial file to append (resume) or from the start, never through a symlink. */
export async function openPartial(partial: string, append: boolean): Promise<fs.FileHandle> {
  const flags = constants.O_WRONLY | constants.O_CREAT | (append ? constants.O_APPEND : constants.O_TRUNC) | (constants.O_NOFOLLOW ?? 0);
  return fs.open(partial, flags, 0o644);
}

/** SHA-256 of the partial file's first `bytes` bytes. */
export async function hashPartial(partial: string, bytes: number, signal: AbortSignal | undefined): Promise<Hash> {
  const hash = createHash("sha256");
  const file = await fs.open(partial, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    for await (const chunk of file.createReadStream({ start: 0, end: bytes - 1, signal, autoClose: false }) as AsyncIterable<Buffer>) hash.update(chunk);
  } finally {
    await file.close();
  }
  return hash;
}
