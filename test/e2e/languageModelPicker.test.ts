// VS Code's own chat and our model: does code-server's workbench list the model we provide
// (contributes.languageModelChatProviders) in its chat model picker? The other specs switch VS
// Code's chat off (chat.disableAIFeatures); this one switches it on, opens the chat as a person
// does, and reports what the workbench shows. Found in code-server 4.139.1: the chat view's Models
// picker asks to sign in to Copilot and lists no model, while Chat: Manage Language Models lists ours.
import * as assert from "node:assert/strict";
import { reloadWindow, runCommand, screenshot, screenshotOnFailure, session } from "./session";

/** The words the picker shows for our model (the vendor's display name or the model's name). */
const OURS = /SLM|demo model/;

describe("VS Code's chat model picker (installed VSIX, chat.disableAIFeatures off)", function () {
  this.timeout(180_000);

  afterEach(screenshotOnFailure("lm-picker-"));

  before(async () => {
    const { server } = session();
    server.writeSettings({ ...server.readSettings(), "chat.disableAIFeatures": false });
    await reloadWindow();
  });

  after(async () => {
    const { server, page } = session();
    await page.keyboard.press("Escape");
    const settings = server.readSettings();
    delete settings["chat.disableAIFeatures"];
    server.writeSettings({ ...settings, "chat.disableAIFeatures": true });
    await runCommand(page, "View: Close All Editors").catch(() => undefined);
    await reloadWindow();
  });

  it("VS Code's chat view: its Models picker lists our model, or asks to sign in to Copilot first (reported)", async () => {
    const { page } = session();
    await runCommand(page, "Chat: Open Chat").catch(() => runCommand(page, "View: Toggle Chat"));
    const input = page.locator(".interactive-input-part").first();
    await input.waitFor({ timeout: 20_000 });
    await page.waitForTimeout(1_000);
    await screenshot("lm-picker-chat-view");
    const picker = input.locator(".action-item", { hasText: /Models|SLM|demo model/ }).first();
    await picker.waitFor({ timeout: 10_000 });
    await picker.click();
    const rows = page.locator(".action-widget .monaco-list-row");
    await rows.first().waitFor({ timeout: 10_000 });
    await page.waitForTimeout(500);
    const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean);
    await screenshot("lm-picker-open");
    const listed = labels.some((label) => OURS.test(label));
    console.log(`      the chat view's model picker ${listed ? "lists our model" : "does not list our model"}: ${labels.join(" | ")}`);
    // code-server 4.139.1 (VS Code 1.139.1) shows only "Sign in to use Copilot" here, with our model
    // registered (the test below finds it under Manage Language Models).
    assert.ok(listed || labels.some((label) => /Sign in to use Copilot/.test(label)), `neither our model nor a sign-in: ${labels.join(" | ")}`);
    await page.keyboard.press("Escape");
  });

  it("Chat: Manage Language Models lists our model with its context size", async () => {
    const { page } = session();
    await runCommand(page, "Chat: Manage Language Models");
    const row = page.locator(".monaco-list-row, .monaco-table-tr, tr", { hasText: OURS }).first();
    await row.waitFor({ timeout: 15_000 });
    const text = (await row.innerText()).replace(/\s+/g, " ").trim();
    await screenshot("lm-picker-manage");
    console.log(`      Manage Language Models lists: ${text}`);
    assert.match(text, /demo model \(random weights\).*4K/);
    await page.keyboard.press("Escape");
  });
});
