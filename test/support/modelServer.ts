// A real HTTP server on 127.0.0.1 (ephemeral port) that serves files the way Hugging Face's resolve
// URLs do: 200 or 206 with Range, optional redirects and X-Linked-Etag. Knobs for the failures a
// download meets: a connection dropped part-way, a throttled body, a server that ignores Range.
import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ServedFile {
  readonly body: Buffer;
  /** Sent as X-Linked-Etag (quoted), as Hugging Face does for LFS files. */
  readonly linkedSha256?: string;
}

export interface RequestRecord {
  readonly path: string;
  readonly range?: string;
  readonly status: number;
}

export interface ModelServerOptions {
  /** Bytes per second for bodies (sent in small slices), to keep a download visibly in progress. */
  readonly bytesPerSecond?: number;
}

export class ModelServer {
  readonly requests: RequestRecord[] = [];
  private readonly files = new Map<string, ServedFile>();
  private readonly redirects = new Map<string, string>();
  /** Cut the connection after this many body bytes, for the next `dropTimes` responses. */
  private dropAfter?: number;
  private dropTimes = 0;
  private rangeSupport = true;
  private readonly sockets = new Set<Socket>();
  private bytesPerSecond: number | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    options: ModelServerOptions,
  ) {
    this.bytesPerSecond = options.bytesPerSecond;
    server.on("request", (req, res) => this.handle(req, res));
    server.on("connection", (socket) => {
      this.sockets.add(socket);
      socket.on("close", () => this.sockets.delete(socket));
    });
  }

  static async start(options: ModelServerOptions = {}): Promise<ModelServer> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    const port = (server.address() as AddressInfo).port;
    return new ModelServer(server, `http://127.0.0.1:${port}`, options);
  }

  serve(path: string, body: Buffer, options: { linkedSha256?: boolean | string } = {}): void {
    const linkedSha256 =
      options.linkedSha256 === true ? sha256(body) : typeof options.linkedSha256 === "string" ? options.linkedSha256 : undefined;
    this.files.set(path, { body, linkedSha256 });
  }

  redirect(from: string, to: string): void {
    this.redirects.set(from, to);
  }

  dropConnection(afterBytes: number, times = 1): void {
    this.dropAfter = afterBytes;
    this.dropTimes = times;
  }

  ignoreRanges(ignore = true): void {
    this.rangeSupport = !ignore;
  }

  setBytesPerSecond(rate: number | undefined): void {
    this.bytesPerSecond = rate;
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const range = req.headers.range;
    const record = (status: number) => this.requests.push({ path, range, status });
    const target = this.redirects.get(path);
    if (target) {
      record(302);
      const file = this.files.get(new URL(target, this.url).pathname);
      const headers: http.OutgoingHttpHeaders = { location: target };
      if (file?.linkedSha256) headers["x-linked-etag"] = `"${file.linkedSha256}"`;
      res.writeHead(302, headers).end();
      return;
    }
    const file = this.files.get(path);
    if (!file) {
      record(404);
      res.writeHead(404, { "content-type": "text/plain" }).end("Entry not found");
      return;
    }
    const total = file.body.length;
    let start = 0;
    let status = 200;
    const headers: http.OutgoingHttpHeaders = { "content-type": "application/octet-stream", "accept-ranges": "bytes" };
    if (file.linkedSha256) headers["x-linked-etag"] = `"${file.linkedSha256}"`;
    const match = range && this.rangeSupport ? /^bytes=(\d+)-$/.exec(range) : null;
    if (match) {
      start = Number(match[1]);
      if (start >= total) {
        record(416);
        res.writeHead(416, { "content-range": `bytes */${total}` }).end();
        return;
      }
      status = 206;
      headers["content-range"] = `bytes ${start}-${total - 1}/${total}`;
    }
    headers["content-length"] = total - start;
    record(status);
    res.writeHead(status, headers);
    if (req.method === "HEAD") return void res.end();
    const body = file.body.subarray(start);
    const dropAt = this.dropTimes > 0 ? this.dropAfter : undefined;
    if (dropAt !== undefined) this.dropTimes--;
    void this.send(res, body, dropAt);
  }

  private async send(res: http.ServerResponse, body: Buffer, dropAt: number | undefined): Promise<void> {
    const rate = this.bytesPerSecond;
    const slice = rate ? Math.max(1024, Math.floor(rate / 20)) : 64 * 1024;
    let sent = 0;
    while (sent < body.length && !res.destroyed) {
      let end = Math.min(body.length, sent + slice);
      if (dropAt !== undefined && end > dropAt) end = dropAt;
      if (end > sent) {
        const ok = res.write(body.subarray(sent, end));
        sent = end;
        if (!ok) await new Promise((resolve) => res.once("drain", resolve));
      }
      if (dropAt !== undefined && sent >= dropAt) {
        // Let the bytes so far reach the client, then cut the connection mid-body.
        await new Promise((resolve) => setTimeout(resolve, 50));
        res.socket?.destroy();
        return;
      }
      if (rate) await new Promise((resolve) => setTimeout(resolve, (slice / rate) * 1000));
    }
    res.end();
  }
}

export function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
