// SLM: Download a Recommended Model… inside the real extension host, against a real HTTP server on
// 127.0.0.1 that this test starts, standing in for slm.downloadMirror. The served file is the tiny
// test model, offered through slm.downloadExtraModels with its real SHA-256.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import type { DownloadModelResult } from "../../src/commands/downloadModel";
import { ModelServer, sha256 } from "../support/modelServer";
import { EXTENSION_ID, extensionApi, setSetting, testModels, waitForReady } from "./helpers";

const FILE_PATH = "/test-org/Tiny-GGUF/resolve/main/tiny.gguf";

describe("Downloading a recommended model (extension host)", function () {
  this.timeout(90_000);
  const models = testModels();
  let api: SlmApi;
  let server: ModelServer;
  let body: Buffer;
  const touched = ["allowNetwork", "downloadMirror", "downloadExtraModels", "modelPath", "completion.modelPath", "chat.modelPath"];

  before(async () => {
    api = await extensionApi();
    body = fs.readFileSync(models.tiny);
    server = await ModelServer.start();
    server.serve(FILE_PATH, body);
  });

  after(async () => {
    await server?.close();
    for (const key of touched) await setSetting(key, undefined);
    await setSetting("modelPath", models.tiny);
  });

  const run = (arg: object) => vscode.commands.executeCommand<DownloadModelResult>("slm.downloadModel", arg);

  it("with slm.allowNetwork off, refuses and explains why, making no connection", async () => {
    await setSetting("allowNetwork", undefined);
    await setSetting("downloadMirror", server.url);
    const result = await run({ id: "test-tiny", use: "both" });
    assert.equal(result?.status, "refused");
    assert.equal(result.status === "refused" && result.kind, "networkDisabled");
    assert.match(result.status === "refused" ? result.message : "", /slm\.allowNetwork is off/);
    assert.equal(server.requests.length, 0, "a request reached the server");
  });

  it("with it on, downloads from the mirror into global storage (resuming a dropped connection), verifies it and uses it", async () => {
    await setSetting("allowNetwork", true);
    await setSetting("downloadMirror", server.url);
    await setSetting("downloadExtraModels", [
      { id: "test-tiny", name: "Tiny test model", repo: "test-org/Tiny-GGUF", file: "tiny.gguf", sha256: sha256(body), size: body.length },
    ]);
    server.dropConnection(Math.floor(body.length / 2));
    const result = await run({ id: "test-tiny", use: "both" });
    assert.ok(result?.status === "downloaded", `not downloaded: ${JSON.stringify(result)}`);
    assert.equal(result.sha256, sha256(body));
    assert.equal(result.use, "both");
    assert.equal(path.basename(result.path), "test-tiny.gguf");
    assert.ok(result.path.includes(EXTENSION_ID), `not in the extension's global storage: ${result.path}`);
    assert.ok(fs.readFileSync(result.path).equals(body), "the downloaded file is byte-identical");
    assert.deepEqual(fs.readdirSync(path.dirname(result.path)), ["test-tiny.gguf"], "a partial file was left behind");
    assert.deepEqual(server.requests.map((r) => r.status), [200, 206], "the dropped connection was resumed with a Range request");
    assert.equal(vscode.workspace.getConfiguration("slm").get("modelPath"), result.path);
    await waitForReady(api, result.path, "ready with the downloaded model");
  });

  it("does not download a verified copy again; 'chat' sets slm.chat.modelPath", async () => {
    const before = server.requests.length;
    const result = await run({ id: "test-tiny", use: "chat" });
    assert.ok(result?.status === "alreadyPresent", JSON.stringify(result));
    assert.equal(server.requests.length, before, "the server was asked again");
    assert.equal(vscode.workspace.getConfiguration("slm").get("chat.modelPath"), result.path);
  });
});
