// The HTTP side of a download: GET with redirects (Hugging Face sends downloads to a CDN), the
// checksum the server states, its Content-Range, and a watchdog for trickling connections.
import http from "node:http";
import https from "node:https";
import { codedError, DownloadError, resumeNote } from "./errors";

/** What the HTTP side needs to know of a download (the downloader's context). */
export interface Connection {
  readonly request: {
    readonly sha256?: string;
    readonly maxRedirects?: number;
    readonly idleTimeoutMs?: number;
    readonly stallTimeoutMs?: number;
    readonly stallBytes?: number;
    readonly deadlineMs?: number;
  };
  readonly name: string;
  readonly signal: AbortSignal | undefined;
  readonly log: (message: string) => void;
  readonly deadlineAt: number;
  serverSha256?: string;
}

export const DEFAULT_DEADLINE_MS = 12 * 3_600_000;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** GET `url` (following redirects), asking for the bytes from `from` on when it is not 0. */
export async function open(ctx: Connection, url: string, from: number): Promise<http.IncomingMessage> {
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

function get(ctx: Connection, url: URL, from: number): Promise<http.IncomingMessage> {
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
function noteServerChecksum(ctx: Connection, headers: http.IncomingHttpHeaders): void {
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

export function parseContentRange(value: string | undefined): { start: number; end: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(value?.trim() ?? "");
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === "*" ? undefined : Number(match[3]) };
}

/**
 * Ends a response that has slowed to a trickle (fewer than stallBytes per stallTimeoutMs: a
 * dropped connection, retried) or that runs past the download's deadline (not retried).
 */
export function watchStalls(ctx: Connection, response: http.IncomingMessage, received: () => number): NodeJS.Timeout {
  const window = ctx.request.stallTimeoutMs ?? 60_000;
  const minimum = ctx.request.stallBytes ?? 64 * 1024;
  let mark = { at: Date.now(), bytes: received() };
  return setInterval(() => {
    const now = Date.now();
    if (now >= ctx.deadlineAt) {
      response.destroy(new DownloadError("interrupted", `The download of ${ctx.name} did not finish in the time allowed (${formatDuration(ctx.request.deadlineMs ?? DEFAULT_DEADLINE_MS)}). ${resumeNote(received())}`, received()));
      return;
    }
    if (now - mark.at < window) return;
    if (received() - mark.bytes < minimum) {
      response.destroy(codedError("STALLED", `the server sent only ${received() - mark.bytes} bytes in ${formatDuration(window)}`));
      return;
    }
    mark = { at: now, bytes: received() };
  }, Math.min(1000, Math.max(50, window / 4))).unref();
}

function formatDuration(ms: number): string {
  return ms >= 3_600_000 ? `${+(ms / 3_600_000).toFixed(1)} h` : ms >= 60_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 1000).toFixed(1)} s`;
}

export function pathOf(url: string): string {
  return url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, "").replace(/[?#].*$/, "");
}
