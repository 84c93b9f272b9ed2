// Hostile servers and hostile folders against the real downloader: each is generated here.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseExtraModels } from "../../src/download/catalog";
import { download, DownloadError, partialPathFor, type DownloadRequest } from "../../src/download/downloader";
import { fileError } from "../../src/download/errors";

interface RawServer {
  readonly url: string;
  /** Body bytes the handler managed to write before the client went away. */
  sent: number;
  close(): Promise<void>;
}

async function rawServer(handler: (res: http.ServerResponse, server: RawServer) => void): Promise<RawServer> {
  const state = { url: "", sent: 0, close: async () => undefined } as RawServer;
  const server = http.createServer((_req, res) => handler(res, state));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  });
  return state;
}

/** Writes `chunk` every `everyMs` until the client goes (or `limit` chunks). */
function keepWriting(res: http.ServerResponse, server: RawServer, chunk: Buffer, everyMs: number, limit = Infinity): void {
  let count = 0;
  const timer = setInterval(() => {
    if (res.destroyed || count++ >= limit) {
      clearInterval(timer);
      if (!res.destroyed) res.end();
      return;
    }
    res.write(chunk, (error) => {
      if (!error) server.sent += chunk.length;
    });
  }, everyMs);
  res.on("close", () => clearInterval(timer));
}

