// The models-folder picker as a person uses it: slm.modelsDirectory names a folder, SLM: Select
// Model… lists its models with what each header says (no weights loaded), a broken file shows
// why it cannot be used, and picking a model loads it.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { runCommand, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings, statusName } from "./session";

const READY_TIMEOUT = 60_000;

describe("Select Model from a models folder in the browser (installed VSIX)", function () {
  // The folder is left in .test-run (removed by the next run's before hook): deleting it while the
  // editor still switches back to the tiny model would race that switch.
  this.timeout(120_000);
  let folder: string;
  afterEach(screenshotOnFailure("picker-"));

  before(function () {
    const { models, workspace } = session();
    if (!models.chat) this.skip();
    folder = path.join(path.dirname(workspace), "picker-models");
    fs.rmSync(folder, { recursive: true, force: true });
    fs.mkdirSync(path.join(folder, "coder"), { recursive: true });
    fs.copyFileSync(models.tiny, path.join(folder, "coder", "tiny-coder.gguf"));
    fs.copyFileSync(models.chat, path.join(folder, "chat-model.gguf"));
    fs.copyFileSync(models.nonGguf, path.join(folder, "unfinished-download.gguf"));
  });

  after(async () => {
    const { page, models } = session();
    await page.keyboard.press("Escape");
    updateRemoteSettings({ "slm.modelsDirectory": undefined, "slm.modelPath": models.tiny });
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
  });

  it("lists each model with its header facts and a broken file with its reason; picking one loads it", async () => {
    const { page, server } = session();
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    updateRemoteSettings({ "slm.modelsDirectory": folder });

    // The workbench reads the remote settings file when it changes, some time later: until the
    // extension sees the folder, the command offers a file dialog. So the command is run again
    // until the folder's list shows, as a person would after a moment.
    const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
    const tiny = rows.filter({ hasText: "coder/tiny-coder.gguf" }).first();
    const listed = Date.now() + 30_000;
    for (;;) {
      await runCommand(page, "SLM: Select Model…");
      const shown = await tiny.waitFor({ timeout: 5_000 }).then(() => true, () => false);
      if (shown) break;
      if (Date.now() > listed) assert.fail("SLM: Select Model… never listed the models folder (slm.modelsDirectory) within 30 s");
      await page.keyboard.press("Escape");
      await page.waitForTimeout(500);
    }
    const tinyText = (await tiny.innerText()).replace(/\u00a0/g, " ");
    assert.match(tinyText, new RegExp(TINY_MODEL_NAME.replace(/[()]/g, (c) => `\\${c}`)));
    assert.match(tinyText, /llama · [\d.]+[KM]? params · F16 · \d+ (KB|MB) · 4,096-token context · FIM · chat$/m);
    const broken = rows.filter({ hasText: "unfinished-download.gguf" }).first();
    assert.match(await broken.innerText(), /This file is not a GGUF model file/);
    assert.ok(await rows.filter({ hasText: "Browse…" }).count(), "no Browse… row");
    await page.waitForTimeout(1_500);
    assert.ok(await tiny.isVisible(), "the list of the folder's models closed by itself");
    await screenshot("picker-models-folder");

    // Another model than the one running, so the status bar visibly changes to it.
    await rows.filter({ hasText: "chat-model.gguf" }).first().click();
    const picked = path.join(folder, "chat-model.gguf");
    const deadline = Date.now() + 10_000;
    const saved = () => server.readMachineSettings()["slm.modelPath"];
    while (saved() !== picked && Date.now() < deadline) await page.waitForTimeout(100);
    assert.equal(saved(), picked);
    await statusItem(page).filter({ hasText: "SLM · scripted model" }).waitFor({ timeout: READY_TIMEOUT });
  });
});
