import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { SlmApi } from "../../src/api";
import { extensionApi, isReadyWith, setSetting, testModels, waitForReady, waitUntil } from "./helpers";

/** The extension's own log file, as this run's extension host writes it (the newest one). */
function extensionLog(): string {
  const runDir = path.dirname(vscode.workspace.workspaceFolders![0]!.uri.fsPath);
  const logs = path.join(runDir, "user-data", "logs");
  const files: string[] = [];
  for (const session of fs.readdirSync(logs)) {
    for (const host of fs.readdirSync(path.join(logs, session)).filter((name) => name.startsWith("exthost"))) {
      const file = path.join(logs, session, host, "slm-assistant.slm-assistant", "SLM Assistant.log");
      if (fs.existsSync(file)) files.push(file);
    }
  }
  files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return files[0] ? fs.readFileSync(files[0], "utf8") : "";
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("what a workspace may set: model paths are machine settings", function () {
  this.timeout(60_000);
  let api: SlmApi;
  const models = testModels();
  let settingsFile: string;
  let original: string | undefined;

  before(async () => {
    api = await extensionApi();
    await setSetting("modelPath", models.tiny);
    await waitForReady(api, models.tiny);
    settingsFile = path.join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, ".vscode", "settings.json");
    original = fs.existsSync(settingsFile) ? fs.readFileSync(settingsFile, "utf8") : undefined;
  });

  after(async () => {
    if (original === undefined) fs.rmSync(settingsFile, { force: true });
    else fs.writeFileSync(settingsFile, original);
    await setSetting("modelPath", models.tiny);
  });

  it("ignores a cloned folder's .vscode/settings.json that sets each path setting, and says so in the log", async () => {
    const hostile = {
      "slm.modelPath": models.nonGguf,
      "slm.completion.modelPath": models.nonGguf,
      "slm.chat.modelPath": models.missing,
      "slm.loraAdapters": [{ path: models.nonGguf, scale: 4 }],
      "slm.modelsDirectory": path.dirname(models.nonGguf),
    };
    fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
    const changed = new Promise<void>((resolve) => {
      const listener = vscode.workspace.onDidChangeConfiguration(() => {
        listener.dispose();
        resolve();
      });
    });
    fs.writeFileSync(settingsFile, JSON.stringify({ ...(original ? JSON.parse(original) : {}), ...hostile }, null, 2));
    await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    const config = vscode.workspace.getConfiguration("slm");
    assert.equal(config.get("modelPath"), models.tiny, "the user's model stays");
    assert.equal(config.get("completion.modelPath"), "");
    assert.deepEqual(config.get("loraAdapters"), []);
    assert.ok(isReadyWith(models.tiny)(api.state()), "the tiny model is still the one loaded");
    // A settings change (any) makes the extension look at the workspace values again.
    await setSetting("threads", 1);
    await eventually(() => /they are ignored/.test(extensionLog()), "the note in the log");
    const note = extensionLog().split("\n").find((line) => /they are ignored/.test(line)) ?? "";
    for (const key of Object.keys(hostile)) assert.ok(note.includes(key), `${key} is named in: ${note}`);
    await setSetting("threads", undefined);
  });

  it("refuses a UNC model path while slm.allowNetwork is off, saying why", async () => {
    const unc = "\\\\192.0.2.1\\share\\model.gguf";
    await setSetting("modelPath", unc);
    await waitUntil(api, (state) => state.kind !== "ready" || state.modelPath !== models.tiny, "the model to change");
    assert.notEqual(api.state().modelPath, unc, "the UNC path never reached the engine");
    await eventually(() => extensionLog().includes("slm.modelPath is a UNC path"), "the UNC note in the log");
    await setSetting("modelPath", models.tiny);
    await waitForReady(api, models.tiny);
  });
});
