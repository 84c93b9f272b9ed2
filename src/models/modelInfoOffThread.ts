/**
 * GGUF headers read on the model-file worker, not on the caller's thread: a real vocabulary is
 * 150,000 strings, and a hostile file can hold arrays of millions of items up to the size limits,
 * which would stall the extension host for hundreds of milliseconds (measured: 216 ms for a
 * Qwen2.5 vocabulary, 408 ms for a 5-million-item array). The engine process reads headers on its
 * own thread (modelInfo.ts directly): only it is stalled there.
 */
import { runFileWorker, type FileWorkerOptions } from "./fileWorkerClient";
import type { ModelInfo } from "./modelInfo";
import { fileLabel, ModelProblem } from "./problems";

export type HeaderResult = { readonly file: string; readonly info: ModelInfo } | { readonly file: string; readonly problem: ModelProblem };

export interface HeaderReadOptions extends FileWorkerOptions {
  /** Headers read at once; 4 by default. */
  readonly concurrency?: number;
}

/** Every file's header or the problem with it, in the order of `files`; one worker for all of them. */
export async function readModelInfos(files: readonly string[], options: HeaderReadOptions = {}): Promise<HeaderResult[]> {
  if (files.length === 0) return [];
  const results = new Map<string, HeaderResult>();
  await runFileWorker<void>({ job: "headers", files, concurrency: options.concurrency ?? 4 }, options, `reading ${files.length === 1 ? fileLabel(files[0]!) : `${files.length} model headers`}`, (message, settle, fail) => {
    switch (message.type) {
      case "info":
        results.set(message.file, { file: message.file, info: message.info });
        return;
      case "problem":
        results.set(message.file, { file: message.file, problem: new ModelProblem(message.code, message.message, message.detail) });
        return;
      case "headersDone":
        settle(() => undefined);
        return;
      case "error":
        fail(new Error(message.message));
        return;
      default:
        return;
    }
  });
  return files.map((file) => results.get(file) ?? { file, problem: new ModelProblem("unreadable", `${fileLabel(file)} was not read.`) });
}

/** One file's header, read on the worker; fails with the same ModelProblem readModelInfo would. */
export async function readModelInfoOffThread(file: string, options: FileWorkerOptions = {}): Promise<ModelInfo> {
  const [result] = await readModelInfos([file], options);
  if (!result || "problem" in result) throw result?.problem ?? new ModelProblem("unreadable", `${fileLabel(file)} was not read.`);
  return result.info;
}
