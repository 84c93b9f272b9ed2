/**
 * Worker thread that hashes one file (bundled as dist/hashWorker.js, started by fileHash.ts), so a
 * multi-GB model never occupies the extension host's thread or its libuv pool. Reads are
 * synchronous here, on this worker's own thread; the parent cancels by terminating the worker.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { identityOf } from "./fileIdentity";
import type { HashWorkerInput, HashWorkerMessage } from "./fileHash";

const CHUNK = 4 * 1024 * 1024;
const PROGRESS_EVERY_MS = 100;

function post(message: HashWorkerMessage): void {
  parentPort?.postMessage(message);
}

function run({ file, maxBytes }: HashWorkerInput): void {
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

try {
  run(workerData as HashWorkerInput);
} catch (error) {
  post({ type: "error", code: (error as NodeJS.ErrnoException).code, message: error instanceof Error ? error.message : String(error) });
}
