// Edit selection by instruction as a person uses it: select lines, right-click, "Edit Selection by
// Instruction…", type the instruction, see the suggestion as a diff, accept it, undo it. The chat
// model is scripted to answer prose around a fenced rewrite (test/support/scriptedAnswers.ts).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { EDIT_SOURCE } from "../support/scriptedAnswers";
import { quickOpen, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings, statusName } from "./session";

describe("Edit selection by instruction (installed VSIX, scripted model)", function () {
  this.timeout(180_000);
  let file: string;

  before(async function () {
    const { models, workspace, page } = session();
    if (!models.edit) this.skip();
    file = path.join(workspace, "shapes.py");
    fs.writeFileSync(file, EDIT_SOURCE);
    updateRemoteSettings({ "slm.chat.modelPath": models.edit });
    // Two models: the status bar names both.
    await statusItem(page).filter({ hasText: "+" }).waitFor({ timeout: 60_000 });
  });

  after(async () => {
    const { page } = session();
    updateRemoteSettings({ "slm.chat.modelPath": undefined });
    await page.keyboard.press("Escape");
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: 60_000 });
  });

  afterEach(screenshotOnFailure("edit-"));

  it("from the context menu through the diff to accept, and one undo restores the original", async () => {
    const { page } = session();
    await quickOpen(page, "shapes.py");
    const editor = page.locator(".monaco-editor .view-lines").first();
    await editor.filter({ hasText: "def sub" }).waitFor();
    await editor.click();
    await page.keyboard.press("Control+Home");
    for (let i = 0; i < 2; i++) await page.keyboard.press("ArrowDown");
    for (let i = 0; i < 6; i++) await page.keyboard.press("Shift+ArrowDown");

    await page.locator(".monaco-editor .view-line").nth(3).click({ button: "right", position: { x: 40, y: 5 } });
    const item = page.locator(".monaco-menu .action-item", { hasText: "Edit Selection by Instruction…" });
    await item.waitFor({ timeout: 10_000 });
    await screenshot("edit-context-menu");
    await item.click();

    const input = page.locator(".quick-input-widget input");
    await input.waitFor({ timeout: 10_000 });
    await input.fill("add type hints");
    await input.press("Enter");

    const diff = page.locator(".monaco-diff-editor");
    const modified = diff.locator(".editor.modified .view-lines");
    await modified.filter({ hasText: "def sub(a: int, b: int) -> int:" }).first().waitFor({ timeout: 60_000 });
    // The diff's title bar: ✓ accepts all, ✕ rejects all (CodeLens is off in diff editors by default).
    const acceptAll = page.locator(".editor-actions .action-label[aria-label^='Accept Suggested Edit']");
    await acceptAll.waitFor({ timeout: 20_000 });
    const diffText = await modified.filter({ hasText: "def sub(a: int" }).first().innerText();
    assert.doesNotMatch(diffText, /Here is|```|This adds/, "the model's prose or fences reached the diff");
    assert.equal(fs.readFileSync(file, "utf8"), EDIT_SOURCE, "the file changed before accepting");
    await screenshot("edit-diff");

    await acceptAll.click();
    await diff.waitFor({ state: "detached", timeout: 20_000 });
    await editor.filter({ hasText: "def add(a: int, b: int) -> int:" }).waitFor({ timeout: 10_000 });
    await screenshot("edit-accepted");

    await editor.click();
    await page.keyboard.press("Control+Z");
    await editor.filter({ hasText: "def add(a, b):" }).waitFor({ timeout: 10_000 });
    assert.doesNotMatch(await editor.innerText(), /-> int/, "one undo did not restore the original");
    assert.equal(fs.readFileSync(file, "utf8"), EDIT_SOURCE);
  });
});
