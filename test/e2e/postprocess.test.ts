// What post-processing does to junk a model writes, as a person sees it in code-server with the
// installed VSIX: the scripted model closes the method with `};` although the `}` is already below
// (class 1), then runs on into a whole new method (class 5). After Tab the file holds only the
// method's body.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { scriptedModel } from "../support/models";
import { quickOpen, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings, wordSuggestionsOff } from "./session";

const READY_TIMEOUT = 60_000;
const FILE = "cart.ts";
const DOCUMENT = ["export class Cart {", "  items: string[] = [];", "", "  total(): number {", "  }", "}", ""].join("\n");
/** Class 1 (`};` above the document's `}`) and class 5 (a new method after the block's close). */
const JUNK = "\n    return this.items.length;\n  };\n\n  clear(): void {\n    this.items = [];\n  }\n\n  add(item: string): void {\n    this.items.push(item);\n  }\n";
const EXPECTED = ["export class Cart {", "  items: string[] = [];", "", "  total(): number {", "    return this.items.length;", "  }", "}", ""].join("\n");

function activeEditor(page: Page) {
  return page.locator(".editor-group-container.active .monaco-editor").first();
}

/** The suggestion's body line as ghost text (its first line is empty: it starts with a line break). */
function ghostBody(page: Page) {
  return activeEditor(page).getByText("return this.items.length;").first();
}

describe("Post-processing in the browser (installed VSIX)", function () {
  this.timeout(180_000);

  afterEach(screenshotOnFailure());

  before(async () => {
    const { page, workspace } = session();
    wordSuggestionsOff(workspace);
    fs.writeFileSync(path.join(workspace, FILE), DOCUMENT);
    // The scripted model writes a token per byte: time and token limits that a busy machine cannot hit.
    updateRemoteSettings({ "slm.modelPath": await scriptedModel(JUNK), "slm.threads": 1, "slm.completion.maxTimeMs": 30_000, "slm.completion.maxTokens": 256 });
    await statusItem(page).filter({ hasText: /SLM · / }).waitFor({ timeout: READY_TIMEOUT });

    await quickOpen(page, FILE);
    await activeEditor(page).locator(".view-lines", { hasText: "total(): number" }).waitFor();
    await activeEditor(page).locator(".view-lines").click();
    // The cursor at the end of `  total(): number {` (line 4).
    await page.keyboard.press("Control+Home");
    for (let i = 0; i < 3; i++) await page.keyboard.press("ArrowDown");
    await page.keyboard.press("End");
  });

  after(async () => {
    const { page, models } = session();
    updateRemoteSettings({ "slm.modelPath": models.tiny, "slm.threads": undefined, "slm.completion.maxTimeMs": undefined, "slm.completion.maxTokens": undefined });
    await statusItem(page).filter({ hasText: "SLM · demo model" }).waitFor({ timeout: READY_TIMEOUT });
  });

  it("Tab inserts the method's body only: no doubled `};`, no new methods", async () => {
    const { page, workspace } = session();
    await page.keyboard.press("Alt+Backslash");
    await ghostBody(page).waitFor({ timeout: 60_000 });
    await screenshot("postprocess-ghost-text");
    await page.keyboard.press("Tab");
    await page.locator(".part.statusbar .statusbar-item", { hasText: "Ln 5, Col 30" }).waitFor({ timeout: 10_000 });
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+S");
    const saved = path.join(workspace, FILE);
    let text = "";
    for (const started = Date.now(); text !== EXPECTED && Date.now() - started < 10_000; ) {
      text = fs.readFileSync(saved, "utf8");
      if (text !== EXPECTED) await page.waitForTimeout(100);
    }
    assert.equal(text, EXPECTED);
    await screenshot("postprocess-accepted");
  });
});
