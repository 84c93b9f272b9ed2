// What a person sees: the status bar tells them whether the model is ready, and a bad model file
// produces an error that names the file and offers a way out; a good file recovers without a reload.
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { chooseInFileDialog, screenshot, screenshotOnFailure, session, statusItem, statusName, toasts, updateRemoteSettings } from "./session";

const READY_TIMEOUT = 60_000;

describe("Model status in the editor (installed VSIX)", function () {
  this.timeout(120_000);

  afterEach(screenshotOnFailure());

  it("shows the tiny model as ready in the status bar", async () => {
    const { page } = session();
    const item = statusItem(page);
    await item.filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    assert.match((await item.innerText()).trim(), new RegExp(`SLM · ${escapeRegExp(statusName(TINY_MODEL_NAME))}`));
    await screenshot("ready");
  });

  it("names the file in an error notification and the status bar when the model path is bad", async () => {
    const { page, models } = session();
    updateRemoteSettings({ "slm.modelPath": models.nonGguf });
    const name = path.basename(models.nonGguf);
    const toast = toasts(page, name).first();
    await toast.waitFor({ timeout: READY_TIMEOUT });
    const message = await toast.locator(".notification-list-item-message").innerText();
    assert.match(message, /^SLM Assistant: /);
    assert.ok(message.includes(name), `the notification does not name ${name}: ${message}`);
    const choose = toast.getByRole("button", { name: "Choose Another Model…" });
    assert.equal(await choose.count(), 1, "no 'Choose Another Model…' button on the notification");
    await statusItem(page).filter({ hasText: "SLM: model error" }).waitFor({ timeout: 10_000 });
    await screenshot("bad-model-error");
  });

  it("names a missing file too", async () => {
    const { page, models } = session();
    updateRemoteSettings({ "slm.modelPath": models.missing });
    const name = path.basename(models.missing);
    await toasts(page, name).first().waitFor({ timeout: READY_TIMEOUT });
    await statusItem(page).filter({ hasText: "SLM: model error" }).waitFor({ timeout: 10_000 });
    await screenshot("missing-model-error");
  });

  it("'Choose Another Model…' on the notification opens a file picker; picking the good model makes it ready", async () => {
    const { page, models } = session();
    const toast = toasts(page, path.basename(models.missing)).first();
    await toast.getByRole("button", { name: "Choose Another Model…" }).click();
    // code-server's file picker is VS Code's simple file dialog: a quick input taking a path.
    await page.locator(".quick-input-widget .quick-input-box input").waitFor({ timeout: 15_000 });
    await screenshot("choose-model-dialog");
    await chooseInFileDialog(page, models.tiny);
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    assert.equal(session().server.readMachineSettings()["slm.modelPath"], models.tiny, "the picked model was not saved in the settings");
    await screenshot("picked-model-ready");
  });

  it("returns to ready when a good model is set again in the settings file, without reloading the window", async () => {
    const { page, models } = session();
    updateRemoteSettings({ "slm.modelPath": models.nonGguf });
    await statusItem(page).filter({ hasText: "SLM: model error" }).waitFor({ timeout: READY_TIMEOUT });
    const marker = await page.evaluate(() => ((globalThis as { __slmE2E?: number }).__slmE2E = Date.now()));
    updateRemoteSettings({ "slm.modelPath": models.tiny });
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    const same = await page.evaluate(() => (globalThis as { __slmE2E?: number }).__slmE2E);
    assert.equal(same, marker, "the window was reloaded");
    await screenshot("ready-again");
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
