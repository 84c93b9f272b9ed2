// Inline completion as a person sees it, in code-server with the installed VSIX: in a real file,
// Alt+\ shows the model's suggestion as ghost text; typing its first characters keeps the rest with
// no new model call (the status item says "cached"); Escape dismisses it; Alt+\ again and Tab
// accept it. The scripted model writes the same text for any prompt, so the cache is what keeps
// the ghost text consistent with what was typed.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { scriptedModel } from "../support/models";
import { activeEditor, ghostText, lineText, quickOpen, runCommand, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings, wordSuggestionsOff } from "./session";

const SUGGESTION = "computeTotal(items);";
/** The model's runner-ups at any place (the scripted model's first-token alternatives). */
const ALTERNATIVES = [SUGGESTION, "sumPrices(cart);", "items.length;"];
const READY_TIMEOUT = 60_000;

function completionItem(page: Page) {
  return page.locator(".part.statusbar .statusbar-item", { hasText: "Autocomplete" });
}

describe("Inline completion in the browser (installed VSIX)", function () {
  this.timeout(180_000);

  afterEach(screenshotOnFailure());

  before(async () => {
    const { page, workspace } = session();
    wordSuggestionsOff(workspace);
    fs.writeFileSync(path.join(workspace, "calc.ts"), "const result = \n");
    const model = await scriptedModel(ALTERNATIVES);
    updateRemoteSettings({ "slm.modelPath": model, "slm.threads": 1, "slm.completion.alternatives": 3 });
    await statusItem(page).filter({ hasText: /SLM · / }).waitFor({ timeout: READY_TIMEOUT });

    await quickOpen(page, "calc.ts");
    await activeEditor(page).locator(".view-lines", { hasText: "const result" }).waitFor();
    await activeEditor(page).locator(".view-lines").click();
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("End");
  });

  after(async () => {
    // Leave the session as the other specs expect it: the tiny model, default threads.
    const { page, models } = session();
    // The accepted suggestions leave calc.ts changed: close it without saving, as later specs reload the page.
    await runCommand(page, "View: Revert and Close Editor").catch(() => page.keyboard.press("Escape"));
    updateRemoteSettings({ "slm.modelPath": models.tiny, "slm.threads": undefined, "slm.completion.alternatives": undefined });
    await statusItem(page).filter({ hasText: "SLM · demo model" }).waitFor({ timeout: READY_TIMEOUT });
  });

  it("shows the model's suggestion as ghost text when asked (Alt+\\)", async () => {
    const { page } = session();
    await page.keyboard.press("Alt+Backslash");
    await ghostText(page).first().waitFor({ timeout: 30_000 });
    const ghost = (await ghostText(page).allInnerTexts()).join("");
    assert.equal(ghost.trim(), SUGGESTION);
    await screenshot("completion-ghost-text");
  });

  it("typing the suggested characters keeps the rest as ghost text, from the cache, with no model call", async () => {
    const { page } = session();
    await page.keyboard.type("com", { delay: 120 });
    await completionItem(page).filter({ hasText: "cached" }).waitFor({ timeout: 10_000 });
    // After "c" the ghost shows "omputeTotal…"; after "com" it must show the rest, "puteTotal…".
    let ghost = "";
    for (const started = Date.now(); !ghost.startsWith("puteTotal") && Date.now() - started < 10_000; ) {
      ghost = (await ghostText(page).allInnerTexts()).join("");
      if (!ghost.startsWith("puteTotal")) await page.waitForTimeout(50);
    }
    assert.ok(ghost.startsWith("puteTotal"), `ghost text was "${ghost}"`);
    await screenshot("completion-typed-along");
  });

  it("Escape dismisses it", async () => {
    const { page } = session();
    await page.keyboard.press("Escape");
    await ghostText(page).first().waitFor({ state: "detached", timeout: 10_000 });
  });

  it("Alt+\\ asks again and Tab accepts it", async () => {
    const { page } = session();
    await page.keyboard.press("Alt+Backslash");
    await ghostText(page).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press("Tab");
    // The line now holds the whole suggestion ("com" typed by hand above): the cursor stands after
    // it. (The scripted model at once suggests its text again, so the view line also shows ghost text.)
    const accepted = `const result = ${SUGGESTION}`;
    await page.locator(".part.statusbar .statusbar-item", { hasText: `Ln 1, Col ${accepted.length + 1}` }).waitFor({ timeout: 10_000 });
    assert.ok((await lineText(page, 0)).startsWith(accepted));
    await screenshot("completion-accepted");
  });

  it("Alt+] cycles through alternatives computed when asked, Alt+[ goes back, and Tab accepts the one shown", async () => {
    const { page } = session();
    await page.keyboard.press("Escape");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("const other = ", { delay: 20 });
    await page.keyboard.press("Alt+Backslash");
    await ghostIs(page, ALTERNATIVES[0]!);
    await page.keyboard.press("Alt+BracketRight");
    await ghostIs(page, ALTERNATIVES[1]!);
    await page.keyboard.press("Alt+BracketRight");
    await ghostIs(page, ALTERNATIVES[2]!);
    await page.keyboard.press("Alt+BracketLeft");
    await ghostIs(page, ALTERNATIVES[1]!);
    await screenshot("completion-alternative");
    await page.keyboard.press("Tab");
    const accepted = `const other = ${ALTERNATIVES[1]!}`;
    await page.locator(".part.statusbar .statusbar-item", { hasText: `Ln 2, Col ${accepted.length + 1}` }).waitFor({ timeout: 10_000 });
    assert.ok((await lineText(page, 1)).startsWith(accepted), await lineText(page, 1));
  });
});

/** Waits until the ghost text reads `text`. */
async function ghostIs(page: Page, text: string): Promise<void> {
  let ghost = "";
  for (const started = Date.now(); ghost.trim() !== text && Date.now() - started < 30_000; ) {
    ghost = (await ghostText(page).allInnerTexts()).join("");
    if (ghost.trim() !== text) await page.waitForTimeout(50);
  }
  assert.equal(ghost.trim(), text);
}
