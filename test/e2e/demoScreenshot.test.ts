// What `npm start` shows a newcomer, as the README's screenshot: the generated demo model (random
// weights, so its words are random) loaded, an inline suggestion asked for, and a chat answer.
import * as fs from "node:fs";
import * as path from "node:path";
import { activeEditor, chatFrame, ghostText, quickOpen, runCommand, screenshot, screenshotOnFailure, session, statusItem, updateRemoteSettings } from "./session";

const SOURCE = `def fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def mean(values: list[float]) -> float:
    return `;

describe("The demo model as npm start shows it (README screenshot)", function () {
  this.timeout(180_000);

  afterEach(screenshotOnFailure("demo-"));

  after(async () => {
    const { page } = session();
    await page.keyboard.press("Escape");
    await runCommand(page, "View: Revert and Close Editor").catch(() => page.keyboard.press("Escape"));
    updateRemoteSettings({ "slm.chat.maxAnswerTokens": undefined });
  });

  it("demo model loaded: a suggestion asked for, and a chat answer (random words, labelled as such)", async () => {
    const { page, workspace } = session();
    updateRemoteSettings({ "slm.chat.maxAnswerTokens": 48 });
    await statusItem(page).filter({ hasText: "SLM · demo model (random weights)" }).waitFor({ timeout: 60_000 });
    fs.writeFileSync(path.join(workspace, "stats.py"), SOURCE);
    await runCommand(page, "View: Close All Editors");
    await quickOpen(page, "stats.py");
    await activeEditor(page).locator(".view-lines", { hasText: "def mean" }).waitFor();

    await runCommand(page, "SLM: Open Chat");
    await runCommand(page, "SLM: New Chat");
    const frame = chatFrame(page);
    const input = frame.locator(".composer .input");
    await input.waitFor({ timeout: 20_000 });
    await input.fill("What does fibonacci return for n = 10?");
    await input.press("Enter");
    await frame.locator(".turn.assistant").last().locator(".turn-footer .turn-stats").waitFor({ timeout: 60_000 });

    await activeEditor(page).locator(".view-lines").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Alt+Backslash");
    // Random weights may write nothing worth showing; the screenshot is taken either way.
    await ghostText(page).first().waitFor({ timeout: 20_000 }).catch(() => undefined);
    await screenshot("demo-npm-start");
  });
});
