/**
 * Starts the model-file worker (fileWorker.ts, bundled as dist/fileWorker.js) for one job and
 * hands its messages to the caller until the caller settles: the worker is terminated then, or at
 * once when `signal` aborts. The messages both sides speak are defined here, once.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { ModelInfo } from "./modelInfo";
import type { ModelProblemCode } from "./problems";

export interface HashJob {
  readonly job: "hash";
  readonly file: string;
  readonly maxBytes: number;
}

export interface HeadersJob {
  readonly job: "headers";
  readonly files: readonly string[];
  /** Headers read at once (their reads interleave on the worker's thread). */
  readonly concurrency: number;
}

export type FileWorkerInput = HashJob | HeadersJob;

export type FileWorkerMessage =
  | { readonly type: "progress"; readonly done: number; readonly total: number }
  | { readonly type: "done"; readonly sha256: string; readonly identity: string; readonly size: number }
  | { readonly type: "refused"; readonly reason: "directory" | "notRegular" | "tooLarge" | "changed"; readonly size?: number }
  | { readonly type: "info"; readonly file: string; readonly info: ModelInfo }
  | { readonly type: "problem"; readonly file: string; readonly code: ModelProblemCode; readonly message: string; readonly detail?: string }
  | { readonly type: "headersDone" }
  | { readonly type: "error"; readonly code?: string; readonly message: string };

export interface FileWorkerOptions {
  readonly signal?: AbortSignal;
  /** The compiled worker script; by default fileWorker.js beside this module (dist/ in the bundle). */
  readonly workerScript?: string;
}

/**
 * Runs `input` on a fresh worker. `onMessage` gets each message with `settle`, which it calls
 * once the job's outcome is known; an abort, a worker error or an early exit settle it too.
 */
export function runFileWorker<T>(
  input: FileWorkerInput,
  options: FileWorkerOptions,
  describe: string,
  onMessage: (message: FileWorkerMessage, settle: (outcome: () => T) => void, fail: (error: Error) => void) => void,
): Promise<T> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(options.workerScript ?? path.join(__dirname, "fileWorker.js"), { workerData: input });
    let settled = false;
    const end = (): boolean => {
      if (settled) return false;
      settled = true;
      signal?.removeEventListener("abort", onAbort);
      void worker.terminate();
      return true;
    };
    const settle = (outcome: () => T): void => {
      if (!end()) return;
      try {
        resolve(outcome());
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const fail = (error: Error): void => {
      if (end()) reject(error);
    };
    const onAbort = (): void => fail(abortError());
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.on("message", (message: FileWorkerMessage) => onMessage(message, settle, fail));
    worker.on("error", fail);
    worker.on("exit", (code) => fail(new Error(`the worker ${describe} stopped (exit code ${code})`)));
  });
}

export function abortError(): Error {
  return Object.assign(new Error("aborted"), { name: "AbortError" });
}
