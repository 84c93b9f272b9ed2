import * as fs from "node:fs/promises";
import { identityOf } from "./fileIdentity";
import { hashFile, type HashOptions } from "./fileHash";
import { fileLabel, ModelProblem } from "./problems";

/** Where computed hashes are kept between starts (the extension passes its globalState). */
export interface HashCacheStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

/**
 * Keyed by file identity (device, inode, size, mtime, ctime: see fileIdentity.ts), not by path:
 * a new key, so hashes cached by path and mtime alone by earlier versions are never trusted.
 */
const CACHE_KEY = "slm.modelHashes.byIdentity";
/** Entries kept: enough for every model a person switches between, small enough for globalState. */
const CACHE_LIMIT = 64;

export interface ModelHash {
  readonly sha256: string;
  /** The identity of the file the hash belongs to (what a later check compares against). */
  readonly identity: string;
  /** Read from the cache: the file's identity had not changed. */
  readonly cached: boolean;
}

export type ModelHashOptions = Omit<HashOptions, "signal">;

/**
 * SHA-256 of a model file, cached by file identity so a multi-GB model is hashed once, not on
 * every start. Hashing runs on a worker thread (fileHash.ts) and refuses anything but a regular file.
 */
export async function modelSha256(file: string, store: HashCacheStore | undefined, signal?: AbortSignal, options: ModelHashOptions = {}): Promise<ModelHash> {
  const stats = await fs.stat(file, { bigint: true });
  const cache = store?.get<Record<string, string>>(CACHE_KEY) ?? {};
  const hit = cache[identityOf(stats)];
  if (stats.isFile() && hit) return { sha256: hit, identity: identityOf(stats), cached: true };

  const { sha256, identity } = await hashFile(file, { ...options, signal });
  if (store) {
    const entries = Object.entries({ ...cache, [identity]: sha256 });
    await store.update(CACHE_KEY, Object.fromEntries(entries.slice(-CACHE_LIMIT)));
  }
  return { sha256, identity, cached: false };
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
 * Refuses a model unless every file that loads (the model, each part of a split model, each LoRA
 * adapter) has a SHA-256 on the allowlist; an empty list allows every model. The message names
 * the refused file and its hash, so an administrator can add it if it is wanted. Returns each
 * file's hash with its identity, for the check after llama.cpp opened the files.
 */
export async function checkModelAllowed(
  files: string | readonly string[],
  allowed: ReadonlySet<string>,
  store: HashCacheStore | undefined,
  signal?: AbortSignal,
  options: ModelHashOptions = {},
): Promise<ModelHash[] | undefined> {
  if (allowed.size === 0) return undefined;
  const hashes: ModelHash[] = [];
  for (const file of typeof files === "string" ? [files] : files) {
    const hash = await modelSha256(file, store, signal, options);
    if (!allowed.has(hash.sha256)) {
      throw new ModelProblem(
        "notAllowed",
        `The file ${fileLabel(file)} is not on this machine's list of allowed models (slm.allowedModelHashes), so the model was not loaded. Its SHA-256 is ${hash.sha256}; ask whoever manages this setting to add it, or choose an allowed model.`,
      );
    }
    hashes.push(hash);
  }
  return hashes;
}
