// A completion model that cannot fill in the middle, in the real extension host: the user hears
// it when the model is chosen, not at the first keystroke that silently suggests nothing.
import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import { extensionApi, setSetting, testModels, waitForReady, waitUntil } from "./helpers";

type ShowWarning = typeof vscode.window.showWarningMessage;

describe("A completion model without fill-in-the-middle", function () {
  this.timeout(60_000);
  let api: SlmApi;
  const models = testModels();
  const original: ShowWarning = vscode.window.showWarningMessage;
  const warnings: string[] = [];

  before(async function () {
    if (!models.noFim) this.skip();
    api = await extensionApi();
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = async (message: string) => {
      warnings.push(message);
      return undefined;
    };
  });

  after(async () => {
    (vscode.window as { showWarningMessage: unknown }).showWarningMessage = original;
    await setSetting("modelPath", models.tiny);
    await waitForReady(api, models.tiny, "ready with the tiny model again");
  });

  it("says so as soon as it is chosen, naming the model and why, before any typing", async () => {
    const calls = api.completion!.modelCalls();
    await setSetting("modelPath", models.noFim);
    await waitUntil(api, (s) => s.kind === "ready" && s.lanes?.completion?.path === models.noFim, "ready with the no-FIM model");
    const deadline = Date.now() + 10_000;
    while (!warnings.some((w) => w.includes("inline completion is off")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const warning = warnings.find((w) => w.includes("inline completion is off"));
    assert.ok(warning, `no warning; shown: ${warnings.join(" | ")}`);
    assert.match(warning, /TinyLlama-1\.1B-Chat \(random weights\).* has no fill-in-the-middle tokens/);
    assert.equal(api.completion!.modelCalls(), calls, "no completion was asked for");
    assert.equal(warnings.filter((w) => w.includes("inline completion is off")).length, 1, "said once");
    assert.equal(api.completion!.activity().kind, "dropped", "the completion status says why");
  });

  it("a model that can fill in the middle clears that reason from the completion status", async () => {
    await setSetting("modelPath", models.tiny);
    await waitForReady(api, models.tiny, "ready with the tiny model");
    const deadline = Date.now() + 10_000;
    while (api.completion!.activity().kind === "dropped" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.equal(api.completion!.activity().kind, "idle", JSON.stringify(api.completion!.activity()));
  });
});
