// Files from the llama.cpp source that node-llama-cpp ships as a git bundle: real tokenizer
// vocabularies (models/ggml-vocab-*.gguf) and real chat templates (models/templates/*.jinja).
import { execFileSync } from "node:child_process";
import { existsSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { modelCacheDir } from "./cache";

const BUNDLE_IN_PACKAGE = join("node_modules", "node-llama-cpp", "llama", "gitRelease.bundle");

/** The bundle inside the installed node-llama-cpp, found from here upwards (src or out/). */
export function llamaSourceBundle(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, BUNDLE_IN_PACKAGE);
    if (existsSync(candidate)) {
      return candidate;
    }
    if (dirname(dir) === dir) {
      throw new Error(`cannot find ${BUNDLE_IN_PACKAGE} above ${__dirname}`);
    }
  }
}

/** The commit the bundle holds; it identifies the vocabulary a model was built from. */
export function llamaSourceCommit(): string {
  const heads = execFileSync("git", ["bundle", "list-heads", llamaSourceBundle()], { encoding: "utf8" });
  return heads.trim().split(/\s+/)[0]!;
}

/** Contents of `path` in the bundle's HEAD, or undefined when that commit has no such file. */
export function readLlamaSourceFile(path: string): Buffer | undefined {
  const gitDir = clonedSource();
  try {
    return execFileSync("git", ["--git-dir", gitDir, "show", `HEAD:${path}`], {
      maxBuffer: 256 * 1024 * 1024,
      stdio: ["ignore", "pipe", "ignore"],
    });
  } catch {
    return undefined;
  }
}

let clonePath: string | undefined;

/** A bare clone of the bundle in the cache, made once (about 2 s) and reused by later runs. */
function clonedSource(): string {
  if (clonePath !== undefined) {
    return clonePath;
  }
  const target = join(modelCacheDir(), "sources", `llama.cpp-${llamaSourceCommit()}.git`);
  if (!existsSync(target)) {
    const temporary = `${target}.${process.pid}.partial`;
    rmSync(temporary, { recursive: true, force: true });
    execFileSync("git", ["clone", "--quiet", "--bare", resolve(llamaSourceBundle()), temporary], { stdio: "ignore" });
    try {
      renameSync(temporary, target);
    } catch (error) {
      // Another process finished the same clone first; theirs is as good as ours.
      rmSync(temporary, { recursive: true, force: true });
      if (!existsSync(target)) {
        throw error;
      }
    }
  }
  clonePath = target;
  return target;
}
