// Downloads one file over HTTP(S) into `<destination>.partial` and renames it to the destination only
// once its size and SHA-256 are verified, so a destination path never holds a half-written or wrong
// file. Resumes an existing partial with a Range request, retries a dropped connection a few times,
// follows redirects (Hugging Face sends downloads to a CDN). No `vscode` import: plain mocha runs it.
import { createHash, type Hash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { formatBytes } from "../util/bytes";
import { sleep } from "../util/sleep";
import {
  codedError, describeError, DownloadError, errorCode, fileError, hasParentSegment, httpError, OFFLINE_CODES, resumeNote, safeHost, TRANSIENT_CODES,
} from "./errors";
import { DEFAULT_DEADLINE_MS, open, parseContentRange, pathOf, watchStalls } from "./http";
import { hashPartial, openPartial, partialPathFor, partialSize } from "./partialFile";

export interface DownloadRequest {
  readonly url: string;
  /** Absolute path of the finished file. The partial download lies next to it. */
  readonly destination: string;
  /** The user's consent to use the network (slm.allowNetwork). Checked before anything else. */
  readonly allowNetwork: boolean;
  /**
   * Expected SHA-256 (hex). Without it, the SHA-256 the server states for the file (Hugging Face's
   * `X-Linked-Etag`) is required and used; a download with neither is refused, never kept unverified.
   */
  readonly sha256?: string;
  /** Expected size in bytes, when known. */
  readonly size?: number;
  /** Shown in messages; default: the destination's file name. */
  readonly displayName?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (received: number, total: number | undefined, bytesPerSecond: number) => void;
  /** One line per step worth logging (redirect, resume, retry, verification). */
  readonly log?: (message: string) => void;
  /** Automatic retries after a dropped connection, each resuming; default 3. */
  readonly retries?: number;
  /** Wait before the n-th retry: n × this; default 1000 ms. */
  readonly retryDelayMs?: number;
  /** A connection silent for this long counts as dropped; default 30 s. */
  readonly idleTimeoutMs?: number;
  /**
   * A connection that delivers fewer than `stallBytes` (default 64 KiB) in this long counts as
   * dropped, so a server trickling a byte at a time cannot hold the download; default 60 s.
   */
  readonly stallTimeoutMs?: number;
  readonly stallBytes?: number;
  /** The whole download, retries included, ends after this long; default 12 hours. */
  readonly deadlineMs?: number;
  /** The most bytes accepted when the size is not known; default 512 GiB. */
  readonly maxBytes?: number;
  /** Default 5. */
  readonly maxRedirects?: number;
}

export interface DownloadResult {
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** Where the checksum that the file matched came from. */
  readonly checksumSource: "expected" | "server";
  /** Bytes already on disk from an earlier, interrupted download. */
  readonly resumedFrom: number;
  /** Automatic retries this download needed. */
  readonly retries: number;
}

export { DownloadError, type DownloadErrorKind } from "./errors";
export { partialPathFor } from "./partialFile";



interface Context {
  readonly request: DownloadRequest;
  readonly name: string;
  readonly partial: string;
  readonly signal: AbortSignal | undefined;
  readonly log: (message: string) => void;
  readonly meter: RateMeter;
  /** The running hash of the partial file's first `bytes` bytes. */
  hashed?: { hash: Hash; bytes: number };
  serverSha256?: string;
  resumedFrom?: number;
  readonly deadlineAt: number;
}

export async function download(request: DownloadRequest): Promise<DownloadResult> {
  const name = request.displayName ?? path.basename(request.destination);
  if (!request.allowNetwork) {
    throw new DownloadError(
      "networkDisabled",
      `Not downloading ${name}: network use is off (slm.allowNetwork). Turn it on to download, or copy a model file to this machine and choose it with SLM: Select Model…`,
    );
  }
  if (hasParentSegment(request.destination) || hasParentSegment(pathOf(request.url))) {
    throw new DownloadError("file", `Not downloading ${name}: its address or destination contains a ".." segment, which could reach outside the folder meant for it.`);
  }
  const ctx: Context = {
    request,
    name,
    partial: partialPathFor(request.destination),
    signal: request.signal,
    log: request.log ?? (() => undefined),
    meter: new RateMeter(),
    deadlineAt: Date.now() + (request.deadlineMs ?? DEFAULT_DEADLINE_MS),
  };
  const retries = request.retries ?? 3;
  let failures = 0;
  let totalRetries = 0;
  try {
    throwIfCancelled(ctx);
    await fs.mkdir(path.dirname(request.destination), { recursive: true });
    for (;;) {
      const before = await partialSize(ctx.partial, name);
      try {
        return { ...(await attempt(ctx)), retries: totalRetries };
      } catch (error) {
        throwIfCancelled(ctx);
        const code = errorCode(error);
        if (error instanceof DownloadError || !TRANSIENT_CODES.has(code)) throw await classify(ctx, error);
        // A connection that delivered something before dropping starts a fresh count.
        const kept = await partialSize(ctx.partial, name).catch(() => 0);
        if (kept > before) failures = 0;
        failures++;
        if (failures > retries || Date.now() >= ctx.deadlineAt) {
          throw new DownloadError(
            "interrupted",
            `The download of ${name} was interrupted ${failures} times (${describeError(error)}). ${resumeNote(kept)}`,
            kept,
            { cause: error },
          );
        }
        totalRetries++;
        ctx.log(`Connection lost after ${formatBytes(kept, "progress")} (${describeError(error)}); retry ${failures} of ${retries} resumes from there.`);
        if (!(await sleep((request.retryDelayMs ?? 1000) * failures, ctx.signal))) throw new DownloadError("cancelled", "Download cancelled.");
      }
    }
  } catch (error) {
    if (ctx.signal?.aborted) {
      await fs.rm(ctx.partial, { force: true });
      ctx.log(`Download of ${name} cancelled; the partial file was deleted.`);
      throw new DownloadError("cancelled", `Download of ${name} cancelled.`, 0, { cause: error });
    }
    throw error;
  }
}

/** One connection: resume or restart the partial, stream the body into it, verify and rename. */
async function attempt(ctx: Context): Promise<Omit<DownloadResult, "retries">> {
  const { request } = ctx;
  let existing = await partialSize(ctx.partial, ctx.name);
  if (request.size !== undefined && existing > request.size) {
    ctx.log(`The partial file is larger than ${ctx.name} should be; starting over.`);
    existing = 0;
  }
  if (request.size !== undefined && existing === request.size && existing > 0) {
    ctx.log(`The partial file already has all ${formatBytes(existing, "progress")}; verifying it.`);
    ctx.resumedFrom ??= existing;
    return finish(ctx, await hashPrefix(ctx, existing), existing);
  }
  // Hashed before the request: hashing gigabytes while a response waits would trip its idle timeout.
  const hash = existing > 0 ? await hashPrefix(ctx, existing) : createHash("sha256");
  const response = await open(ctx, request.url, existing);
  let offset = 0;
  let total: number | undefined;
  if (response.statusCode === 206 && existing > 0) {
    const range = parseContentRange(response.headers["content-range"]);
    if (range?.start === existing) {
      offset = existing;
      total = range.total;
      ctx.log(`Resuming ${ctx.name} at ${formatBytes(existing, "progress")}.`);
    } else {
      response.destroy();
      ctx.log(`The server resumed at a different place (${response.headers["content-range"] ?? "no Content-Range"}); starting over.`);
      await fs.rm(ctx.partial, { force: true }).catch(() => undefined);
      ctx.hashed = undefined;
      throw codedError("PREMATURE_END", "the server resumed at a different place");
    }
  } else if (response.statusCode === 200) {
    if (existing > 0) ctx.log(`The server does not resume downloads; starting ${ctx.name} over.`);
    const length = Number(response.headers["content-length"]);
    total = Number.isFinite(length) && response.headers["content-length"] !== undefined ? length : undefined;
  } else {
    response.resume();
    throw httpError(ctx.name, request.url, response.statusCode ?? 0, response.statusMessage);
  }
  total ??= request.size;
  ctx.resumedFrom ??= offset;
  if (request.size !== undefined && total !== undefined && total !== request.size) {
    response.destroy();
    await fs.rm(ctx.partial, { force: true });
    throw new DownloadError(
      "checksum",
      `The server offers a ${formatBytes(total, "progress")} file for ${ctx.name}, not the expected ${formatBytes(request.size, "progress")}: it is not the file this model should be. Nothing was kept.`,
    );
  }
  if (total !== undefined) await checkFreeSpace(ctx, total, total - offset, offset);
  // Never more than the catalog's size (or, unknown, than the cap), whatever the server sends.
  const limit = request.size ?? total ?? request.maxBytes ?? 512 * 1024 ** 3;

  const running = offset > 0 ? hash : createHash("sha256");
  ctx.hashed = { hash: running, bytes: offset };
  // Truncate (not delete) when starting over: whatever the partial path is stays that file.
  const file = await openPartial(ctx.partial, offset > 0).catch((error: unknown) => {
    throw fileError(ctx.name, request.destination, error, total, offset);
  });
  let received = offset;
  const watchdog = watchStalls(ctx, response, () => received);
  try {
    request.onProgress?.(received, total, 0);
    for await (const chunk of response as AsyncIterable<Buffer>) {
      if (received + chunk.length > limit) {
        response.destroy();
        await file.close().catch(() => undefined);
        await fs.rm(ctx.partial, { force: true });
        throw new DownloadError("checksum", `The server sent more than the ${formatBytes(limit, "progress")} ${ctx.name} should have: it is not the file this model should be. The download was stopped and nothing was kept.`);
      }
      try {
        await file.write(chunk);
      } catch (error) {
        response.destroy();
        throw fileError(ctx.name, request.destination, error, total, received);
      }
      running.update(chunk);
      received += chunk.length;
      ctx.hashed.bytes = received;
      ctx.meter.add(chunk.length);
      request.onProgress?.(received, total, ctx.meter.rate());
    }
  } finally {
    clearInterval(watchdog);
    await file.close().catch(() => undefined);
  }
  if (total !== undefined && received < total) throw codedError("PREMATURE_END", `the connection closed at ${formatBytes(received, "progress")} of ${formatBytes(total, "progress")}`);
  return finish(ctx, running, received);
}

async function finish(ctx: Context, hash: Hash, size: number): Promise<Omit<DownloadResult, "retries">> {
  const { request } = ctx;
  const expected = request.sha256?.toLowerCase() ?? ctx.serverSha256;
  const checksumSource = request.sha256 ? "expected" : "server";
  ctx.hashed = undefined;
  if (!expected) {
    await fs.rm(ctx.partial, { force: true });
    throw new DownloadError(
      "noChecksum",
      `Not keeping ${ctx.name}: no SHA-256 is known for it and the server did not state one, so the file cannot be verified. It was deleted.`,
    );
  }
  const actual = hash.digest("hex");
  if (request.size !== undefined && size !== request.size) {
    await fs.rm(ctx.partial, { force: true });
    throw new DownloadError("checksum", `The download of ${ctx.name} has ${formatBytes(size, "progress")} instead of ${formatBytes(request.size, "progress")}. It was deleted; try again.`);
  }
  if (actual !== expected) {
    await fs.rm(ctx.partial, { force: true });
    throw new DownloadError(
      "checksum",
      `The download of ${ctx.name} is damaged or not the expected file: its SHA-256 is ${actual}, expected ${expected} (${checksumSource === "expected" ? "from the catalog" : "as stated by the server"}). It was deleted; nothing was installed.`,
    );
  }
  await fs.rename(ctx.partial, request.destination);
  ctx.log(`Verified ${ctx.name} (${formatBytes(size, "progress")}, SHA-256 ${actual}, checksum ${checksumSource === "expected" ? "from the catalog" : "stated by the server"}); saved as ${request.destination}.`);
  return { path: request.destination, sha256: actual, size, checksumSource, resumedFrom: ctx.resumedFrom ?? 0 };
}

/** The running hash of the partial file's first `bytes` bytes, from memory when still current. */
async function hashPrefix(ctx: Context, bytes: number): Promise<Hash> {
  if (ctx.hashed?.bytes === bytes) return ctx.hashed.hash;
  ctx.log(`Hashing the ${formatBytes(bytes, "progress")} already downloaded.`);
  return hashPartial(ctx.partial, bytes, ctx.signal);
}

/** Turns a low-level error into a DownloadError with words for the user. */
async function classify(ctx: Context, error: unknown): Promise<DownloadError> {
  if (error instanceof DownloadError) return error;
  const code = errorCode(error);
  const kept = await partialSize(ctx.partial, ctx.name).catch(() => 0);
  const reason = OFFLINE_CODES[code];
  if (reason) {
    return new DownloadError(
      "offline",
      `Cannot reach ${safeHost(ctx.request.url)}: ${reason}. Check that this machine is online (or that the download mirror is reachable) and try again.${kept > 0 ? ` ${resumeNote(kept)}` : ""}`,
      kept,
      { cause: error },
    );
  }
  return new DownloadError("file", `The download of ${ctx.name} failed: ${describeError(error)}.`, kept, { cause: error });
}

/** Refuses up front when the volume plainly cannot hold what is left to download. */
async function checkFreeSpace(ctx: Context, total: number, remaining: number, written: number): Promise<void> {
  const folder = path.dirname(ctx.request.destination);
  let free: number;
  try {
    const stats = await fs.statfs(folder);
    free = Number(stats.bavail) * Number(stats.bsize);
  } catch {
    return; // Not every platform or file system answers; the writes will tell.
  }
  if (free >= remaining) return;
  throw new DownloadError(
    "diskFull",
    `Not enough disk space: ${ctx.name} needs ${formatBytes(total, "progress")} in ${folder} (${formatBytes(remaining, "progress")} still to download) and only ${formatBytes(free, "progress")} are free. Free some space and run the download again.`,
    written,
  );
}

/** Bytes per second over the last few seconds. */
class RateMeter {
  private readonly samples: { at: number; bytes: number }[] = [];
  private bytes = 0;

  add(count: number): void {
    this.bytes += count;
    const at = Date.now();
    this.samples.push({ at, bytes: this.bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > 3000) this.samples.shift();
  }

  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

function throwIfCancelled(ctx: Context): void {
  if (ctx.signal?.aborted) throw new DownloadError("cancelled", `Download of ${ctx.name} cancelled.`);
}

