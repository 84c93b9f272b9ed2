// The on-disk cache of generated models: outside the repository, keyed by what produced each file.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

/**
 * Bump when a change to the generator changes the files it writes, so stale cached models
 * are not reused (old ones stay on disk; delete the cache folder to reclaim them).
 */
export const GENERATOR_VERSION = 1;

export function modelCacheDir(): string {
  return process.env.SLM_MODEL_CACHE || join(homedir(), ".cache", "slm-assistant", "models");
}

/** A short stable hash of the parameters that determine a file's content. */
export function cacheKey(params: unknown): string {
  return createHash("sha256")
    .update(JSON.stringify({ generator: GENERATOR_VERSION, params }))
    .digest("hex")
    .slice(0, 16);
}

const inFlight = new Map<string, Promise<string>>();

/**
 * Returns `path`, building it first if it is not there. The file is written under a temporary
 * name and renamed when complete, so a crashed or concurrent run never leaves a half file under
 * the real name; concurrent calls in one process share one build.
 */
export function cachedFile(path: string, build: (temporaryPath: string) => Promise<void>): Promise<string> {
  if (existsSync(path)) {
    return Promise.resolve(path);
  }
  let pending = inFlight.get(path);
  if (pending === undefined) {
    pending = buildAtomically(path, build).finally(() => inFlight.delete(path));
    inFlight.set(path, pending);
  }
  return pending;
}

async function buildAtomically(path: string, build: (temporaryPath: string) => Promise<void>): Promise<string> {
  mkdirSync(dirname(path), { recursive: true });
  const temporaryPath = `${path}.${process.pid}-${randomBytes(4).toString("hex")}.partial`;
  try {
    await build(temporaryPath);
    renameSync(temporaryPath, path);
  } finally {
    rmSync(temporaryPath, { force: true });
  }
  return path;
}
