// The extension against a team server, as a person uses it, in code-server with the installed VSIX:
// two real llama-servers (llama.cpp's own, scripts/build-llama-server.sh) on 127.0.0.1 with an API
// key, one for completion and one for chat; nothing local. The key goes in through the command
// (never into settings); ghost text comes from the server; chat streams from the other server and
// Stop ends it; Explain Selection answers through it; the status bar names the server's models.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { startLlamaServer, type RunningLlamaServer } from "../support/llamaServer";
import { scriptedModel } from "../support/models";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { runCommand, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings, statusName, chatFrame } from "./session";

const SUGGESTION = "sumOfSquares(values);";
// llama-server streams this tiny model at ~870 tokens/s here: long enough (about 3,000 tokens, under
// the 4,000-token cap set below) that Stop lands while it streams.
const LONG_ANSWER = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1}: the team server streams this answer token by token.\n\n`).join("");
const KEY = "e2e-team-key-7c1d92f0";
const SETTINGS = ["slm.allowNetwork", "slm.engine.completionServer", "slm.engine.chatServer", "slm.modelPath"];

function activeEditor(page: Page) {
  return page.locator(".editor-group-container.active .monaco-editor").first();
}

async function openFile(page: Page, name: string, text: string): Promise<void> {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget input");
  await input.waitFor();
  await input.fill(name);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: name }).first().waitFor();
  await page.keyboard.press("Enter");
  await activeEditor(page).locator(".view-lines", { hasText: text }).waitFor();
  await activeEditor(page).locator(".view-lines").click();
}

describe("Team server (installed VSIX, real llama-server)", function () {
  this.timeout(240_000);
  let completion: RunningLlamaServer;
  let chat: RunningLlamaServer;

  before(async () => {
    const { server, page, workspace } = session();
    [completion, chat] = await Promise.all([
      scriptedModel(SUGGESTION).then((model) => startLlamaServer({ model, alias: "team-coder", apiKey: KEY })),
      scriptedModel(LONG_ANSWER, { mode: "chat" }).then((model) => startLlamaServer({ model, alias: "team-chat", apiKey: KEY })),
    ]);
    fs.mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
    fs.writeFileSync(
      path.join(workspace, ".vscode", "settings.json"),
      JSON.stringify({ "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" }, "editor.suggestOnTriggerCharacters": false }),
    );
    fs.writeFileSync(path.join(workspace, "squares.ts"), "const total = \n");
    fs.writeFileSync(path.join(workspace, "squares.py"), "def squares(values):\n    return [v * v for v in values]\n");
    // Application-scope settings live in the user settings; the workbench reads them at load.
    server.writeSettings({
      ...server.readSettings(),
      "slm.allowNetwork": true,
      "slm.engine.completionServer": completion.url,
      "slm.engine.chatServer": chat.url,
      "slm.modelPath": "",
    });
    updateRemoteSettings({ "slm.chat.maxAnswerTokens": 4000 });
    await page.reload();
    await page.locator(".monaco-workbench .part.statusbar").waitFor({ timeout: 60_000 });
  });

  after(async () => {
    const { server, page } = session();
    const settings = server.readSettings();
    for (const key of SETTINGS) delete settings[key];
    server.writeSettings(settings);
    const machine = server.readMachineSettings();
    delete machine["slm.chat.maxAnswerTokens"];
    server.writeMachineSettings(machine);
    await completion?.kill();
    await chat?.kill();
    await page.reload();
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: 60_000 });
  });

  afterEach(screenshotOnFailure("team-"));

  it("without the key the status bar says so; the key goes in through SLM: Set Server API Key… and never into settings", async () => {
    const { page, server } = session();
    await openFile(page, "squares.ts", "const total");
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("End");
    await page.keyboard.press("Alt+Backslash");
    await statusItem(page).filter({ hasText: "API key refused" }).waitFor({ timeout: 30_000 });
    await screenshot("team-no-key");

    await runCommand(page, "SLM: Set Server API Key…");
    const origins = page.locator(".quick-input-list .monaco-list-row");
    await origins.first().waitFor();
    await origins.filter({ hasText: completion.url }).first().click();
    const input = page.locator(".quick-input-widget input[type=password]");
    await input.waitFor();
    await input.fill(KEY);
    await input.press("Enter");
    await runCommand(page, "SLM: Set Server API Key…");
    await origins.filter({ hasText: chat.url }).first().click();
    await input.waitFor();
    await input.fill(KEY);
    await input.press("Enter");

    const everything = JSON.stringify([server.readSettings(), server.readMachineSettings()]);
    assert.ok(!everything.includes(KEY), "the key is in no settings file");
  });

  it("shows the server's suggestion as ghost text", async () => {
    const { page } = session();
    await activeEditor(page).locator(".view-lines").click();
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("End");
    await page.keyboard.press("Alt+Backslash");
    const ghost = activeEditor(page).locator(".ghost-text-decoration, .ghost-text-decoration-preview");
    await ghost.first().waitFor({ timeout: 30_000 });
    assert.equal((await ghost.allInnerTexts()).join("").trim(), SUGGESTION);
    await statusItem(page).filter({ hasText: "team-coder" }).filter({ hasText: "server" }).waitFor({ timeout: 10_000 });
    await screenshot("team-ghost-text");
    await page.keyboard.press("Escape");
  });

  it("streams a chat answer from the chat server; Stop ends it and keeps what it said", async () => {
    const { page } = session();
    await runCommand(page, "SLM: Open Chat");
    const frame = chatFrame(page);
    const composer = frame.locator(".composer .input");
    await composer.waitFor({ timeout: 20_000 });
    await composer.fill("Tell me about squares.");
    await composer.press("Enter");
    const answer = frame.locator(".turn.assistant").last();
    await answer.locator(".turn-body", { hasText: "Paragraph 2" }).waitFor({ timeout: 30_000 });
    await frame.locator(".stop").click();
    await answer.locator(".turn-stats", { hasText: "stopped" }).waitFor({ timeout: 5_000 });
    const partial = await answer.locator(".turn-body").innerText();
    assert.ok(partial.includes("Paragraph 1: the team server streams"), partial);
    assert.ok(!partial.includes("Paragraph 40:"), "stopped before the end");
    await page.waitForTimeout(500);
    assert.equal(await answer.locator(".turn-body").innerText(), partial, "nothing more arrives after Stop");
    assert.match(await answer.locator(".turn-stats").innerText(), /^team-chat · /);
    await screenshot("team-chat-stopped");
  });

  it("explains a selection through the chat server", async () => {
    const { page } = session();
    await openFile(page, "squares.py", "def squares");
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("Shift+ArrowDown");
    await page.keyboard.press("Shift+ArrowDown");
    await runCommand(page, "SLM: Explain Selection");
    const frame = chatFrame(page);
    const question = frame.locator(".turn.user").last();
    await question.filter({ hasText: "squares.py" }).waitFor({ timeout: 20_000 });
    const answer = frame.locator(".turn.assistant").last();
    await answer.locator(".turn-stats").waitFor({ timeout: 60_000 });
    assert.ok((await answer.locator(".turn-body").innerText()).includes("Paragraph 2: the team server streams"));
    await screenshot("team-explain");
  });
});
