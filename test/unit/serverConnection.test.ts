// The remote client's repeat of a request the server dropped before answering: a real TCP server
// on 127.0.0.1 resets the first connections (as llama-server's HTTP pool was seen doing in CI),
// then answers. The request is sent again on new connections, each repeat is logged, and a
// server that keeps resetting gets the user's sentence after two repeats.
import * as assert from "node:assert/strict";
import * as net from "node:net";
import { ServerConnection } from "../../src/engine/remote/connection";
import { RemoteProblem } from "../../src/engine/remote/problems";

interface ResettingServer {
  readonly url: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Resets the first `resets` connections as soon as the request arrives; answers the rest. */
async function resettingServer(resets: number): Promise<ResettingServer> {
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted++;
    const reset = accepted <= resets;
    socket.once("data", () => {
      if (reset) socket.resetAndDestroy();
      else socket.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\nconnection: close\r\n\r\n{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => accepted,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function connection(url: string, notes: string[]): ServerConnection {
  return new ServerConnection({ url, origin: url, kind: "llama-server" }, { pins: [] }, () => Promise.resolve("secret-key"), (note) => notes.push(note));
}

describe("ServerConnection: a request dropped before any answer", () => {
  it("is sent again on a new connection, at most twice, and each repeat is logged", async () => {
    const server = await resettingServer(2);
    const notes: string[] = [];
    const client = connection(server.url, notes);
    try {
      assert.deepEqual(await client.json({ method: "POST", path: "/completion", body: { prompt: "x" }, timeoutMs: 5_000 }), { ok: true });
      assert.equal(server.connections(), 3);
      assert.equal(notes.length, 2);
      assert.match(notes[0] ?? "", /^POST \/completion: http:\/\/127\.0\.0\.1:\d+ closed the connection before answering \(ECONNRESET\); sending it again on a new connection in 100 ms \(repeat 1 of 2\)\.$/);
      assert.match(notes[1] ?? "", /in 400 ms \(repeat 2 of 2\)/);
      assert.ok(!notes.join("\n").includes("secret-key"), "the API key reached the log");
    } finally {
      client.dispose();
      await server.close();
    }
  });

  it("ends with the user's sentence when the server resets every attempt", async () => {
    const server = await resettingServer(Number.POSITIVE_INFINITY);
    const notes: string[] = [];
    const client = connection(server.url, notes);
    try {
      await assert.rejects(client.json({ method: "GET", path: "/props", timeoutMs: 5_000 }), (error: unknown) => error instanceof RemoteProblem && error.code === "dropped" && /closed the connection before answering/.test(error.message));
      assert.equal(server.connections(), 3);
      assert.equal(notes.length, 2);
    } finally {
      client.dispose();
      await server.close();
    }
  });

  it("stops waiting to repeat as soon as the request is aborted", async () => {
    const server = await resettingServer(Number.POSITIVE_INFINITY);
    const client = connection(server.url, []);
    const controller = new AbortController();
    try {
      const started = Date.now();
      const pending = client.json({ method: "GET", path: "/props", timeoutMs: 5_000, signal: controller.signal });
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(pending, (error: unknown) => error instanceof Error && error.name === "AbortError");
      assert.ok(Date.now() - started < 300, `took ${Date.now() - started} ms`);
    } finally {
      client.dispose();
      await server.close();
    }
  });
});
