// Downloads one file over HTTP(S) into `<destination>.partial` and renames it to the destination only
// once its size and SHA-256 are verified, so a destination path never holds a half-written or wrong
// file. Resumes an existing partial with a Range request, retries a dropped connection a few times,
// follows redirects (Hugging Face sends downloads to a CDN). No `vscode` import: plain mocha runs it.
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import * as fs from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import * as path from "node:path";
import { formatBytes } from "../util/bytes";

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

export type DownloadErrorKind =
  | "networkDisabled"
  | "offline"
  | "http"
  | "diskFull"
  | "checksum"
  | "noChecksum"
  | "interrupted"
  | "cancelled"
  | "file";

/** A failed download, with a message written for the user. */
export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadErrorKind,
    message: string,
    /** Bytes kept in the partial file, from which the next attempt resumes (0: nothing kept). */
    readonly partialBytes = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    // Callers that treat any AbortError as a cancellation recognise this one too.
    this.name = kind === "cancelled" ? "AbortError" : "DownloadError";
  }
}

export function partialPathFor(destination: string): string {
  return `${destination}.partial`;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const OFFLINE_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "the connection was refused",
  ENOTFOUND: "the server's name could not be resolved",
  EAI_AGAIN: "the server's name could not be looked up (this machine may be offline)",
  ENETUNREACH: "the network is unreachable",
  EHOSTUNREACH: "the server is unreachable",
  ENETDOWN: "the network is down",
};
/** Failures after which trying again (resuming) is worthwhile. */
const TRANSIENT_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "PREMATURE_END", "HTTP_5XX"]);

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
}

