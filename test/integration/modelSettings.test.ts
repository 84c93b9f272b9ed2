import * as assert from "node:assert/strict";
import * as path from "node:path";
import type { SlmApi } from "../../src/api";
import type { EngineState } from "../../src/engine/types";
import { extensionApi, setSetting, testModels, TINY_MODEL_NAME, waitForReady, waitUntil } from "./helpers";

describe("Model settings, changed live", function () {
  let api: SlmApi;
  const models = testModels();

  before(async () => {
    api = await extensionApi();
  });

  after(async () => {
    for (const key of ["threads", "contextSize"]) await setSetting(key, undefined);
    await setSetting("modelPath", models.tiny);
  });

  const errorNaming = (file: string) => (state: EngineState) =>
    state.kind === "error" && (state.error?.message ?? "").includes(path.basename(file));

  it("reaches ready with the model's name when slm.modelPath names the tiny model", async () => {
    await setSetting("modelPath", models.tiny);
    const state = await waitForReady(api, models.tiny, "ready with the tiny model");
    assert.equal(state.modelName, TINY_MODEL_NAME);
    assert.ok(state.contextSize && state.contextSize > 0, "ready state has no context size");
    assert.ok(state.threads && state.threads > 0, "ready state has no thread count");
    // The documented helper agrees with the state.
    assert.equal((await api.waitFor("ready", 1000)).modelPath, models.tiny);
  });

  it("reports an error naming the file when the model file does not exist", async () => {
    await setSetting("modelPath", models.missing);
    const state = await waitUntil(api, errorNaming(models.missing), "an error naming the missing file");
    assert.equal(state.error?.code, "missing");
  });

  it("reports an error naming the file when the file is not a GGUF model", async () => {
    await setSetting("modelPath", models.nonGguf);
    const state = await waitUntil(api, errorNaming(models.nonGguf), "an error naming the non-GGUF file");
    assert.equal(state.error?.code, "notGguf");
  });

  it("reports an error naming the file when the model is truncated", async function () {
    if (!models.truncated) this.skip();
    const truncated = models.truncated;
    await setSetting("modelPath", truncated);
    const state = await waitUntil(api, errorNaming(truncated), "an error naming the truncated file");
    assert.equal(state.error?.code, "truncated");
  });

  it("recovers to ready when a good model is set again, without a reload", async () => {
    assert.equal(api.state().kind, "error", "precondition: the previous test left an error");
    await setSetting("modelPath", models.tiny);
    const state = await waitForReady(api, models.tiny, "ready with the tiny model again");
    assert.equal(state.modelName, TINY_MODEL_NAME);
    assert.equal(state.error, undefined);
  });

  it("reloads with the new context size when slm.contextSize changes", async () => {
    await waitForReady(api, models.tiny, "ready before the change");
    const wanted = api.state().contextSize === 256 ? 320 : 256;
    await setSetting("contextSize", wanted);
    const state = await waitForReady(api, models.tiny, `ready with contextSize ${wanted}`, (s) => s.kind === "ready" && s.contextSize === wanted);
    assert.equal(state.modelPath, models.tiny);
  });

  it("reloads with the new thread count when slm.threads changes", async () => {
    await waitForReady(api, models.tiny, "ready before the change");
    const { threads: before, contextSize } = api.state();
    const wanted = before === 1 ? 2 : 1;
    await setSetting("threads", wanted);
    const state = await waitForReady(api, models.tiny, `ready with threads ${wanted}`, (s) => s.kind === "ready" && s.threads === wanted);
    assert.equal(state.modelPath, models.tiny);
    assert.equal(state.contextSize, contextSize, "the context size from the previous change was lost");
  });
});
