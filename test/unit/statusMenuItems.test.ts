import * as assert from "node:assert/strict";
import { Commands } from "../../src/commands/ids";
import { GET_A_MODEL, statusMenuItems } from "../../src/commands/statusMenuItems";
import type { EngineState } from "../../src/engine/types";

const commandsOf = (state: EngineState) => statusMenuItems(state).flatMap((item) => (item.command ? [item.command] : []));

describe("status bar menu rows", () => {
  it("with no model, offers the four ways to get one first: a file, a folder, a download, the walkthrough", () => {
    const items = statusMenuItems({ kind: "noModel", notices: [] });
    assert.equal(items[0]!.label, "$(circle-slash) No model is set");
    assert.equal(items[1]!.separator, true);
    assert.deepEqual(
      items.slice(2, 6).map((item) => item.command),
      [Commands.selectModel, Commands.chooseModelsFolder, Commands.downloadModel, Commands.openWalkthrough],
    );
    assert.deepEqual(items.slice(2, 6), GET_A_MODEL);
    assert.match(items[4]!.detail ?? "", /slm\.allowNetwork/);
    assert.deepEqual(commandsOf({ kind: "noModel", notices: [] }).slice(4), [Commands.showLog, Commands.openSettings]);
    assert.ok(!commandsOf({ kind: "noModel", notices: [] }).includes(Commands.reloadModel), "nothing to reload without a model");
  });

  it("with a model ready, says so and offers Select Model and Reload instead", () => {
    const state: EngineState = { kind: "ready", modelName: "Qwen", modelPath: "/m/q.gguf", contextSize: 4096, threads: 2, gpu: "cpu", notices: [] };
    const items = statusMenuItems(state);
    assert.equal(items[0]!.label, "$(check) Qwen is ready");
    assert.equal(items[0]!.detail, "/m/q.gguf · 4096 tokens · threads: 2 · cpu");
    // The same count as the status tooltip and the runtime report, including automatic threads in use.
    const busy = statusMenuItems({ ...state, threadsInUse: 1, otherCpuCores: 1 });
    assert.match(busy[0]!.detail ?? "", /threads: 1 of 2 \(other programs are using about 1\.0 CPU cores\)/);
    assert.deepEqual(commandsOf(state), [
      Commands.selectModel,
      Commands.selectCompletionModel,
      Commands.selectChatModel,
      Commands.reloadModel,
      Commands.showLog,
      Commands.openSettings,
    ]);
  });

  it("names the model each feature runs on beside Select Completion / Chat Model", () => {
    const state: EngineState = {
      kind: "ready",
      modelName: "Base + Instruct",
      lanes: { completion: { path: "/m/base.gguf", name: "Base" }, chat: { path: "/m/instruct.gguf", name: "Instruct" } },
      notices: [],
    };
    const detail = (command: string) => statusMenuItems(state).find((item) => item.command === command)?.detail;
    assert.equal(detail(Commands.selectCompletionModel), "Now: Base. A model for completion only (slm.completion.modelPath).");
    assert.equal(detail(Commands.selectChatModel), "Now: Instruct. A model for chat only (slm.chat.modelPath).");
  });

  it("shows a load error with its message, and adjusted settings as warnings", () => {
    const state: EngineState = {
      kind: "error",
      modelPath: "/m/x.gguf",
      error: { message: "x.gguf is not a GGUF model file.", code: "notGguf" },
      notices: ["slm.contextSize was lowered to 2048."],
    };
    const items = statusMenuItems(state);
    assert.deepEqual(items.slice(0, 2).map((item) => [item.label, item.detail]), [
      ["$(error) The model failed to load", "x.gguf is not a GGUF model file."],
      ["$(warning) Note", "slm.contextSize was lowered to 2048."],
    ]);
    assert.ok(commandsOf(state).includes(Commands.selectModel));
  });

  it("says an unloaded model is unloaded, not missing", () => {
    const items = statusMenuItems({ kind: "unloaded", modelName: "Qwen", modelPath: "/m/q.gguf", notices: [] });
    assert.equal(items[0]!.label, "$(debug-pause) Qwen is unloaded");
    assert.ok(!items.some((item) => item.command === Commands.chooseModelsFolder));
  });

  it("names a feature whose own model failed, with the command that picks another one for it", () => {
    const error = { message: '"/m/x.gguf" is not a GGUF model file.', code: "notGguf" as const };
    const items = statusMenuItems({ kind: "ready", modelName: "Qwen", lanes: { completion: { path: "/m/q.gguf", name: "Qwen" } }, laneErrors: { chat: error }, notices: [] });
    const row = items.find((item) => item.label === "$(error) The chat model failed to load");
    assert.deepEqual(row, { label: "$(error) The chat model failed to load", detail: error.message, command: Commands.selectChatModel });
  });
});
