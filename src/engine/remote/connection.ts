/**
 * One HTTP(S) connection pool to one server, with the trust rules the settings give: TLS always
 * verified (the system's CAs plus slm.engine.caFile), optional public-key pinning, the API key as
 * a bearer token read from the editor's secret storage for each request (never logged, never in
 * an error). Keep-alive, so a keystroke pays no TCP or TLS handshake. Abort destroys the request,
 * which closes it on the server too (llama-server stops generating when the client goes).
 */
import { createHash, X509Certificate } from "node:crypto";
import * as http from "node:http";
import * as https from "node:https";
import * as tls from "node:tls";
import { abortError } from "../api";
import { sleep } from "../../util/sleep";
import type { RemoteEndpoint } from "./settings";
import { connectionProblem, RemoteProblem, statusProblem } from "./problems";

export interface Trust {
  /** PEM text of extra CAs (slm.engine.caFile), trusted besides the system's. */
  readonly ca?: string;
  /** Base64 SHA-256 digests of accepted public keys (SPKI); empty = no pinning. */
  readonly pins: readonly string[];
}

export interface HttpCall {
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
  /** Longest wait for the response to start (and, for streams, between two events). */
  readonly timeoutMs: number;
}

/** Waits before each repeat of a request dropped before any answer (one entry per repeat). */
const RETRY_DELAYS_MS = [100, 400] as const;

export class ServerConnection {
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  private readonly base: URL;
  /** A one-off agent with the same trust rules and no keep-alive: a repeat's new connection. */
  private readonly freshAgent: () => http.Agent;

  constructor(
    readonly endpoint: RemoteEndpoint,
    trust: Trust,
    private readonly apiKey: () => Promise<string | undefined>,
    /** Told about each repeat of a dropped request, for the log. */
    private readonly onRetry: (note: string) => void = () => undefined,
  ) {
    this.base = new URL(`${endpoint.url}/`);
    if (this.base.protocol === "https:") {
      const options: https.AgentOptions = {
        ...(trust.ca ? { ca: [...tls.rootCertificates, trust.ca] } : {}),
        rejectUnauthorized: true,
        checkServerIdentity: (host, cert) => tls.checkServerIdentity(host, cert) ?? checkPin(trust.pins, cert, endpoint.url),
      };
      this.client = https;
      this.agent = new https.Agent({ ...options, keepAlive: true, maxSockets: 8 });
      this.freshAgent = () => new https.Agent({ ...options, keepAlive: false });
    } else {
      this.client = http;
      this.agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
      this.freshAgent = () => new http.Agent({ keepAlive: false });
    }
  }

  /** The server as the user typed it, for messages. */
  get label(): string {
    return this.endpoint.url;
  }

  /** A JSON request; an HTTP error status becomes a RemoteProblem in the user's words. */
  async json(call: HttpCall): Promise<unknown> {
    const { body } = await this.send(call, undefined);
    try {
      return JSON.parse(body) as unknown;
    } catch {
      throw new RemoteProblem("badResponse", `${this.label} answered something that is not JSON.`, body.slice(0, 200));
    }
  }

  /**
   * A server-sent-events request: `onData` gets each event's data (parsed JSON) in order. Resolves
   * with whether the stream ended properly (`[DONE]` or `isLast` said so) or was cut off.
   */
  async stream(call: HttpCall, onData: (data: unknown) => void, isLast: (data: unknown) => boolean): Promise<{ complete: boolean }> {
    let buffer = "";
    let complete = false;
    const events = (chunk: string, flush: boolean): void => {
      buffer += chunk;
      const parts = buffer.split(/\r?\n\r?\n/);
      buffer = flush ? "" : parts.pop() ?? "";
      for (const part of parts) {
        const data = part
          .split(/\r?\n/)
          .filter((line) => line.startsWith("data:"))
          .map((line) => line.slice(5).replace(/^ /, ""))
          .join("\n");
        if (data === "") continue;
        if (data === "[DONE]") {
          complete = true;
          continue;
        }
        let parsed: unknown;
        try {
          parsed = JSON.parse(data) as unknown;
        } catch {
          throw new RemoteProblem("badResponse", `${this.label} sent an event that is not JSON.`, data.slice(0, 200));
        }
        if (isErrorEvent(parsed)) throw statusProblem(500, data, this.label, true);
        onData(parsed);
        if (isLast(parsed)) complete = true;
      }
    };
    await this.send({ ...call, body: call.body }, events);
    return { complete };
  }

  dispose(): void {
    this.agent.destroy();
  }

