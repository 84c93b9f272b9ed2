import * as fs from "node:fs/promises";
import * as path from "node:path";
import type { ModelInfo } from "./modelInfo";
import { readModelInfos } from "./modelInfoOffThread";

export interface ScanLimits {
  /** Directory entries looked at in all, so a huge tree costs bounded time. */
  readonly maxEntries: number;
  /** Models summarized; the rest are counted. */
  readonly maxModels: number;
  /** Folder depth below the models folder. */
  readonly maxDepth: number;
  /** Headers read at once. */
  readonly concurrency: number;
}

export const DEFAULT_SCAN_LIMITS: ScanLimits = { maxEntries: 50_000, maxModels: 500, maxDepth: 4, concurrency: 8 };

export interface ScanResult {
  readonly models: readonly ModelInfo[];
  /** .gguf files that could not be summarized, with the reason in the user's words. */
  readonly problems: readonly { readonly path: string; readonly message: string }[];
  /** Folders that could not be listed (permissions) or were already seen through a link. */
  readonly skippedFolders: number;
  /** A limit stopped the scan early; the list is partial. */
  readonly limited: boolean;
  /** Why the models folder itself could not be read. */
  readonly rootProblem?: string;
}

/**
 * Finds .gguf files under `root` (following links once per real folder, so link loops end) and
 * reads each header. Unreadable files and folders are reported, never thrown; limits bound the
 * time a folder of thousands of files can take.
 */
export async function scanModels(root: string, signal?: AbortSignal, limits: ScanLimits = DEFAULT_SCAN_LIMITS): Promise<ScanResult> {
  const files: string[] = [];
  const seenFolders = new Set<string>();
  let entries = 0;
  let skippedFolders = 0;
  let limited = false;

  const walk = async (folder: string, depth: number): Promise<void> => {
    signal?.throwIfAborted();
    let real: string;
    let listing: import("node:fs").Dirent[];
    try {
      real = await fs.realpath(folder);
      if (seenFolders.has(real)) {
        skippedFolders++;
        return;
      }
      seenFolders.add(real);
      listing = await fs.readdir(folder, { withFileTypes: true });
    } catch {
      skippedFolders++;
      return;
    }
    listing.sort((a, b) => a.name.localeCompare(b.name));
    const subfolders: string[] = [];
    for (const entry of listing) {
      if (++entries > limits.maxEntries || files.length >= limits.maxModels) {
        limited = true;
        return;
      }
      const full = path.join(folder, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        const target = await fs.stat(full).catch(() => undefined);
        isDirectory = target?.isDirectory() ?? false;
        isFile = target?.isFile() ?? /\.gguf$/i.test(entry.name);
      }
      if (isFile && /\.gguf$/i.test(entry.name)) files.push(full);
      else if (isDirectory && !entry.name.startsWith(".") && entry.name !== "node_modules") subfolders.push(full);
    }
    if (depth < limits.maxDepth) {
      for (const subfolder of subfolders) {
        await walk(subfolder, depth + 1);
        if (limited) return;
      }
    }
  };
  try {
    const stat = await fs.stat(root);
    if (!stat.isDirectory()) return { models: [], problems: [], skippedFolders: 0, limited: false, rootProblem: `"${root}" is not a folder.` };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const rootProblem = code === "ENOENT" ? `The models folder "${root}" does not exist.` : `The models folder "${root}" cannot be read (${code ?? "error"}).`;
    return { models: [], problems: [], skippedFolders: 0, limited: false, rootProblem };
  }
  await walk(root, 0);

  // Headers are read on the model-file worker: a folder of real vocabularies must not stall the editor.
  const models: ModelInfo[] = [];
  const problems: { path: string; message: string }[] = [];
  for (const result of await readModelInfos(files, { signal, concurrency: limits.concurrency })) {
    if ("info" in result) models.push(result.info);
    else problems.push({ path: result.file, message: result.problem.message });
  }
  models.sort((a, b) => a.path.localeCompare(b.path));
  problems.sort((a, b) => a.path.localeCompare(b.path));
  return { models, problems, skippedFolders, limited };
}
