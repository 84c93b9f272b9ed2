// Our chat model through VS Code's public language model API (vscode.lm), as another extension or
// VS Code's own chat uses it: listed with its facts, streamed, counted, cancelled, and an error in a
// sentence when no model is loaded.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import { extensionApi, setSetting, testModels, waitForReady, waitUntil } from "./helpers";
import { report } from "./report";

const VENDOR = "slm-assistant";
const ANSWER = "Hello from the chat model.";

async function ourModel(): Promise<vscode.LanguageModelChat> {
  const models = await vscode.lm.selectChatModels({ vendor: VENDOR });
  assert.equal(models.length, 1, `expected one ${VENDOR} model, got ${models.length}`);
  return models[0]!;
}

/** Waits until vscode.lm lists our model under `name` (the list refreshes after the engine's state changes). */
async function modelNamed(name: (n: string) => boolean, what: string): Promise<vscode.LanguageModelChat> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const model = await ourModel();
    if (name(model.name)) return model;
    if (Date.now() > deadline) throw new Error(`vscode.lm still lists "${model.name}", not ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Streams one long answer; with `source`, cancels it as soon as the first part arrives. */
async function streamParts(model: vscode.LanguageModelChat, source: vscode.CancellationTokenSource | undefined): Promise<{ parts: number; ms: number; afterCancelMs: number }> {
  const started = performance.now();
  const token = (source ?? new vscode.CancellationTokenSource()).token;
  const response = await model.sendRequest([vscode.LanguageModelChatMessage.User("Write a long story.")], {}, token);
  let parts = 0;
  let cancelledAt = 0;
  for await (const _part of response.stream) {
    parts++;
    if (source && parts === 1) {
      cancelledAt = performance.now();
      source.cancel();
    }
  }
  const ended = performance.now();
  return { parts, ms: ended - started, afterCancelMs: cancelledAt > 0 ? ended - cancelledAt : 0 };
}

describe("Language model provider (vscode.lm)", function () {
  this.timeout(120_000);
  let api: SlmApi;
  const models = testModels();

  before(async function () {
    if (!models.chat) this.skip();
    if (typeof (vscode.lm as { registerLanguageModelChatProvider?: unknown }).registerLanguageModelChatProvider !== "function") this.skip();
    api = await extensionApi();
    await setSetting("threads", 1);
    await setSetting("modelPath", models.tiny);
    await setSetting("chat.modelPath", models.chat);
    await waitUntil(api, (s) => s.kind === "ready" && s.lanes?.chat?.path === models.chat && s.threads === 1, "ready with the chat model");
  });

  after(async () => {
    for (const key of ["chat.modelPath", "chat.maxAnswerTokens", "chat.temperature", "threads"]) await setSetting(key, undefined);
    await setSetting("modelPath", models.tiny);
  });

  it("lists the loaded chat model: name, family, context split into input and output, no tools or images", async () => {
    const state = api.state();
    const model = await modelNamed((n) => n === state.lanes?.chat?.name, `the chat model (${state.lanes?.chat?.name})`);
    assert.equal(model.vendor, VENDOR);
    assert.equal(model.id, "local-chat");
    assert.equal(model.family, "llama");
    assert.ok(state.contextSize, "no context size in the state");
    assert.equal(model.maxInputTokens, state.contextSize - Math.min(1024, state.contextSize / 2));
    const information = model as unknown as { capabilities?: { supportsToolCalling?: boolean; supportsImageToText?: boolean } };
    if (information.capabilities) {
      assert.notEqual(information.capabilities.supportsToolCalling, true);
      assert.notEqual(information.capabilities.supportsImageToText, true);
    }
  });

  it("streams the answer in parts through sendRequest, with the model's template and our engine", async () => {
    const model = await ourModel();
    const started = performance.now();
    const response = await model.sendRequest([vscode.LanguageModelChatMessage.User("Say hello.")], {}, new vscode.CancellationTokenSource().token);
    const parts: string[] = [];
    for await (const part of response.stream) {
      assert.ok(part instanceof vscode.LanguageModelTextPart, "a part that is not text");
      parts.push(part.value);
    }
    assert.equal(parts.join("").trim(), ANSWER);
    assert.ok(parts.length >= 2, `the answer came in ${parts.length} part(s), not streamed`);
    report(`vscode.lm answer from the scripted chat model: ${parts.length} parts in ${(performance.now() - started).toFixed(0)} ms`);
  });

  it("counts tokens with the model's tokenizer", async () => {
    const model = await ourModel();
    const text = "def add(a, b):\n    return a + b\n";
    const count = await model.countTokens(text);
    assert.ok(count > 0 && count < text.length, `${count} tokens for ${text.length} characters`);
    assert.equal(await model.countTokens(""), 0);
    const twice = await model.countTokens(text + text);
    assert.ok(Math.abs(twice - 2 * count) <= 1, `${twice} tokens for the text twice, ${count} once`);
    assert.equal(await model.countTokens(vscode.LanguageModelChatMessage.User(text)), count);
  });

  it("stops generating when the caller cancels, and the next request is answered", async () => {
    // The tiny model's random weights never end an answer: only the cancellation can stop it early.
    // Greedy: a sampled end-of-text token would end the answer early.
    await setSetting("chat.temperature", 0);
    await setSetting("chat.maxAnswerTokens", 2048);
    await setSetting("chat.modelPath", models.tiny);
    await waitForReady(api, models.tiny, "the tiny model for chat", (s) => s.kind === "ready" && s.lanes?.chat?.path === models.tiny);
    const model = await modelNamed((n) => n === api.state().lanes?.chat?.name, "the tiny model");
    const whole = await streamParts(model, undefined);
    const source = new vscode.CancellationTokenSource();
    const cancelled = await streamParts(model, source);
    assert.ok(cancelled.parts < whole.parts / 2, `${cancelled.parts} parts after cancelling at the first, ${whole.parts} without cancelling`);
    report(
      `vscode.lm cancellation (tiny model, 1 thread): ${cancelled.parts} parts, stream ended ${cancelled.afterCancelMs.toFixed(0)} ms after cancel; ` +
        `uncancelled: ${whole.parts} parts in ${whole.ms.toFixed(0)} ms`,
    );

    await setSetting("chat.maxAnswerTokens", 8);
    const next = await model.sendRequest([vscode.LanguageModelChatMessage.User("Again.")], {}, new vscode.CancellationTokenSource().token);
    let text = "";
    for await (const part of next.text) text += part;
    assert.ok(text.length > 0, "no answer after a cancelled one");
  });

  it("with no model loaded, says so through the API's error (not an empty answer)", async () => {
    await setSetting("chat.modelPath", undefined);
    await setSetting("modelPath", "");
    await waitUntil(api, (s) => s.kind === "noModel", "no model");
    const model = await modelNamed((n) => /no model loaded/.test(n), "the no-model entry");
    let failure: unknown;
    try {
      const response = await model.sendRequest([vscode.LanguageModelChatMessage.User("Hello?")], {}, new vscode.CancellationTokenSource().token);
      for await (const _part of response.text) assert.fail("an answer without a model");
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof Error, "no error");
    assert.match(failure.message, /No chat model is loaded in SLM Assistant\. Choose one with “SLM: Select Chat Model…”/);
    await assert.rejects(Promise.resolve(model.countTokens("x")), /No chat model is loaded/);
  });
});
