// slm.completion.modelPath / slm.chat.modelPath and slm.loraAdapters inside the real extension
// host: each feature runs on its own model, one load when they are the same file, and a LoRA
// adapter made for another model is refused with a sentence, then removing it recovers.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import type { ChatTurn } from "../../src/chat/protocol";
import { extensionApi, setSetting, testModels, waitForReady, waitUntil } from "./helpers";

describe("Separate completion and chat models, LoRA adapters", function () {
  let api: SlmApi;
  const models = testModels();

  before(async function () {
    if (!models.chat || !models.lora || !models.foreignLora) this.skip();
    api = await extensionApi();
    await setSetting("modelPath", models.tiny);
    await waitForReady(api, models.tiny, "ready with the tiny model");
    await setSetting("chat.maxAnswerTokens", 32);
  });

  after(async () => {
    for (const key of ["chat.modelPath", "completion.modelPath", "loraAdapters", "chat.maxAnswerTokens"]) await setSetting(key, undefined);
    await setSetting("modelPath", models.tiny);
    await vscode.commands.executeCommand("slm.newChat");
  });

  it("slm.chat.modelPath runs chat on its own model while completion keeps slm.modelPath", async () => {
    await setSetting("chat.modelPath", models.chat);
    const state = await waitUntil(api, (s) => s.kind === "ready" && s.lanes?.chat?.path === models.chat, "ready with the chat model for chat");
    assert.equal(state.lanes?.completion?.path, models.tiny);
    assert.match(state.modelName ?? "", / \+ /, "the status names both models");

    await vscode.commands.executeCommand("slm.newChat");
    const answer = await vscode.commands.executeCommand<ChatTurn>("slm.openChat", { query: "Who are you?" });
    assert.equal(answer?.text.trim(), "Hello from the chat model.");
  });

  it("a broken chat model: chat says why, naming the file, and completion keeps its model", async () => {
    await setSetting("chat.modelPath", models.nonGguf);
    const state = await waitUntil(api, (s) => s.kind === "ready" && s.laneErrors?.chat !== undefined, "ready with a chat error");
    assert.equal(state.lanes?.completion?.path, models.tiny);
    assert.equal(state.laneErrors?.chat?.code, "notGguf");
    assert.ok(state.laneErrors.chat.message.includes(models.nonGguf));
    await vscode.commands.executeCommand("slm.newChat");
    const answer = await vscode.commands.executeCommand<ChatTurn>("slm.openChat", { query: "Who are you?" });
    assert.equal(answer?.end, "error");
    assert.match(answer?.notes?.join(" ") ?? "", /not a GGUF model file/);
  });

  it("the same file for both features is loaded once", async () => {
    await setSetting("chat.modelPath", models.tiny);
    const state = await waitUntil(api, (s) => s.kind === "ready" && s.lanes?.chat?.path === models.tiny, "ready with one model");
    assert.equal(state.lanes?.completion?.path, models.tiny);
    assert.doesNotMatch(state.modelName ?? "", / \+ /);
  });

  it("a LoRA adapter made for another model: an error in a sentence, and removing it recovers", async () => {
    await setSetting("chat.modelPath", undefined);
    await setSetting("loraAdapters", [{ path: models.foreignLora }]);
    const failed = await waitUntil(api, (s) => s.kind === "error", "an error for the foreign adapter");
    assert.equal(failed.error?.code, "badAdapter");
    assert.match(failed.error.message, /does not fit SLM demo model \(random weights\): it was made for a different model/);

    await setSetting("loraAdapters", [{ path: models.lora, scale: 0.5 }]);
    const state = await waitUntil(api, (s) => s.kind === "ready", "ready with the tiny model's own adapter");
    assert.deepEqual(state.loraAdapters, [{ path: models.lora, scale: 0.5 }]);
  });
});
