import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import { extensionApi, setSetting, testModels, waitUntil } from "./helpers";

describe("slm.unloadAfterMinutes: idle unload, reload on demand", function () {
  this.timeout(60_000);
  let api: SlmApi;
  const models = testModels();

  before(async () => {
    api = await extensionApi();
    await setSetting("chat.maxAnswerTokens", 8);
    await setSetting("threads", 1);
    await setSetting("modelPath", models.tiny);
    await waitUntil(api, (s) => s.kind === "ready" && s.modelPath === models.tiny && s.threads === 1, "ready with the tiny model");
  });

  after(async () => {
    await setSetting("unloadAfterMinutes", undefined);
    await setSetting("chat.maxAnswerTokens", undefined);
    await setSetting("threads", undefined);
    await vscode.commands.executeCommand("slm.newChat");
    await vscode.commands.executeCommand("workbench.action.closeAllEditors");
  });

  it("unloads the model after the idle time, and a chat question loads it again", async () => {
    await setSetting("unloadAfterMinutes", 0.005); // 300 ms
    const unloaded = await waitUntil(api, (s) => s.kind === "unloaded", "the idle unload");
    assert.equal(unloaded.modelPath, models.tiny);
    await setSetting("unloadAfterMinutes", 0);
    const answer = await vscode.commands.executeCommand<{ role?: string } | undefined>("slm.openChat", { query: "Still there?" });
    assert.equal(answer?.role, "assistant");
    assert.equal(api.state().kind, "ready");
    assert.equal(api.state().modelPath, models.tiny);
  });
});
