// Separate completion and chat models as a person sets them up: status bar menu → Select Chat
// Model… → the file picker; the status bar then names both models and its tooltip says which
// feature runs on which file.
import * as assert from "node:assert/strict";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { chooseInFileDialog, reloadWindow, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings, statusName } from "./session";

const READY_TIMEOUT = 60_000;
const CHAT_MODEL_NAME = "SLM scripted model (constructed weights)";

describe("Separate chat model in the browser (installed VSIX)", function () {
  this.timeout(120_000);
  afterEach(screenshotOnFailure("separate-models-"));

  before(function () {
    if (!session().models.chat) this.skip();
  });

  after(async () => {
    const { page, server } = session();
    await page.keyboard.press("Escape");
    // The picked model went to the user settings (nothing set slm.chat.modelPath before).
    const settings = server.readSettings();
    delete settings["slm.chat.modelPath"];
    server.writeSettings(settings);
    updateRemoteSettings({ "slm.chat.modelPath": undefined });
    await reloadWindow(READY_TIMEOUT);
  });

  it("Select Chat Model… from the status bar menu runs chat on another file; the status bar names both", async () => {
    const { page, models, server } = session();
    const item = statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` });
    await item.waitFor({ timeout: READY_TIMEOUT });
    await item.click();
    const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
    const chatRow = rows.filter({ hasText: "Select Chat Model…" }).first();
    await chatRow.waitFor({ timeout: 10_000 });
    assert.match(await chatRow.innerText(), /Now: SLM demo model \(random weights\)\. A model for chat only \(slm\.chat\.modelPath\)/);
    await chatRow.click();

    await chooseInFileDialog(page, models.chat!, "choose the chat model (a GGUF file)");

    const both = statusItem(page).filter({ hasText: " + " });
    await both.waitFor({ timeout: READY_TIMEOUT });
    assert.match((await both.innerText()).trim(), /SLM · demo model \(random weig… \+ scripted model \(constru… · CPU/);
    const saved = (key: string) => server.readMachineSettings()[key] ?? server.readSettings()[key];
    assert.equal(saved("slm.chat.modelPath"), models.chat, "the chat model was not saved in slm.chat.modelPath");
    assert.equal(saved("slm.modelPath"), models.tiny, "completion's model changed");

    await both.hover();
    const hover = page.locator(".monaco-hover, .workbench-hover", { hasText: "Completion:" }).first();
    await hover.waitFor({ timeout: 10_000 });
    const tooltip = (await hover.innerText()).replace(/\u00a0/g, " ");
    assert.ok(tooltip.includes(`Completion: ${TINY_MODEL_NAME}`), tooltip);
    assert.ok(tooltip.includes(`Chat: ${CHAT_MODEL_NAME}`), tooltip);
    await screenshot("separate-models-status");
  });
});
