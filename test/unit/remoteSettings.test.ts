import * as assert from "node:assert/strict";
import { statusProblem, connectionProblem, serverMessage } from "../../src/engine/remote/problems";
import { statedSha256 } from "../../src/engine/remote/serverFacts";
import { parsePin, resolveRemoteSettings } from "../../src/engine/remote/settings";
import type { EngineState } from "../../src/engine/types";
import { remoteLines, remoteStatusText } from "../../src/ui/remoteText";

describe("team server settings", () => {
  it("sends each feature to slm.engine.server unless it has its own server or stays local", () => {
    const settings = resolveRemoteSettings({ server: "https://llm.example.org:8443/", completionServer: "local", allowNetwork: true }, "/home/u");
    assert.equal(settings.lanes.completion, undefined);
    assert.deepEqual(settings.lanes.chat, { url: "https://llm.example.org:8443", origin: "https://llm.example.org:8443", kind: "llama-server" });
    assert.equal(settings.allowNetwork, true);
    const split = resolveRemoteSettings({ completionServer: "https://a.example", chatServer: "https://b.example/v1", serverKind: "openai", serverModel: "qwen" }, "/h");
    assert.equal(split.lanes.completion?.url, "https://a.example");
    assert.equal(split.lanes.chat?.url, "https://b.example/v1");
    assert.equal(split.lanes.chat?.model, "qwen");
    assert.equal(split.lanes.chat?.kind, "openai");
    assert.equal(split.allowNetwork, false, "the network switch defaults to off");
  });

  it("refuses plain http to another machine, credentials in the URL and non-URLs, in words", () => {
    const settings = resolveRemoteSettings({ server: "http://10.0.0.5:8080", completionServer: "llm" }, "/h");
    assert.deepEqual(settings.lanes, {});
    assert.match(settings.notices.join("\n"), /plain http to another machine: your code and the API key would cross the network unencrypted/);
    assert.match(settings.notices.join("\n"), /"llm" is not a URL/);
    assert.match(resolveRemoteSettings({ server: "https://user:pw@x.example" }, "/h").notices.join("\n"), /must not carry a user name or password/);
    assert.equal(resolveRemoteSettings({ server: "http://127.0.0.1:8080" }, "/h").lanes.completion?.url, "http://127.0.0.1:8080");
    assert.equal(resolveRemoteSettings({ server: "http://localhost:8080" }, "/h").lanes.chat?.url, "http://localhost:8080");
  });

  it("reads pins as base64 or hex SHA-256, expands ~ in the CA file, and names bad values", () => {
    const hex = "ab".repeat(32);
    assert.equal(parsePin(hex), Buffer.from(hex, "hex").toString("base64"));
    assert.equal(parsePin(`sha256/${Buffer.alloc(32, 1).toString("base64")}`), Buffer.alloc(32, 1).toString("base64"));
    assert.equal(parsePin("abc"), undefined);
    const settings = resolveRemoteSettings({ server: "https://x.example", caFile: "~/ca.pem", pinnedPublicKeys: [hex, "nope"], fallback: "maybe", serverKind: "grpc" }, "/home/u");
    assert.equal(settings.caFile, "/home/u/ca.pem");
    assert.equal(settings.pins.length, 1);
    assert.equal(settings.fallback, "none");
    assert.match(settings.notices.join("\n"), /"nope" is not a SHA-256 digest/);
    assert.match(settings.notices.join("\n"), /slm\.engine\.fallback "maybe" is not local or none/);
    assert.match(settings.notices.join("\n"), /serverKind "grpc" is not one of llama-server, openai/);
  });

  it("finds the SHA-256 an alias states (the allowlist convention)", () => {
    const hash = "0123456789abcdef".repeat(4);
    assert.equal(statedSha256(`qwen2.5-coder-1.5b-q8_0@sha256:${hash}`), hash);
    assert.equal(statedSha256(`model-sha256-${hash.toUpperCase()}`), hash);
    assert.equal(statedSha256("qwen2.5-coder"), undefined);
    assert.equal(statedSha256(`x@sha256:${hash}ff`), undefined, "65+ hex digits are not a SHA-256");
  });
});

describe("team server problems in the user's words", () => {
  it("turns HTTP statuses into sentences that say what to do", () => {
    assert.match(statusProblem(401, '{"error":{"message":"Invalid API Key"}}', "https://x", true).message, /refused the API key \(401 Unauthorized: "Invalid API Key"\)/);
    assert.match(statusProblem(401, "", "https://x", false).message, /wants an API key/);
    assert.match(statusProblem(403, "", "https://x", true).message, /denied access \(403 Forbidden\)/);
    const busy = statusProblem(429, "", "https://x", true, "12");
    assert.equal(busy.code, "rateLimited");
    assert.match(busy.message, /Try again in 12 s/);
    assert.match(statusProblem(503, '{"error":{"message":"Loading model"}}', "https://x", true).message, /failed with 503: "Loading model"/);
    assert.equal(serverMessage("x".repeat(500)).length, 160);
  });

  it("turns socket errors into sentences", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    assert.equal(connectionProblem(refused, "https://x", 1000).code, "down");
    const cert = Object.assign(new Error("self signed"), { code: "SELF_SIGNED_CERT_IN_CHAIN" });
    assert.match(connectionProblem(cert, "https://x", 1000).message, /not trusted .*slm\.engine\.caFile/);
  });
});

describe("team server in the status bar", () => {
  const base: EngineState = { kind: "ready", notices: [] };
  it("shows the server's model, a problem with which engine answered, and network off", () => {
    const model = { id: "qwen-coder-7b", contextSize: 8192, fim: "Qwen2.5-Coder", slots: 4 };
    assert.equal(remoteStatusText({ ...base, remote: { completion: { url: "https://x", kind: "llama-server", model, answeredBy: "server" } } })?.text, "$(cloud) SLM · qwen-coder-7b · server");
    const down = { code: "down", label: "server down", message: "https://x refused the connection." };
    assert.equal(remoteStatusText({ ...base, remote: { completion: { url: "https://x", kind: "llama-server", problem: down, answeredBy: "local" } } })?.text, "$(warning) SLM: local · server down");
    assert.equal(remoteStatusText({ ...base, remote: { chat: { url: "https://x", kind: "openai", networkOff: true } } })?.text, "$(circle-slash) SLM: server set, network off");
    assert.equal(remoteStatusText(base), undefined);
    const lines = remoteLines({ ...base, remote: { completion: { url: "https://x", kind: "llama-server", model, answeredBy: "server" } } }).join("\n");
    assert.match(lines, /Completion: server https:\/\/x \(llama-server\)/);
    assert.match(lines, /context 8192 tokens · 4 slots/);
    assert.match(lines, /SHA-256 stated by the server: none/);
  });
});