describe("download bounds: hostile servers and folders", function () {
  this.timeout(30_000);
  let dir: string;
  let destination: string;
  let server: RawServer | undefined;
  const logs: string[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(tmpdir(), "slm-download-bounds-"));
    destination = path.join(dir, "models", "model.gguf");
    fs.mkdirSync(path.dirname(destination));
    logs.length = 0;
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const request = (url: string, extra: Partial<DownloadRequest> = {}): DownloadRequest => ({
    url,
    destination,
    allowNetwork: true,
    sha256: "0".repeat(64),
    size: 4096,
    retries: 0,
    retryDelayMs: 10,
    log: (line) => logs.push(line),
    ...extra,
  });
  const rejection = async (promise: Promise<unknown>): Promise<DownloadError> => {
    const error = await promise.then(() => assert.fail("the download succeeded"), (e: unknown) => e);
    assert.ok(error instanceof DownloadError, `not a DownloadError: ${String(error)}`);
    return error;
  };
  const leftovers = () => fs.readdirSync(path.dirname(destination));

  it("stops a server that sends more than the catalog size without a Content-Length, keeping nothing", async () => {
    server = await rawServer((res, state) => {
      res.writeHead(200, { "content-type": "application/octet-stream" }); // chunked: no length stated
      keepWriting(res, state, Buffer.alloc(64 * 1024, 7), 1, 640); // 40 MB if nobody stops it
    });
    const error = await rejection(download(request(`${server.url}/m.gguf`)));
    assert.equal(error.kind, "checksum");
    assert.match(error.message, /sent more than the 4(\.0)? KB model\.gguf should have/);
    assert.deepEqual(leftovers(), [], "nothing kept");
    await new Promise((resolve) => setTimeout(resolve, 100));
    console.log(`      the server got ${server.sent} bytes out before the download stopped it`);
    assert.ok(server.sent < 4 * 1024 * 1024, `${server.sent} bytes were sent`);
  });

  it("refuses before writing when the stated Content-Length differs from the catalog's size", async () => {
    server = await rawServer((res) => {
      res.writeHead(200, { "content-length": String(40 * 1024 * 1024) });
      res.write(Buffer.alloc(1024));
    });
    const error = await rejection(download(request(`${server.url}/m.gguf`)));
    assert.equal(error.kind, "checksum");
    assert.match(error.message, /not the expected 4(\.0)? KB/);
    assert.deepEqual(leftovers(), []);
  });

  it("says how much space is needed and where when the disk cannot hold the file, before any byte is written", async () => {
    const huge = 2 ** 50;
    server = await rawServer((res) => {
      res.writeHead(200, { "content-length": String(huge) });
      res.write(Buffer.alloc(1024));
    });
    const error = await rejection(download(request(`${server.url}/m.gguf`, { size: huge })));
    assert.equal(error.kind, "diskFull");
    assert.match(error.message, /^Not enough disk space: model\.gguf needs .* in /);
    assert.ok(error.message.includes(path.dirname(destination)), error.message);
    assert.deepEqual(leftovers(), []);
  });

  it("drops a server that trickles a byte at a time (stall timeout)", async () => {
    server = await rawServer((res, state) => {
      res.writeHead(200, { "content-length": "4096" });
      keepWriting(res, state, Buffer.from("x"), 20);
    });
    const started = Date.now();
    const error = await rejection(download(request(`${server.url}/m.gguf`, { stallTimeoutMs: 400, stallBytes: 1024 })));
    assert.equal(error.kind, "interrupted");
    assert.match(error.message, /the server sent only \d+ bytes in 0\.4 s/);
    console.log(`      gave up after ${Date.now() - started} ms, ${server.sent} bytes received`);
  });

  it("ends a download that runs past its overall deadline, however steadily bytes arrive", async () => {
    server = await rawServer((res, state) => {
      res.writeHead(200, { "content-length": String(64 * 1024 * 1024) });
      keepWriting(res, state, Buffer.alloc(16 * 1024), 5);
    });
    const error = await rejection(download(request(`${server.url}/m.gguf`, { size: 64 * 1024 * 1024, deadlineMs: 600, stallTimeoutMs: 200, stallBytes: 1 })));
    assert.equal(error.kind, "interrupted");
    assert.match(error.message, /did not finish in the time allowed \(0\.6 s\)/);
  });

  it("refuses a symlinked .partial and writes nothing through it", async () => {
    server = await rawServer((res) => res.end(Buffer.alloc(4096, 1)));
    const victim = path.join(dir, "victim.txt");
    fs.writeFileSync(victim, "precious");
    fs.symlinkSync(victim, partialPathFor(destination));
    const error = await rejection(download(request(`${server.url}/m.gguf`)));
    assert.equal(error.kind, "file");
    assert.match(error.message, /is a symbolic link/);
    assert.equal(fs.readFileSync(victim, "utf8"), "precious");
    assert.ok(fs.lstatSync(partialPathFor(destination)).isSymbolicLink(), "the link itself is left for the user to look at");
  });

  it("refuses a .partial that is a FIFO or a folder without blocking", async function () {
    if (process.platform === "win32") this.skip();
    server = await rawServer((res) => res.end(Buffer.alloc(4096, 1)));
    execFileSync("mkfifo", [partialPathFor(destination)]);
    assert.match((await rejection(download(request(`${server.url}/m.gguf`)))).message, /is not a regular file/);
    fs.rmSync(partialPathFor(destination));
    fs.mkdirSync(partialPathFor(destination));
    assert.match((await rejection(download(request(`${server.url}/m.gguf`)))).message, /is a folder/);
  });

  it("never puts a mirror's credentials or URL tokens in a message or the log", async () => {
    server = await rawServer((res) => {
      res.writeHead(404);
      res.end();
    });
    const url = server.url.replace("http://", "http://alice:s3cr3t-pw@") + "/m.gguf?token=t0k3n-value";
    const error = await rejection(download(request(url)));
    assert.equal(error.kind, "http");
    for (const text of [error.message, ...logs]) {
      assert.ok(!text.includes("s3cr3t-pw") && !text.includes("t0k3n-value") && !text.includes("alice"), text);
    }
    assert.match(error.message, /HTTP 404/);
  });

  it("refuses .. segments in the address or the destination before connecting", async () => {
    let connections = 0;
    server = await rawServer((res) => {
      connections++;
      res.end(Buffer.alloc(4096));
    });
    for (const extra of [{ url: `${server.url}/repo/../../etc/m.gguf` }, { url: `${server.url}/repo/%2e%2e/m.gguf` }, { destination: `${dir}/models/../../escape.gguf` }]) {
      const error = await rejection(download({ ...request(`${server.url}/m.gguf`), ...extra }));
      assert.match(error.message, /"\.\." segment/);
    }
    assert.equal(connections, 0);
    const extra = parseExtraModels([{ name: "Escape", repo: "org/../../x", file: "m.gguf", sha256: createHash("sha256").update("x").digest("hex") }]);
    assert.equal(extra.models.length, 0);
    assert.match(extra.problems[0] ?? "", /"\." or "\.\." segment/);
  });
});

describe("download errors in words (errors.ts)", () => {
  it("turns a full disk during a write into how much is needed and where", () => {
    const error = fileError("model.gguf", "/data/models/model.gguf", Object.assign(new Error("no space"), { code: "ENOSPC" }), 3_000_000, 1_000_000);
    assert.equal(error.kind, "diskFull");
    assert.match(error.message, /^Not enough disk space: model\.gguf needs 2\.9 MB in \/data\/models, 1\.9 MB more than is downloaded/);
    assert.equal(error.partialBytes, 1_000_000);
  });
});
