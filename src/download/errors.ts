// What a failed download says: one DownloadError kind per situation the user can act on, the
// low-level codes behind them, and URLs as they may appear in a message or the log (no credentials).
import * as path from "node:path";
import { formatBytes } from "../util/bytes";

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

export const OFFLINE_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: "the connection was refused",
  ENOTFOUND: "the server's name could not be resolved",
  EAI_AGAIN: "the server's name could not be looked up (this machine may be offline)",
  ENETUNREACH: "the network is unreachable",
  EHOSTUNREACH: "the server is unreachable",
  ENETDOWN: "the network is down",
};
/** Failures after which trying again (resuming) is worthwhile. */
export const TRANSIENT_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE", "PREMATURE_END", "HTTP_5XX", "STALLED"]);

export function codedError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === "string") return code;
  // A response cut off mid-body surfaces as "aborted" without a code on some Node versions.
  return error instanceof Error && /aborted|socket hang up/i.test(error.message) ? "ECONNRESET" : "";
}

export function describeError(error: unknown): string {
  const code = errorCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === "ECONNRESET") return "the connection was reset";
  return message || code || "unknown error";
}

export function resumeNote(kept: number): string {
  return kept > 0 ? `${formatBytes(kept, "progress")} are kept; running the download again resumes from there.` : "Run the download again to retry.";
}

export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "the download server";
  }
}

/**
 * A URL as it may be shown or logged: no user name or password (a mirror's credentials) and no
 * query values (signed-URL tokens).
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const hadCredentials = parsed.username !== "" || parsed.password !== "";
    parsed.username = "";
    parsed.password = "";
    for (const key of [...parsed.searchParams.keys()]) parsed.searchParams.set(key, "…");
    return hadCredentials ? parsed.href.replace("://", "://…@") : parsed.href;
  } catch {
    return "(an address that is not a valid URL)";
  }
}

/** A path or URL path with a `..` segment (before any normalisation), which downloads refuse. */
export function hasParentSegment(text: string): boolean {
  return text.split(/[\\/]/).some((segment) => segment === ".." || /^(\.|%2e){2}$/i.test(segment));
}

export function httpError(name: string, url: string, status: number, statusMessage: string | undefined): Error {
  if (status >= 500) return codedError("HTTP_5XX", `the server answered HTTP ${status}`);
  const detail = `HTTP ${status}${statusMessage ? ` ${statusMessage}` : ""}`;
  const host = safeHost(url);
  const what = status === 404 ? `${host} has no such file` : status === 401 || status === 403 ? `${host} refused access` : `${host} answered ${detail}`;
  return new DownloadError("http", `Cannot download ${name}: ${what} (${detail}, ${redactUrl(url)}).`);
}

export function fileError(name: string, destination: string, error: unknown, total: number | undefined, written: number): DownloadError {
  const code = errorCode(error);
  const folder = path.dirname(destination);
  if (code === "ENOSPC" || code === "EDQUOT") {
    const need = total !== undefined ? `${name} needs ${formatBytes(total, "progress")} in ${folder}, ${formatBytes(total - written, "progress")} more than is downloaded` : `${name} does not fit in ${folder}`;
    return new DownloadError("diskFull", `Not enough disk space: ${need}. Free some space and run the download again; it resumes where it stopped.`, written, { cause: error });
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new DownloadError("file", `Cannot write ${name} to ${folder}: ${describeError(error)}.`, written, { cause: error });
  }
  return new DownloadError("file", `Writing ${name} to ${folder} failed: ${describeError(error)}.`, written, { cause: error });
}
