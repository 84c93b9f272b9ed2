/**
 * Which feature asks a team server, which server, and how it is trusted: validated from the
 * settings as typed (pure, no vscode). Bad values become a sentence for the user and the feature
 * stays on this machine, never a silent guess.
 */
import type { Lane } from "../types";

export type ServerKind = "llama-server" | "openai";
export const SERVER_KINDS: readonly ServerKind[] = ["llama-server", "openai"];
export type Fallback = "local" | "none";

/** The `slm.engine.*` server settings as typed (application scope: a workspace cannot set them). */
export interface RawRemoteSettings {
  /** slm.engine.server: the server for every feature; empty = this machine. */
  readonly server?: unknown;
  /** slm.engine.serverKind. */
  readonly serverKind?: unknown;
  /** slm.engine.completionServer / chatServer: "" = slm.engine.server, "local", or a URL. */
  readonly completionServer?: unknown;
  readonly chatServer?: unknown;
  /** slm.engine.serverModel: the model name OpenAI-compatible servers are asked for ("" = the first they list). */
  readonly serverModel?: unknown;
  /** slm.engine.caFile: a PEM bundle of the CAs to trust (besides the system's). */
  readonly caFile?: unknown;
  /** slm.engine.pinnedPublicKeys: SHA-256 of the server's public key (SPKI), base64 or hex. */
  readonly pinnedPublicKeys?: unknown;
  /** slm.engine.fallback. */
  readonly fallback?: unknown;
  /** slm.allowNetwork: the one switch; off = no socket at all. */
  readonly allowNetwork?: unknown;
}

export interface RemoteEndpoint {
  /** The server's base URL as typed, without a trailing slash and without credentials. */
  readonly url: string;
  /** Scheme, host and port: what an API key is stored under. */
  readonly origin: string;
  readonly kind: ServerKind;
  /** For OpenAI-compatible servers: the model to ask for; undefined = the first the server lists. */
  readonly model?: string;
}

export interface RemoteSettings {
  /** Features that go to a server (present even with the network off: the status says so). */
  readonly lanes: Readonly<Partial<Record<Lane, RemoteEndpoint>>>;
  readonly fallback: Fallback;
  /** Absolute path (`~` expanded) of a PEM CA bundle. */
  readonly caFile?: string;
  /** Base64 SHA-256 digests of the accepted public keys; empty = no pinning. */
  readonly pins: readonly string[];
  readonly allowNetwork: boolean;
  /** What was wrong as typed, in the user's words. */
  readonly notices: readonly string[];
}

export const NO_REMOTE: RemoteSettings = { lanes: {}, fallback: "none", pins: [], allowNetwork: false, notices: [] };

export function resolveRemoteSettings(raw: RawRemoteSettings | undefined, home: string): RemoteSettings {
  if (!raw) return NO_REMOTE;
  const notices: string[] = [];
  const kindText = text(raw.serverKind) || "llama-server";
  const kind = SERVER_KINDS.includes(kindText as ServerKind) ? (kindText as ServerKind) : undefined;
  if (!kind) notices.push(`slm.engine.serverKind "${kindText}" is not one of ${SERVER_KINDS.join(", ")}; using llama-server.`);
  const model = text(raw.serverModel) || undefined;
  const common = text(raw.server);
  const lanes: Partial<Record<Lane, RemoteEndpoint>> = {};
  for (const [lane, own, setting] of [
    ["completion", raw.completionServer, "slm.engine.completionServer"],
    ["chat", raw.chatServer, "slm.engine.chatServer"],
  ] as const) {
    const typed = text(own);
    const chosen = typed === "" ? common : typed;
    if (chosen === "" || chosen.toLowerCase() === "local") continue;
    const endpoint = parseEndpoint(chosen, kind ?? "llama-server", model, typed === "" ? "slm.engine.server" : setting);
    if (typeof endpoint === "string") notices.push(endpoint);
    else lanes[lane] = endpoint;
  }

  const fallbackText = text(raw.fallback) || "none";
  const fallback: Fallback = fallbackText === "local" ? "local" : "none";
  if (fallbackText !== "local" && fallbackText !== "none") notices.push(`slm.engine.fallback "${fallbackText}" is not local or none; using none.`);

  const caText = text(raw.caFile);
  const caFile = caText === "" ? undefined : caText.replace(/^~(?=$|[\\/])/, home);
  if (caFile !== undefined && !/^([a-zA-Z]:)?[\\/]/.test(caFile)) notices.push(`slm.engine.caFile must be an absolute path; "${caText}" is not.`);

  const pins: string[] = [];
  const pinList: unknown[] = Array.isArray(raw.pinnedPublicKeys) ? raw.pinnedPublicKeys : raw.pinnedPublicKeys ? [raw.pinnedPublicKeys] : [];
  for (const entry of pinList) {
    const pin = parsePin(entry);
    if (pin) pins.push(pin);
    else notices.push(`slm.engine.pinnedPublicKeys: ${JSON.stringify(entry)} is not a SHA-256 digest (44 characters of base64, or 64 hex digits); it was ignored.`);
  }
  return {
    lanes,
    fallback,
    ...(caFile !== undefined && /^([a-zA-Z]:)?[\\/]/.test(caFile) ? { caFile } : {}),
    pins,
    allowNetwork: raw.allowNetwork === true,
    notices,
  };
}

/** A URL, or a sentence saying why it cannot be used. */
export function parseEndpoint(typed: string, kind: ServerKind, model: string | undefined, setting: string): RemoteEndpoint | string {
  let url: URL;
  try {
    url = new URL(typed);
  } catch {
    return `${setting} "${typed}" is not a URL (for example https://llm.example.org:8443).`;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return `${setting} "${typed}" must start with https:// (or http:// for a server on this machine).`;
  if (url.username || url.password) return `${setting} must not carry a user name or password; store the API key with "SLM: Set Server API Key…".`;
  if (url.search || url.hash) return `${setting} "${typed}" must not have a query or a fragment.`;
  if (url.protocol === "http:" && !isLoopback(url.hostname)) {
    return `${setting} "${typed}" uses plain http to another machine: your code and the API key would cross the network unencrypted. Use https (a TLS reverse proxy in front of the server; see docs/team-server.md).`;
  }
  const base = `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
  return { url: base, origin: url.origin, kind, ...(model ? { model } : {}) };
}

export function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "");
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** A pin as base64 of the 32-byte digest (the `pin-sha256` form), from base64 or hex. */
export function parsePin(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const typed = value.trim().replace(/^(pin-)?sha256[/:=]/i, "").replace(/^"|"$/g, "");
  if (/^[0-9a-f]{64}$/i.test(typed)) return Buffer.from(typed, "hex").toString("base64");
  if (/^[A-Za-z0-9+/]{43}=$/.test(typed) && Buffer.from(typed, "base64").length === 32) return typed;
  return undefined;
}

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}
