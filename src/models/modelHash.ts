import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import { fileLabel, ModelProblem } from "./problems";

/** Where computed hashes are kept between starts (the extension passes its globalState). */
export interface HashCacheStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

interface CachedHash {
  readonly size: number;
  readonly mtimeMs: number;
  readonly sha256: string;
}

const CACHE_KEY = "slm.modelHashes";
/** Entries kept: enough for every model a person switches between, small enough for globalState. */
const CACHE_LIMIT = 64;

export interface ModelHash {
  readonly sha256: string;
  /** Read from the cache: the file's size and modification time had not changed. */
  readonly cached: boolean;
}

/**
 * SHA-256 of a model file, cached by path + size + mtime so a multi-GB model is hashed once, not
 * on every start. A file replaced in place (new size or mtime) is hashed again.
 */
export async function modelSha256(file: string, store: HashCacheStore | undefined, signal?: AbortSignal): Promise<ModelHash> {
  const stat = await fs.stat(file);
  const cache = store?.get<Record<string, CachedHash>>(CACHE_KEY) ?? {};
  const hit = cache[file];
  if (hit?.size === stat.size && hit.mtimeMs === stat.mtimeMs) return { sha256: hit.sha256, cached: true };

  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024, signal })) hash.update(chunk as Buffer);
  const sha256 = hash.digest("hex");
  if (store) {
    const entries = Object.entries({ ...cache, [file]: { size: stat.size, mtimeMs: stat.mtimeMs, sha256 } });
    await store.update(CACHE_KEY, Object.fromEntries(entries.slice(-CACHE_LIMIT)));
  }
  return { sha256, cached: false };
}

/** Allowlist entries as written in settings: 64 hex digits, optionally "sha256:"-prefixed, any case. */
export function parseAllowedHashes(raw: readonly unknown[]): { hashes: ReadonlySet<string>; notices: string[] } {
  const hashes = new Set<string>();
  const notices: string[] = [];
  for (const entry of raw) {
    const text = typeof entry === "string" ? entry.trim().toLowerCase().replace(/^sha256:/, "") : "";
    if (/^[0-9a-f]{64}$/.test(text)) hashes.add(text);
    else notices.push(`slm.allowedModelHashes: ${JSON.stringify(entry)} is not a SHA-256 hash (64 hexadecimal digits); it is ignored.`);
  }
  return { hashes, notices };
}

/**
 * Refuses a model whose SHA-256 is not on the allowlist (an empty list allows every model).
 * The message names the file and its hash, so an administrator can add it if it is wanted.
 */
export async function checkModelAllowed(
  file: string,
  allowed: ReadonlySet<string>,
  store: HashCacheStore | undefined,
  signal?: AbortSignal,
): Promise<ModelHash | undefined> {
  if (allowed.size === 0) return undefined;
  const hash = await modelSha256(file, store, signal);
  if (!allowed.has(hash.sha256)) {
    throw new ModelProblem(
      "notAllowed",
      `The model file ${fileLabel(file)} is not on this machine's list of allowed models (slm.allowedModelHashes), so it was not loaded. Its SHA-256 is ${hash.sha256}; ask whoever manages this setting to add it, or choose an allowed model.`,
    );
  }
  return hash;
}
