import * as fs from "node:fs/promises";
import { abortError, runFileWorker, type FileWorkerOptions } from "./fileWorkerClient";
import { fileLabel, ModelProblem } from "./problems";

/** Larger than any model file a person runs (the largest GGUF parts are tens of GB). */
export const MAX_HASH_BYTES = 512 * 1024 ** 3;

export interface FileHash {
  readonly sha256: string;
  /** fileIdentity() of the file that was read (taken from the open file, not the path). */
  readonly identity: string;
  readonly size: number;
}

export interface HashOptions extends FileWorkerOptions {
  readonly onProgress?: (done: number, total: number) => void;
  readonly maxBytes?: number;
}

/**
 * SHA-256 of a regular file, computed on a worker thread: the caller's thread stays free, the work
 * stops at once when `signal` aborts (the worker is terminated), and devices, FIFOs, sockets,
 * folders and files over the size cap are refused before a byte is read.
 */
export async function hashFile(file: string, options: HashOptions = {}): Promise<FileHash> {
  const { signal, maxBytes = MAX_HASH_BYTES } = options;
  if (signal?.aborted) throw abortError();
  // Refused here at once, without starting a worker (the worker checks the open file again).
  const stats = await fs.stat(file).catch((error: NodeJS.ErrnoException) => {
    throw new ModelProblem(error.code === "ENOENT" || error.code === "ENOTDIR" ? "missing" : "unreadable", `${fileLabel(file)} cannot be read (${error.code ?? error.message}).`, String(error));
  });
  if (!stats.isFile()) throw refusal(stats.isDirectory() ? "directory" : "notRegular", fileLabel(file), undefined, maxBytes);
  if (stats.size > maxBytes) throw refusal("tooLarge", fileLabel(file), stats.size, maxBytes);
  return hashOnWorker(file, options, maxBytes);
}

function hashOnWorker(file: string, options: HashOptions, maxBytes: number): Promise<FileHash> {
  const label = fileLabel(file);
  return runFileWorker<FileHash>({ job: "hash", file, maxBytes }, options, `hashing ${label}`, (message, settle, fail) => {
    switch (message.type) {
      case "progress":
        options.onProgress?.(message.done, message.total);
        return;
      case "done":
        settle(() => ({ sha256: message.sha256, identity: message.identity, size: message.size }));
        return;
      case "refused":
        fail(refusal(message.reason, label, message.size, maxBytes));
        return;
      case "error":
        fail(Object.assign(new ModelProblem(message.code === "ENOENT" || message.code === "ENOTDIR" ? "missing" : "unreadable", `${label} cannot be read (${message.code ?? message.message}).`, message.message), { errno: message.code }));
        return;
      default:
        return;
    }
  });
}

function refusal(reason: "directory" | "notRegular" | "tooLarge" | "changed", label: string, size: number | undefined, maxBytes: number): ModelProblem {
  switch (reason) {
    case "directory":
      return new ModelProblem("directory", `${label} is a folder, not a model file.`);
    case "notRegular":
      return new ModelProblem("unreadable", `${label} is not a regular file (a device, pipe or socket), so it is not read.`);
    case "tooLarge":
      return new ModelProblem("unreadable", `${label} is larger than any model file (${size ?? "?"} bytes, the limit is ${maxBytes}), so it is not read.`);
    case "changed":
      return new ModelProblem("unreadable", `${label} changed while it was being checked. Wait until it is completely written, then try again.`);
  }
}
