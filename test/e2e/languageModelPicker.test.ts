// VS Code's own chat and our model: does code-server's workbench list the model we provide
// (contributes.languageModelChatProviders) in its chat model picker? The other specs switch VS
// Code's chat off (chat.disableAIFeatures); this one switches it on, opens the chat as a person
// does, and reports what the workbench shows: our model in the picker, or no picker at all.
import * as assert from "node:assert/strict";
import type { Page } from "playwright-core";
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

  it("opens VS Code's chat and reports whether its model picker lists our model", async () => {
    const { page } = session();
    await runCommand(page, "Chat: Open Chat").catch(() => runCommand(page, "View: Toggle Chat"));
    const chat = page.locator(".interactive-session, .chat-view, [id='workbench.panel.chat']").first();
    await chat.waitFor({ timeout: 20_000 });
    await page.waitForTimeout(2_000);
    await screenshot("lm-picker-chat-view");
    const picker = page.locator(".chat-model-picker-item, .chat-modelPicker-item, .action-item.chat-model-picker, [aria-label*='Pick Model' i], [aria-label*='model picker' i]").first();
    const hasPicker = (await picker.count()) > 0 && (await picker.isVisible());
    const viewText = (await chat.innerText()).replace(/\s+/g, " ").slice(0, 400);
    if (!hasPicker) {
      console.log(`      no chat model picker in code-server's chat view; it shows: "${viewText}"`);
      assert.doesNotMatch(viewText, OURS, "our model is named in a view without a picker?");
      return;
    }
    await picker.click();
    const rows = page.locator(".monaco-list-row, .action-widget .monaco-list-row, .context-view .action-item");
    await rows.first().waitFor({ timeout: 10_000 });
    const labels = (await rows.allInnerTexts()).map((t) => t.replace(/\s+/g, " ").trim()).filter(Boolean);
    await screenshot("lm-picker-open");
    console.log(`      the chat model picker lists: ${labels.join(" | ")}`);
    assert.ok(labels.some((label) => OURS.test(label)), `the picker does not list our model: ${labels.join(" | ")}`);
  });

  it("Chat: Manage Language Models lists our provider and model", async function () {
    const { page } = session();
    const opened = await runCommand(page, "Chat: Manage Language Models").then(
      () => true,
      () => false,
    );
    if (!opened) this.skip();
    await page.waitForTimeout(2_000);
    await screenshot("lm-picker-manage");
    const text = await visibleText(page);
    console.log(`      Manage Language Models shows: ${text.slice(0, 600)}`);
    assert.match(text, OURS);
  });
});

async function visibleText(page: Page): Promise<string> {
  const parts = await page.locator(".editor-group-container.active, .quick-input-widget").allInnerTexts();
  return parts.join(" ").replace(/\s+/g, " ");
}
