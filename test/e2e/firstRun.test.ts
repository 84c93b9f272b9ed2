// First run as a person sees it: with no model the status bar asks for one and its menu lists the
// ways to get one; the walkthrough opens from the Command Palette with its steps, and its first
// button opens the file picker, where choosing the model makes it ready and ticks the step.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { chooseInFileDialog, frameWith, reloadWindow, runCommand, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings, statusName } from "./session";

const READY_TIMEOUT = 60_000;
const STEP_TITLES_NEXT_EDIT = "Next-edit suggestions";
const STEP_TITLES = ["Choose a model file", "Or scan a folder of models", "Or download a recommended model", "Try inline completion", "Chat about your code", "See what runs"];
const GET_A_MODEL = ["Choose a .gguf file…", "Scan a models folder…", "Download a recommended model…", "Open the walkthrough"];

describe("First run in the browser (installed VSIX)", function () {
  this.timeout(120_000);

  afterEach(screenshotOnFailure("first-run-"));

  after(async () => {
    const { page, models } = session();
    await page.keyboard.press("Escape");
    // Close the walkthrough: left open, it ticks steps when later suites change settings and takes
    // the focus, which closes their quick picks (seen in a screenshot of the models-folder test).
    const welcome = page.locator(".tabs-container .tab", { hasText: "Welcome" });
    if (await welcome.count()) {
      await welcome.first().click();
      await runCommand(page, "View: Close Editor");
      await welcome.waitFor({ state: "detached", timeout: 5_000 }).catch(() => undefined);
    }
    updateRemoteSettings({ "slm.modelPath": models.tiny });
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
  });

  it("with no model, the status bar says 'choose a model' and its menu offers the four ways to get one", async () => {
    const { page } = session();
    // From a working model to none, so that it is this change the status bar answers, not startup.
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    updateRemoteSettings({ "slm.modelPath": "" });
    const item = statusItem(page).filter({ hasText: "SLM: choose a model" });
    await item.waitFor({ timeout: READY_TIMEOUT });
    await item.hover();
    const hover = page.locator(".monaco-hover, .workbench-hover", { hasText: "No model is set yet" }).first();
    await hover.waitFor({ timeout: 10_000 });
    assert.match(await hover.innerText(), /scan a folder of models, download a recommended model, or open the walkthrough/);
    await screenshot("first-run-no-model-status");

    await item.click();
    const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
    await rows.filter({ hasText: GET_A_MODEL[0]! }).waitFor({ timeout: 10_000 });
    const labels = (await rows.locator(".label-name").allInnerTexts()).map((t) => t.trim());
    for (const action of GET_A_MODEL) assert.ok(labels.includes(action), `the menu has no "${action}": ${labels.join(" | ")}`);
    assert.deepEqual(labels.filter((l) => GET_A_MODEL.includes(l)), GET_A_MODEL, "the four actions are not in order");
    await screenshot("first-run-no-model-menu");
    await page.keyboard.press("Escape");
  });

  it("SLM: Get Started opens the walkthrough with its steps and the first step's page", async () => {
    const { page } = session();
    // Wide enough that the walkthrough shows each step's page beside the steps, as on a usual screen.
    const viewport = page.viewportSize();
    await page.setViewportSize({ width: 1920, height: 1000 });
    try {
      await runCommand(page, "SLM: Get Started");
      const container = page.locator(".gettingStartedContainer");
      await container.getByText("Get started with SLM Assistant").first().waitFor({ timeout: 15_000 });
      for (const title of STEP_TITLES) {
        await container.getByText(title, { exact: true }).first().waitFor({ timeout: 5_000 });
      }
      const media = await frameWith(page, "h1", "Choose a model file", 15_000);
      assert.ok(media, "the first step's page (media/walkthrough/chooseModel.md) is not shown");
      assert.match(await media.locator("body").innerText(), /Which model\?/);
      await screenshot("first-run-walkthrough");
    } finally {
      if (viewport) await page.setViewportSize(viewport);
    }
  });

  it("the first step's button opens the model file picker; choosing the model makes it ready and ticks the step", async () => {
    const { page, models, server } = session();
    const button = page.locator(".gettingStartedContainer").getByRole("button", { name: "Choose a .gguf File" });
    await button.waitFor({ timeout: 10_000 });
    await button.click();
    // code-server's file picker is VS Code's simple file dialog: a quick input taking a path.
    const widget = page.locator(".quick-input-widget", { hasText: "choose a GGUF model file" });
    await widget.locator(".quick-input-box input").waitFor({ timeout: 15_000 });
    await screenshot("first-run-file-picker");
    await chooseInFileDialog(page, models.tiny, "choose a GGUF model file");
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    assert.equal(server.readMachineSettings()["slm.modelPath"], models.tiny, "the picked model was not saved in the settings");
    const step = page.locator(".gettingStartedContainer button.getting-started-step", { hasText: STEP_TITLES[0]! });
    await step.locator(".codicon-getting-started-step-checked, .codicon-pass-filled").first().waitFor({ timeout: 10_000 });
    // Ticked from the state, not only by its own button: with a model working, there is nothing left to download.
    const download = page.locator(".gettingStartedContainer button.getting-started-step", { hasText: STEP_TITLES[2]! });
    await download.locator(".codicon-getting-started-step-checked, .codicon-pass-filled").first().waitFor({ timeout: 10_000 });
    await screenshot("first-run-model-chosen");
  });

  it("the scan-a-folder step's button: the chosen folder's models are listed, the list stays open while the step ticks, and picking one loads it", async function () {
    const { page, models, workspace, server } = session();
    if (!models.chat) this.skip();
    const folder = path.join(path.dirname(workspace), "walkthrough-models");
    fs.rmSync(folder, { recursive: true, force: true });
    fs.mkdirSync(folder, { recursive: true });
    fs.copyFileSync(models.chat, path.join(folder, "chat-model.gguf"));
    fs.copyFileSync(models.tiny, path.join(folder, "tiny-coder.gguf"));
    updateRemoteSettings({ "slm.modelsDirectory": undefined });

    const container = page.locator(".gettingStartedContainer");
    await container.getByText(STEP_TITLES[1]!, { exact: true }).first().click();
    const button = container.getByRole("button", { name: "Scan a Models Folder" });
    await button.waitFor({ timeout: 10_000 });
    await button.click();
    await chooseInFileDialog(page, folder, "choose a folder of GGUF models");

    const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
    const chat = rows.filter({ hasText: "chat-model.gguf" }).first();
    await chat.waitFor({ timeout: 15_000 });
    // The walkthrough ticks its step when the setting changes; the list must not close under the user.
    const step = container.locator("button.getting-started-step", { hasText: STEP_TITLES[1]! });
    await step.locator(".codicon-getting-started-step-checked, .codicon-pass-filled").first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(1_500);
    assert.ok(await chat.isVisible(), "the list of the folder's models closed by itself");
    await screenshot("first-run-scan-folder-list");
    await chat.click();
    await statusItem(page).filter({ hasText: "SLM · scripted model" }).waitFor({ timeout: READY_TIMEOUT });
    assert.equal(server.readMachineSettings()["slm.modelsDirectory"] ?? server.readSettings()["slm.modelsDirectory"], folder);
    updateRemoteSettings({ "slm.modelsDirectory": undefined });
  });

  it("opened after a reload, the walkthrough ticks a step already done before it opened (a next-edit model set)", async () => {
    const { page, models } = session();
    // A fresh window without the walkthrough open: VS Code's walkthrough service starts only when a walkthrough opens.
    await runCommand(page, "View: Close All Editors");
    updateRemoteSettings({ "slm.modelPath": models.tiny });
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    await reloadWindow();
    updateRemoteSettings({ "slm.nextEdit.modelPath": models.tiny });
    try {
      await page.waitForTimeout(1_000);
      await runCommand(page, "SLM: Get Started");
      const step = page.locator(".gettingStartedContainer button.getting-started-step", { hasText: STEP_TITLES_NEXT_EDIT });
      await step.locator(".codicon-getting-started-step-checked, .codicon-pass-filled").first().waitFor({ timeout: 10_000 });
      await screenshot("first-run-walkthrough-from-state");
    } finally {
      updateRemoteSettings({ "slm.nextEdit.modelPath": undefined });
    }
  });
});