export async function download(request: DownloadRequest): Promise<DownloadResult> {
  const name = request.displayName ?? path.basename(request.destination);
  if (!request.allowNetwork) {
    throw new DownloadError(
      "networkDisabled",
      `Not downloading ${name}: network use is off (slm.allowNetwork). Turn it on to download, or copy a model file to this machine and choose it with SLM: Select Model…`,
    );
  }
  const ctx: Context = {
    request,
    name,
    partial: partialPathFor(request.destination),
    signal: request.signal,
    log: request.log ?? (() => undefined),
    meter: new RateMeter(),
  };
  const retries = request.retries ?? 3;
  let failures = 0;
  let totalRetries = 0;
  try {
    throwIfCancelled(ctx);
    await fs.mkdir(path.dirname(request.destination), { recursive: true });
    for (;;) {
      const before = await fileSize(ctx.partial);
      try {
        return { ...(await attempt(ctx)), retries: totalRetries };
      } catch (error) {
        throwIfCancelled(ctx);
        const code = errorCode(error);
        if (error instanceof DownloadError || !TRANSIENT_CODES.has(code)) throw await classify(ctx, error);
        // A connection that delivered something before dropping starts a fresh count.
        if ((await fileSize(ctx.partial)) > before) failures = 0;
        failures++;
        const kept = await fileSize(ctx.partial);
        if (failures > retries) {
          throw new DownloadError(
            "interrupted",
            `The download of ${name} was interrupted ${failures} times (${describeError(error)}). ${resumeNote(kept)}`,
            kept,
            { cause: error },
          );
        }
        totalRetries++;
        ctx.log(`Connection lost after ${formatBytes(kept, "progress")} (${describeError(error)}); retry ${failures} of ${retries} resumes from there.`);
        await sleep((request.retryDelayMs ?? 1000) * failures, ctx.signal);
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
  let existing = await fileSize(ctx.partial);
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
    throw httpError(ctx, response.statusCode ?? 0, response.statusMessage);
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

  const running = offset > 0 ? hash : createHash("sha256");
  ctx.hashed = { hash: running, bytes: offset };
  // Truncate (not delete) when starting over: whatever the partial path is stays that file.
  const file = await fs.open(ctx.partial, offset > 0 ? "a" : "w").catch((error: unknown) => {
    throw fileError(ctx, error, total, offset);
  });
  let received = offset;
  try {
    request.onProgress?.(received, total, 0);
    for await (const chunk of response as AsyncIterable<Buffer>) {
      try {
        await file.write(chunk);
      } catch (error) {
        response.destroy();
        throw fileError(ctx, error, total, received);
      }
      running.update(chunk);
      received += chunk.length;
      ctx.hashed.bytes = received;
      ctx.meter.add(chunk.length);
      request.onProgress?.(received, total, ctx.meter.rate());
    }
  } finally {
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
  const hash = createHash("sha256");
  const stream = createReadStream(ctx.partial, { start: 0, end: bytes - 1, signal: ctx.signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) hash.update(chunk);
  return hash;
}

/** GET `url` (following redirects), asking for the bytes from `from` on when it is not 0. */
async function open(ctx: Context, url: string, from: number): Promise<http.IncomingMessage> {
  const maxRedirects = ctx.request.maxRedirects ?? 5;
  let current = new URL(url);
  for (let hop = 0; ; hop++) {
    const response = await get(ctx, current, from);
    noteServerChecksum(ctx, response.headers);
    const location = response.headers.location;
    if (!REDIRECTS.has(response.statusCode ?? 0) || !location) return response;
    response.resume();
    if (hop >= maxRedirects) {
      throw new DownloadError("http", `Too many redirects while downloading ${ctx.name} (more than ${maxRedirects}, last to ${location}).`);
    }
    const next = new URL(location, current);
    if (next.protocol !== "http:" && next.protocol !== "https:") {
      throw new DownloadError("http", `The server redirected the download of ${ctx.name} to an unsupported address: ${next.href}`);
    }
    if (current.protocol === "https:" && next.protocol === "http:") {
      throw new DownloadError("http", `The server redirected the download of ${ctx.name} from HTTPS to plain HTTP (${next.host}); refused.`);
    }
    ctx.log(`Redirected to ${next.host}${next.pathname}.`);
    current = next;
  }
}

function get(ctx: Context, url: URL, from: number): Promise<http.IncomingMessage> {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Promise.reject(new DownloadError("http", `Cannot download ${ctx.name} from ${url.href}: only http and https addresses are supported.`));
  }
  const client = url.protocol === "https:" ? https : http;
  const headers: http.OutgoingHttpHeaders = { "user-agent": "slm-assistant", accept: "*/*" };
  if (from > 0) headers.range = `bytes=${from}-`;
  return new Promise((resolve, reject) => {
    const request = client.get(url, { headers, signal: ctx.signal }, resolve);
    const timeoutMs = ctx.request.idleTimeoutMs ?? 30_000;
    request.setTimeout(timeoutMs, () => request.destroy(codedError("ETIMEDOUT", `no data for ${Math.round(timeoutMs / 1000)} s`)));
    request.on("error", reject);
  });
}

/** Hugging Face states an LFS file's SHA-256 as `X-Linked-Etag` on the resolve URL's redirect. */
function noteServerChecksum(ctx: Context, headers: http.IncomingHttpHeaders): void {
  const raw = headers["x-linked-etag"];
  const value = (Array.isArray(raw) ? raw[0] : raw)?.replace(/^W\//, "").replace(/"/g, "").toLowerCase();
  if (!value || !/^[0-9a-f]{64}$/.test(value)) return;
  ctx.serverSha256 = value;
  const expected = ctx.request.sha256?.toLowerCase();
  if (expected && expected !== value) {
    throw new DownloadError(
      "checksum",
      `The server offers a different file for ${ctx.name} than expected (its SHA-256 is ${value}, expected ${expected}). Nothing was downloaded.`,
    );
  }
}

function httpError(ctx: Context, status: number, statusMessage: string | undefined): Error {
  if (status >= 500) return codedError("HTTP_5XX", `the server answered HTTP ${status}`);
  const detail = `HTTP ${status}${statusMessage ? ` ${statusMessage}` : ""}`;
  const host = safeHost(ctx.request.url);
  const what =
    status === 404 ? `${host} has no such file` : status === 401 || status === 403 ? `${host} refused access` : `${host} answered ${detail}`;
  return new DownloadError("http", `Cannot download ${ctx.name}: ${what} (${detail}, ${ctx.request.url}).`);
}

/** Turns a low-level error into a DownloadError with words for the user. */
async function classify(ctx: Context, error: unknown): Promise<DownloadError> {
  if (error instanceof DownloadError) return error;
  const code = errorCode(error);
  const kept = await fileSize(ctx.partial);
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

function fileError(ctx: Context, error: unknown, total: number | undefined, written: number): DownloadError {
  const code = errorCode(error);
  const folder = path.dirname(ctx.request.destination);
  if (code === "ENOSPC" || code === "EDQUOT") {
    const need = total !== undefined ? `${ctx.name} needs ${formatBytes(total, "progress")} in ${folder}, ${formatBytes(total - written, "progress")} more than is downloaded` : `${ctx.name} does not fit in ${folder}`;
    return new DownloadError("diskFull", `Not enough disk space: ${need}. Free some space and run the download again; it resumes where it stopped.`, written, { cause: error });
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new DownloadError("file", `Cannot write ${ctx.name} to ${folder}: ${describeError(error)}.`, written, { cause: error });
  }
  return new DownloadError("file", `Writing ${ctx.name} to ${folder} failed: ${describeError(error)}.`, written, { cause: error });
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

function parseContentRange(value: string | undefined): { start: number; end: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? "");
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === "*" ? undefined : Number(match[3]) };
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

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", aborted);
      resolve();
    }
    function aborted(): void {
      clearTimeout(timer);
      reject(new DownloadError("cancelled", "Download cancelled."));
    }
    signal?.addEventListener("abort", aborted, { once: true });
  });
}

async function fileSize(file: string): Promise<number> {
  try {
    const stats = await fs.stat(file);
    return stats.isFile() ? stats.size : 0;
  } catch {
    return 0;
  }
}

function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return code;
  // A response cut off mid-body surfaces as "aborted" without a code on some Node versions.
  return error instanceof Error && /aborted|socket hang up/i.test(error.message) ? "ECONNRESET" : "";
}

function describeError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ECONNRESET") return "the connection was reset";
  return message || code || "unknown error";
}

function resumeNote(kept: number): string {
  return kept > 0 ? `${formatBytes(kept, "progress")} are kept; running the download again resumes from there.` : "Run the download again to retry.";
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

