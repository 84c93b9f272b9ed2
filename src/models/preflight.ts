import * as fs from "node:fs/promises";
import * as path from "node:path";
import { ModelProblem, fileLabel } from "./problems";

const GGUF_MAGIC = "GGUF";

/**
 * Checks a model path before anything is handed to llama.cpp, so the common mistakes get a
 * sentence that names the file instead of a native error: wrong path, a folder, an empty or
 * non-GGUF file. Returns the file size.
 */
export async function checkModelFile(file: string): Promise<number> {
  const name = fileLabel(file);
  if (!path.isAbsolute(file)) {
    throw new ModelProblem(
      "missing",
      `The model path ${name} is not an absolute path. Set slm.modelPath to the full path of a .gguf file, or choose one with "SLM: Select Model…".`,
    );
  }
  let stat: import("node:fs").Stats;
  try {
    stat = await fs.stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new ModelProblem("missing", `The model file ${name} does not exist. Choose another model, or check slm.modelPath.`);
    }
    throw new ModelProblem(
      "unreadable",
      `The model file ${name} cannot be read (${code ?? "unknown error"}). Check its permissions, or choose another model.`,
      String(error),
    );
  }
  if (stat.isDirectory()) {
    throw new ModelProblem(
      "directory",
      `${name} is a folder, not a model file. Choose a .gguf file inside it.`,
    );
  }
  if (!stat.isFile()) {
    throw new ModelProblem("unreadable", `${name} is not a regular file. Choose a .gguf model file.`);
  }
  if (stat.size === 0) {
    throw new ModelProblem("empty", `The model file ${name} is empty (0 bytes), perhaps an unfinished download. Choose another model.`);
  }
  const magic = await readMagic(file, name);
  if (magic !== GGUF_MAGIC) {
    throw new ModelProblem(
      "notGguf",
      `${name} is not a GGUF model file. SLM Assistant runs models in the GGUF format (as used by llama.cpp, e.g. "qwen2.5-coder-0.5b-q8_0.gguf"). Choose another file.`,
    );
  }
  return stat.size;
}

async function readMagic(file: string, name: string): Promise<string> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(file, "r");
    const buffer = Buffer.alloc(4);
    const { bytesRead } = await handle.read(buffer, 0, 4, 0);
    return buffer.subarray(0, bytesRead).toString("latin1");
  } catch (error) {
    throw new ModelProblem(
      "unreadable",
      `The model file ${name} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}). Check its permissions, or choose another model.`,
      String(error),
    );
  } finally {
    await handle?.close();
  }
}
