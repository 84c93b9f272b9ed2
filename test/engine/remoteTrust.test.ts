// Trust and failures of the remote engine against a real llama-server: API keys, TLS through a
// real terminator (stunnel) with a test CA, pinning, a server killed mid-answer, a server restarted
// with another model (noticed, shown, refused under the allowlist), and the network switch.
import * as assert from "node:assert/strict";
import dns from "node:dns";
import * as fs from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import tls from "node:tls";
import { EngineUnavailableError, type Engine } from "../../src/engine/api";
import { remoteLines } from "../../src/ui/remoteText";
import { statusText } from "../../src/ui/statusText";
import { freePort, startLlamaServer, type RunningLlamaServer } from "../support/llamaServer";
import { scriptedModel } from "../support/models";
import { makeTestPki, startTlsProxy, type RunningTlsProxy, type TestPki } from "../support/tlsProxy";
import { infill } from "./hosts";
import { routedEngine } from "./remoteHelpers";

const SCRIPT = "trusted();";
const HASH_A = "a".repeat(64);
const HASH_B = "b".repeat(64);

function unavailable(pattern: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof EngineUnavailableError, String(error));
    assert.match(error.message, pattern);
    return true;
  };
}

describe("remote engine: keys, TLS, failures (real llama-server)", function () {
  this.timeout(180_000);
  const engines: Engine[] = [];
  const track = <T extends Engine>(engine: T): T => (engines.push(engine), engine);
  afterEach(async () => {
    for (const engine of engines.splice(0)) await engine.dispose();
  });

  describe("API key (--api-key-file)", () => {
    const KEY = "team-key-3f9c2d7e41b8a6";
    let server: RunningLlamaServer;
    before(async () => (server = await startLlamaServer({ model: await scriptedModel(SCRIPT), apiKey: KEY })));
    after(() => server.kill());

    it("the right key works; a wrong or missing key gets a clear 401 sentence; the key is never logged", async () => {
      const logs: string[] = [];
      const right = track(await routedEngine({ remote: { server: server.url }, apiKey: KEY }, logs));
      assert.equal((await infill(right, "a", "b", 16)).text, SCRIPT);

      const wrong = track(await routedEngine({ remote: { server: server.url }, apiKey: "not-the-key" }, logs));
      await assert.rejects(infill(wrong, "a", "b", 16), unavailable(/refused the API key \(401 Unauthorized: "Invalid API Key"\)\. Set the right key with "SLM: Set Server API Key…"/));
      assert.equal(wrong.state.remote?.completion?.problem?.code, "unauthorized");
      assert.match(statusText(wrong.state).text, /API key refused/);

      const none = track(await routedEngine({ remote: { server: server.url } }, logs));
      await assert.rejects(infill(none, "a", "b", 16), unavailable(/wants an API key \(401 Unauthorized\)/));

      const everything = [...logs, JSON.stringify([right.state, wrong.state, none.state]), remoteLines(wrong.state).join("\n")].join("\n");
      assert.ok(!everything.includes(KEY), "the key is in no log line or state");
      assert.ok(!everything.includes("not-the-key"), "nor is a wrong key");
      assert.ok(logs.some((line) => /refused the API key/.test(line)), "the failure is logged");
    });
  });

  describe("TLS through stunnel with a test CA", () => {
    let pki: TestPki;
    let server: RunningLlamaServer;
    let proxy: RunningTlsProxy;
    before(async () => {
      pki = makeTestPki();
      server = await startLlamaServer({ model: await scriptedModel(SCRIPT) });
      proxy = await startTlsProxy(pki, server.port);
    });
    after(async () => {
      await proxy?.stop();
      await server?.kill();
      if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
    });

    it("is refused without the CA file, trusted with it, for completion and chat alike", async () => {
      const untrusted = track(await routedEngine({ remote: { server: proxy.url } }));
      await assert.rejects(infill(untrusted, "a", "b", 16), unavailable(/certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \((UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)\)\. .*slm\.engine\.caFile/));
      await assert.rejects(untrusted.chat({ history: [], question: "hi", maxAnswerTokens: 8, temperature: 0 }), unavailable(/not trusted/));
      assert.equal(untrusted.state.remote?.completion?.problem?.code, "tls");

      const trusted = track(await routedEngine({ remote: { server: proxy.url, caFile: pki.caFile } }));
      assert.equal((await infill(trusted, "a", "b", 16)).text, SCRIPT);
      assert.equal(trusted.state.remote?.completion?.answeredBy, "server");
    });

    it("is refused when the server's public key is not the pinned one; accepted when it is", async () => {
      const otherPin = Buffer.alloc(32, 7).toString("base64");
      const mismatch = track(await routedEngine({ remote: { server: proxy.url, caFile: pki.caFile, pinnedPublicKeys: [otherPin] } }));
      await assert.rejects(infill(mismatch, "a", "b", 16), unavailable(new RegExp(`public key of https://127\\.0\\.0\\.1:\\d+ \\(sha256/${pki.pin.replace(/[+/]/g, "\\$&")}\\) is not one of slm\\.engine\\.pinnedPublicKeys: nothing was sent`)));
      assert.equal(mismatch.state.remote?.completion?.problem?.code, "pin");
      assert.match(statusText(mismatch.state).text, /server key mismatch/);

      const pinned = track(await routedEngine({ remote: { server: proxy.url, caFile: pki.caFile, pinnedPublicKeys: [pki.pin] } }));
      assert.equal((await infill(pinned, "a", "b", 16)).text, SCRIPT);
    });
  });

  it("a server killed in the middle of an answer: what streamed stays, the sentence says the connection dropped, then that it is down", async () => {
    const long = "A long answer that streams for a while. ".repeat(40).trim();
    const server = await startLlamaServer({ model: await scriptedModel(long, { mode: "chat" }) });
    try {
      const engine = track(await routedEngine({ remote: { server: server.url } }));
      const streamed: string[] = [];
      let killed: Promise<void> | undefined;
      await assert.rejects(
        engine.chat({ history: [], question: "Tell me", maxAnswerTokens: 2048, temperature: 0 }, {
          onText: (text) => {
            streamed.push(text);
            if (streamed.length === 5) killed = server.kill("SIGKILL");
          },
        }),
        unavailable(/closed the connection (in the middle of the answer|before answering)/),
      );
      await killed;
      assert.ok(streamed.join("").length > 0 && streamed.join("").length < long.length);
      assert.equal(engine.state.remote?.chat?.problem?.code, "dropped");
      assert.match(statusText(engine.state).text, /connection dropped/);
      await assert.rejects(engine.chat({ history: [], question: "again", maxAnswerTokens: 8, temperature: 0 }), unavailable(/refused the connection/));
      assert.equal(engine.state.remote?.chat?.problem?.code, "down");
    } finally {
      await server.kill("SIGKILL");
    }
  });

  it("a server restarted with another model: noticed and shown; refused when the allowlist does not list its hash", async () => {
    const port = await freePort();
    const first = await startLlamaServer({ model: await scriptedModel("first();"), alias: `model-a@sha256:${HASH_A}`, port });
    const logs: string[] = [];
    const engine = track(await routedEngine({ remote: { server: first.url }, allowed: new Set([HASH_A]) }, logs));
    assert.equal((await infill(engine, "a", "b", 16)).text, "first();");
    assert.equal(engine.state.remote?.completion?.model?.sha256, HASH_A);
    await first.kill();

    const second = await startLlamaServer({ model: await scriptedModel("second();"), alias: `model-b@sha256:${HASH_B}`, port });
    try {
      // The first request after the restart may meet the old keep-alive socket: at most one more.
      let error: unknown;
      for (let attempt = 0; attempt < 3 && !/not in slm\.allowedModelHashes/.test(String(error)); attempt++) {
        error = await infill(engine, "a", "b", 16).then(() => undefined, (e: unknown) => e);
      }
      assert.ok(error instanceof EngineUnavailableError, String(error));
      assert.match(error.message, /serves "model-b@sha256:b{64}", which is not in slm\.allowedModelHashes/);
      assert.equal(engine.state.remote?.completion?.model?.id, `model-b@sha256:${HASH_B}`);
      assert.equal(engine.state.remote?.completion?.problem?.code, "modelNotAllowed");
      assert.equal(engine.state.laneErrors?.completion?.code, "notAllowed");
      assert.ok(logs.some((line) => /now serves model-b@sha256:b{64}.*it served model-a@sha256:a{64} before/.test(line)), logs.join("\n"));
      assert.match(remoteLines(engine.state).join("\n"), /SHA-256 stated by the server: b{64}/);

      const open = track(await routedEngine({ remote: { server: second.url } }));
      assert.equal((await infill(open, "a", "b", 16)).text, "second();");
    } finally {
      await second.kill();
    }
  });

  it("with slm.allowNetwork off: no socket, no lookup; the local model answers and the state says the network is off", async () => {
    const calls: string[] = [];
    const observe = <T extends object>(target: T, key: keyof T): (() => void) => {
      const original = target[key] as unknown as (...args: unknown[]) => unknown;
      (target as Record<keyof T, unknown>)[key] = function (this: unknown, ...args: unknown[]) {
        calls.push(String(key));
        return original.apply(this, args);
      };
      return () => ((target as Record<keyof T, unknown>)[key] = original);
    };
    const undo = [
      observe(net.Socket.prototype, "connect"), observe(http, "request"), observe(https, "request"),
      observe(tls, "connect"), observe(dns, "lookup"),
    ];
    try {
      const localModel = await scriptedModel("offline();");
      const engine = track(await routedEngine({ remote: { server: "https://llm.example.org", allowNetwork: false }, localModel }));
      assert.equal((await infill(engine, "a", "b", 16)).text, "offline();");
      const chat = await engine.laneFacts("chat");
      assert.equal(chat.modelPath, localModel);
      assert.deepEqual(calls, []);
      assert.equal(engine.state.remote?.completion?.networkOff, true);
      assert.equal(statusText(engine.state).text, "$(circle-slash) SLM: server set, network off");
      assert.match(remoteLines(engine.state).join("\n"), /slm\.allowNetwork is off: nothing is sent/);
    } finally {
      for (const restore of undo) restore();
    }
  });
});
