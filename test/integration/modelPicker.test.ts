import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import type { ModelPick } from "../../src/commands/modelPicks";
import { extensionApi, setSetting, testModels, TINY_MODEL_NAME, waitForReady } from "./helpers";

type ShowQuickPick = typeof vscode.window.showQuickPick;

describe("Select Model: the models folder picker", function () {
  this.timeout(60_000);
  let api: SlmApi;
  let folder: string;
  const models = testModels();
  const original: ShowQuickPick = vscode.window.showQuickPick;
  let shown: { items: readonly ModelPick[]; options: vscode.QuickPickOptions | undefined }[] = [];

  /** Replaces the picker with one that records its rows and picks the first row `choose` accepts. */
  const answerWith = (choose: (pick: ModelPick) => boolean) => {
    (vscode.window as { showQuickPick: unknown }).showQuickPick = async (items: readonly ModelPick[] | Thenable<readonly ModelPick[]>, options?: vscode.QuickPickOptions) => {
      const rows = await items;
      shown.push({ items: rows, options });
      return rows.find(choose);
    };
  };

  before(async () => {
    api = await extensionApi();
    folder = fs.mkdtempSync(path.join(os.tmpdir(), "slm-models-"));
    fs.mkdirSync(path.join(folder, "nested"));
    fs.copyFileSync(models.tiny, path.join(folder, "nested", "picked.gguf"));
    fs.copyFileSync(models.nonGguf, path.join(folder, "broken.gguf"));
    for (let i = 0; i < 2_000; i++) fs.writeFileSync(path.join(folder, `note${i}.txt`), "");
    fs.symlinkSync(folder, path.join(folder, "nested", "loop"));
  });

  after(async () => {
    (vscode.window as { showQuickPick: unknown }).showQuickPick = original;
    await setSetting("modelsDirectory", undefined);
    await setSetting("modelPath", models.tiny);
    fs.rmSync(folder, { recursive: true, force: true });
  });

  beforeEach(() => {
    shown = [];
  });

  it("lists the folder's models with their header facts and broken files with the reason, then loads the one picked", async () => {
    await setSetting("modelsDirectory", folder);
    answerWith((pick) => pick.action.kind === "use");
    await vscode.commands.executeCommand("slm.selectModel");
    assert.equal(shown.length, 1);
    const rows = shown[0]!.items;
    assert.deepEqual(rows.map((row) => row.label), [TINY_MODEL_NAME, "$(error) broken.gguf", "$(folder-opened) Browse…"]);
    assert.equal(rows[0]!.description, path.join("nested", "picked.gguf"));
    assert.match(rows[0]!.detail ?? "", /^llama · [\d.]+[KM] params · F16 · \d+ MB · 4,096-token context · FIM · chat$/);
    assert.match(rows[1]!.detail ?? "", /is not a GGUF model file/);
    const picked = path.join(folder, "nested", "picked.gguf");
    assert.equal(vscode.workspace.getConfiguration("slm").get("modelPath"), picked);
    const state = await waitForReady(api, picked, "ready with the picked model");
    assert.equal(state.modelName, TINY_MODEL_NAME);
  });

  it("marks the model in use, and says so when the folder does not exist", async () => {
    answerWith(() => false);
    await vscode.commands.executeCommand("slm.selectModel");
    assert.equal(shown[0]!.items[0]!.label, `$(check) ${TINY_MODEL_NAME}`);
    await setSetting("modelsDirectory", path.join(folder, "gone"));
    await vscode.commands.executeCommand("slm.selectModel");
    assert.match(shown[1]!.items[0]!.detail ?? "", /does not exist\. Check slm\.modelsDirectory\./);
    assert.equal(shown[1]!.items.at(-1)!.action.kind, "browse");
  });
});