  /**
   * A connection dropped before any answer (a kept-alive socket the server closed meanwhile, or a
   * reset under load: llama-server's HTTP pool was seen resetting fresh connections in CI) is
   * sent again on a new connection, after a short wait, at most twice; each repeat is logged.
   */
  private async send(call: HttpCall, onChunk: ((chunk: string, flush: boolean) => void) | undefined): Promise<{ status: number; body: string }> {
    for (let attempt = 0; ; attempt++) {
      const agent = attempt === 0 ? this.agent : this.freshAgent();
      try {
        return await this.sendOnce(call, onChunk, agent);
      } catch (error) {
        if (!(error instanceof StaleSocket)) throw error;
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) throw error.problem;
        this.onRetry(`${call.method} ${call.path}: ${this.label} closed the connection before answering (${error.problem.detail ?? "reset"}); sending it again on a new connection in ${delay} ms (repeat ${attempt + 1} of ${RETRY_DELAYS_MS.length}).`);
        if (!(await sleep(delay, call.signal))) throw abortError();
      } finally {
        if (agent !== this.agent) agent.destroy();
      }
    }
  }

  private async sendOnce(call: HttpCall, onChunk: ((chunk: string, flush: boolean) => void) | undefined, agent: http.Agent): Promise<{ status: number; body: string }> {
    if (call.signal?.aborted) throw abortError();
    const key = await this.apiKey();
    if (call.signal?.aborted) throw abortError();
    const url = new URL(call.path.replace(/^\//, ""), this.base);
    const payload = call.body === undefined ? undefined : JSON.stringify(call.body);
    const headers: Record<string, string> = { accept: onChunk ? "text/event-stream" : "application/json" };
    if (payload !== undefined) headers["content-type"] = "application/json";
    if (key) headers.authorization = `Bearer ${key}`;

    return new Promise((resolve, reject) => {
      let settled = false;
      let responded = false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const finish = (error: unknown, value?: { status: number; body: string }): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        call.signal?.removeEventListener("abort", onAbort);
        if (error) reject(error instanceof RemoteProblem || error instanceof StaleSocket || (error instanceof Error && error.name === "AbortError") ? error : connectionProblem(error, this.label, call.timeoutMs));
        else resolve(value!);
      };
      const request = this.client.request(url, { method: call.method, agent, headers });
      const armTimer = (): void => {
        clearTimeout(timer);
        timer = setTimeout(() => {
          const problem = new RemoteProblem("slow", `${this.label} did not answer within ${Math.round(call.timeoutMs / 1000)} s.`, "timeout");
          request.destroy(problem);
          finish(problem);
        }, call.timeoutMs);
      };
      const onAbort = (): void => {
        request.destroy();
        finish(abortError());
      };
      call.signal?.addEventListener("abort", onAbort, { once: true });
      request.on("error", (error) => {
        const code = (error as NodeJS.ErrnoException).code;
        // Dropped before any answer: a kept-alive socket the server had closed, or a connection
        // the server reset under load (seen with llama-server in CI). Nothing was answered, so
        // the request is sent once more (completions, chat and lookups are safe to repeat).
        if (!responded && (code === "ECONNRESET" || code === "EPIPE")) finish(new StaleSocket(connectionProblem(error, this.label, call.timeoutMs)));
        else finish(error);
      });
      request.on("response", (response) => {
        responded = true;
        const status = response.statusCode ?? 0;
        response.setEncoding("utf8");
        let body = "";
        const streaming = onChunk !== undefined && status >= 200 && status < 300;
        response.on("data", (chunk: string) => {
          armTimer();
          if (!streaming) {
            body += chunk;
            return;
          }
          try {
            onChunk(chunk, false);
          } catch (error) {
            request.destroy();
            finish(error);
          }
        });
        response.on("aborted", () => finish(new RemoteProblem("dropped", `${this.label} closed the connection in the middle of the answer.`, "aborted")));
        response.on("error", (error) => finish(new RemoteProblem("dropped", `${this.label} closed the connection in the middle of the answer.`, error.message)));
        response.on("end", () => {
          if (!response.complete) {
            finish(new RemoteProblem("dropped", `${this.label} closed the connection in the middle of the answer.`, "incomplete response"));
            return;
          }
          if (status < 200 || status >= 300) {
            finish(statusProblem(status, body, this.label, key !== undefined && key !== "", header(response.headers["retry-after"])));
            return;
          }
          if (streaming) {
            try {
              onChunk("\n\n", true);
            } catch (error) {
              finish(error);
              return;
            }
          }
          finish(undefined, { status, body });
        });
      });
      armTimer();
      request.end(payload);
    });
  }
}

class StaleSocket extends Error {
  constructor(readonly problem: RemoteProblem) {
    super(problem.message);
  }
}

/** The pin check, after the normal hostname check passed. */
function checkPin(pins: readonly string[], cert: tls.PeerCertificate, server: string): Error | undefined {
  if (pins.length === 0) return undefined;
  // The pin-sha256 form hashes the SubjectPublicKeyInfo (cert.pubkey is that for RSA keys but the
  // bare point for EC keys), so it is read from the certificate itself.
  const spki = new X509Certificate(cert.raw).publicKey.export({ type: "spki", format: "der" });
  const digest = createHash("sha256").update(spki).digest("base64");
  if (pins.includes(digest)) return undefined;
  return new RemoteProblem(
    "pin",
    `The public key of ${server} (sha256/${digest}) is not one of slm.engine.pinnedPublicKeys: nothing was sent to it. If the server's key changed on purpose, add the new pin.`,
    `pin mismatch: sha256/${digest}`,
  );
}

function isErrorEvent(data: unknown): boolean {
  return typeof data === "object" && data !== null && "error" in data && !("choices" in data) && !("content" in data);
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
