import type { BigIntStats } from "node:fs";
import * as fs from "node:fs/promises";

/**
 * What binds a hash to one file on disk: device, inode, size, modification time and change time,
 * to the nanosecond. A same-size file written in place with its mtime restored still gets a new
 * ctime (which no user can set), and a file renamed over another gets a new inode, so a hash
 * cached under an identity is the hash of the bytes that identity names.
 */
export function identityOf(stats: BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

export async function fileIdentity(file: string): Promise<string> {
  return identityOf(await fs.stat(file, { bigint: true }));
}

/** The files among `files` whose identity now differs from `expected` (same order), for a message. */
export async function changedFiles(files: readonly string[], expected: readonly string[]): Promise<string[]> {
  const changed: string[] = [];
  for (const [index, file] of files.entries()) {
    const now = await fileIdentity(file).catch(() => "gone");
    if (now !== expected[index]) changed.push(file);
  }
  return changed;
}
