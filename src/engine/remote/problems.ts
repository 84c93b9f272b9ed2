/**
 * What can go wrong between the editor and a team server, each as one sentence for the status bar
 * and the request's log line. Never carries the API key or request headers.
 */

export type RemoteProblemCode =
  | "networkOff"
  | "down"
  | "slow"
  | "tls"
  | "pin"
  | "unauthorized"
  | "forbidden"
  | "rateLimited"
  | "serverError"
  | "dropped"
  | "badResponse"
  | "modelChanged"
  | "modelNotAllowed"
  | "noModel";

export class RemoteProblem extends Error {
  constructor(
    readonly code: RemoteProblemCode,
    message: string,
    /** Technical detail for the log (an error code, the server's own words), never secrets. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = "RemoteProblem";
  }
}

/** The status bar's short words for each problem ("SLM: server down"). */
export function problemLabel(code: RemoteProblemCode): string {
  switch (code) {
    case "networkOff":
      return "network off";
    case "down":
      return "server down";
    case "slow":
      return "server slow";
    case "tls":
      return "certificate not trusted";
    case "pin":
      return "server key mismatch";
    case "unauthorized":
      return "API key refused";
    case "forbidden":
      return "access denied";
    case "rateLimited":
      return "server busy (429)";
    case "serverError":
      return "server error";
    case "dropped":
      return "connection dropped";
    case "badResponse":
      return "bad server answer";
    case "modelChanged":
      return "server model changed";
    case "modelNotAllowed":
      return "server model not allowed";
    case "noModel":
      return "no server model";
  }
}

const TLS_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE", "UNABLE_TO_GET_ISSUER_CERT", "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN", "DEPTH_ZERO_SELF_SIGNED_CERT", "CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID", "CERT_UNTRUSTED", "CERT_REJECTED", "CERT_SIGNATURE_FAILURE", "HOSTNAME_MISMATCH",
]);

/** A socket-level failure (no HTTP status) in the user's words. */
export function connectionProblem(error: unknown, server: string, timeoutMs: number): RemoteProblem {
  if (error instanceof RemoteProblem) return error;
  const code = (error as { code?: unknown } | undefined)?.code;
  const detail = typeof code === "string" ? code : error instanceof Error ? error.message : String(error);
  if (typeof code === "string" && TLS_CODES.has(code)) {
    return new RemoteProblem(
      "tls",
      `The certificate of ${server} is not trusted (${code}). If your organisation has its own CA, set slm.engine.caFile to its PEM bundle.`,
      detail,
    );
  }
  if (typeof code === "string" && /^ERR_SSL|^EPROTO$/.test(code)) {
    return new RemoteProblem("tls", `The TLS connection to ${server} failed (${code}). Is it an https server?`, detail);
  }
  switch (code) {
    case "ECONNREFUSED":
      return new RemoteProblem("down", `${server} refused the connection: the server is not running or not listening on that port.`, detail);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new RemoteProblem("down", `The host of ${server} was not found (DNS).`, detail);
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return new RemoteProblem("down", `${server} cannot be reached from this machine (${code}).`, detail);
    case "ETIMEDOUT":
      return new RemoteProblem("slow", `${server} did not answer within ${Math.round(timeoutMs / 1000)} s.`, detail);
    case "ECONNRESET":
    case "EPIPE":
      return new RemoteProblem("dropped", `${server} closed the connection before answering.`, detail);
    default:
      return new RemoteProblem("down", `Could not connect to ${server} (${detail}).`, detail);
  }
}

/** An HTTP error status in the user's words; `body` is the server's answer (its message is quoted, shortened). */
export function statusProblem(status: number, body: string, server: string, hadKey: boolean, retryAfter?: string): RemoteProblem {
  const said = serverMessage(body);
  const quote = said ? `: "${said}"` : "";
  if (status === 401) {
    return new RemoteProblem(
      "unauthorized",
      hadKey
        ? `${server} refused the API key (401 Unauthorized${quote}). Set the right key with "SLM: Set Server API Key…".`
        : `${server} wants an API key (401 Unauthorized). Set it with "SLM: Set Server API Key…".`,
      `HTTP 401${quote}`,
    );
  }
  if (status === 403) return new RemoteProblem("forbidden", `${server} denied access (403 Forbidden${quote}). Ask its administrator for access.`, `HTTP 403${quote}`);
  if (status === 429) {
    const wait = retryAfter && /^\d+$/.test(retryAfter) ? ` Try again in ${retryAfter} s.` : "";
    return new RemoteProblem("rateLimited", `${server} is busy and turned the request away (429 Too Many Requests).${wait}`, `HTTP 429${quote}`);
  }
  if (status >= 500) return new RemoteProblem("serverError", `${server} failed with ${status}${quote}.`, `HTTP ${status}${quote}`);
  return new RemoteProblem("badResponse", `${server} answered ${status}${quote}.`, `HTTP ${status}${quote}`);
}

/** The message inside an error body (llama-server, OpenAI and vLLM shapes), at most 160 characters. */
export function serverMessage(body: string): string {
  let said = body.trim();
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown; detail?: unknown };
    const inner = typeof parsed.error === "object" ? parsed.error.message : parsed.error ?? parsed.message ?? parsed.detail;
    if (typeof inner === "string") said = inner;
  } catch {
    // Not JSON: the text as it came.
  }
  said = said.replace(/\s+/g, " ");
  return said.length > 160 ? `${said.slice(0, 159)}…` : said;
}
