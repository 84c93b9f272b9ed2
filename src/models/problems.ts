import * as path from "node:path";

export interface EngineError {
  /** One or two sentences in the user's words, naming the file. */
  readonly message: string;
  /** Technical detail for the log (llama.cpp's own words, stack). */
  readonly detail?: string;
  readonly code: ModelProblemCode;
  /** For "tooLarge": the largest context size that fits in free memory, when a smaller context would. */
  readonly suggestedContextSize?: number;
}

export type ModelProblemCode =
  | "missing"
  | "directory"
  | "unreadable"
  | "empty"
  | "notGguf"
  | "truncated"
  | "unsupportedArchitecture"
  | "tooLarge"
  | "noBinary"
  | "loadFailed"
  | "notAllowed"
  | "badAdapter"
  | "badHeader"
  /** The engine process died while running (a crash, a kill, a stuck template): it restarts on the next request. */
  | "engineStopped"
  /** The model crashed the engine process while loading; it is not loaded again until chosen again. */
  | "crashedEngine";

/** A model problem the user can act on; `message` is written for them, `detail` for the log. */
export class ModelProblem extends Error {
  constructor(
    readonly code: ModelProblemCode,
    message: string,
    readonly detail?: string,
    /** The model file it is about, when several are loading. */
    readonly file?: string,
    /** For "tooLarge": the largest context size that would fit. */
    readonly suggestedContextSize?: number,
  ) {
    super(message);
    this.name = "ModelProblem";
  }

  withFile(file: string): ModelProblem {
    return new ModelProblem(this.code, this.message, this.detail, file, this.suggestedContextSize);
  }

  toEngineError(): EngineError {
    return { code: this.code, message: this.message, detail: this.detail, suggestedContextSize: this.suggestedContextSize };
  }
}

export function fileLabel(file: string): string {
  return `"${file}"`;
}

/**
 * Turns a failed load into a sentence the user can act on. node-llama-cpp often reports only
 * "Failed to load model"; llama.cpp's log lines from the same attempt carry the real reason.
 */
export function explainLoadFailure(
  file: string,
  error: unknown,
  logLines: readonly string[],
  architecture: string | undefined,
): ModelProblem {
  const errorText = error instanceof Error ? error.message : String(error);
  const log = logLines.join("\n");
  const detail = [errorText, ...logLines.slice(-12)].join("\n");
  const name = fileLabel(file);

  if (/not within the file bounds|tensor data is not within|unexpectedly reached end of file|failed to read tensor|file is truncated|read error/i.test(log + "\n" + errorText)) {
    return new ModelProblem(
      "truncated",
      `The model file ${name} is incomplete: it is shorter than its own header says (an unfinished download or copy?). Download or copy it again, or choose another model.`,
      detail,
    );
  }
  const unknownArch = /unknown model architecture: '([^']*)'/i.exec(log + "\n" + errorText);
  if (unknownArch) {
    return new ModelProblem(
      "unsupportedArchitecture",
      `The model file ${name} uses the "${unknownArch[1]}" architecture, which this version of llama.cpp cannot run. Choose a model of a supported architecture (for example Qwen2.5-Coder, Llama, StarCoder2).`,
      detail,
    );
  }
  if (/insufficient ?memory|not enough memory|failed to allocate|out of memory|cannot allocate/i.test(log + "\n" + errorText)) {
    return new ModelProblem(
      "tooLarge",
      `There is not enough free memory to load ${name}. Close other programs, lower slm.contextSize, or choose a smaller model.`,
      detail,
    );
  }
  const firstLogError = logLines.find((line) => /error|failed/i.test(line));
  const reason = firstLogError ? ` llama.cpp says: ${firstLogError.trim()}` : architecture ? "" : " Its header could not be read.";
  return new ModelProblem(
    "loadFailed",
    `Could not load the model file ${name}.${reason} Choose another model, or see the SLM Assistant log for details.`,
    detail,
  );
}

export function modelDisplayName(file: string, generalName: unknown): string {
  if (typeof generalName === "string" && generalName.trim()) return generalName.trim();
  return path.basename(file).replace(/\.gguf$/i, "");
}
