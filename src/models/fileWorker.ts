/**
 * Worker thread for the model-file work that can take long (bundled as dist/fileWorker.js, started
 * through fileWorkerClient.ts): hashing a file (fileHash.ts), so a multi-GB model never occupies
 * the extension host's thread or its libuv pool, and reading GGUF headers (modelInfoOffThread.ts),
 * so a header with a huge vocabulary or hostile arrays stalls only this thread. Hash reads are
 * synchronous here, on this worker's own thread; the parent cancels by terminating the worker.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { identityOf } from "./fileIdentity";
import type { FileWorkerInput, FileWorkerMessage, HashJob, HeadersJob } from "./fileWorkerClient";
import { readModelInfo } from "./modelInfo";
import { ModelProblem } from "./problems";

const CHUNK = 4 * 1024 * 1024;
const PROGRESS_EVERY_MS = 100;

function post(message: FileWorkerMessage): void {
  parentPort?.postMessage(message);
}

function hash({ file, maxBytes }: HashJob): void {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below then refuses it.
  const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  try {
    const before = fs.fstatSync(fd, { bigint: true });
    if (!before.isFile()) {
      post({ type: "refused", reason: before.isDirectory() ? "directory" : "notRegular" });
      return;
    }
    const size = Number(before.size);
    if (size > maxBytes) {
      post({ type: "refused", reason: "tooLarge", size });
      return;
    }
    const hash = createHash("sha256");
    const buffer = Buffer.allocUnsafe(CHUNK);
    let done = 0;
    let reported = Date.now();
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, CHUNK, null);
      if (read === 0) break;
      hash.update(buffer.subarray(0, read));
      done += read;
      // The file grows while it is hashed: stop at the cap rather than read forever.
      if (done > maxBytes) {
        post({ type: "refused", reason: "tooLarge", size: done });
        return;
      }
      if (Date.now() - reported >= PROGRESS_EVERY_MS) {
        reported = Date.now();
        post({ type: "progress", done, total: size });
      }
    }
    const after = fs.fstatSync(fd, { bigint: true });
    if (identityOf(after) !== identityOf(before) || done !== size) {
      post({ type: "refused", reason: "changed" });
      return;
    }
    post({ type: "done", sha256: hash.digest("hex"), identity: identityOf(before), size });
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads each file's header, a few at a time, and posts each result as it comes. */
async function headers({ files, concurrency }: HeadersJob): Promise<void> {
  let next = 0;
  const reader = async (): Promise<void> => {
    while (next < files.length) {
      const file = files[next++]!;
      try {
        post({ type: "info", file, info: await readModelInfo(file) });
      } catch (error) {
        const problem = error instanceof ModelProblem ? error : new ModelProblem("unreadable", error instanceof Error ? error.message : String(error));
        post({ type: "problem", file, code: problem.code, message: problem.message, detail: problem.detail });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, files.length)) }, reader));
  post({ type: "headersDone" });
}

function fail(error: unknown): void {
  post({ type: "error", code: (error as NodeJS.ErrnoException).code, message: error instanceof Error ? error.message : String(error) });
}

const input = workerData as FileWorkerInput;
try {
  if (input.job === "hash") hash(input);
  else headers(input).catch(fail);
} catch (error) {
  fail(error);
}
