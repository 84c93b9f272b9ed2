// Two editor windows on the same model, as a person with two projects open has: each window has
// its own extension host, and both load the same GGUF file and run it; closing one leaves the
// other working.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { waitForWorkbench } from "../harness/browser";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { runCommand, screenshot, screenshotOnFailure, session, statusItem, statusName, frameWith } from "./session";

const READY_TIMEOUT = 60_000;

describe("Two windows on the same model (installed VSIX)", function () {
  this.timeout(180_000);
  afterEach(screenshotOnFailure("two-windows-"));

  it("a second window loads the same model file in its own extension host, and both run it", async () => {
    const { page, server, workspace, models } = session();
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });

    const second = await page.context().newPage();
    try {
      await second.goto(server.workbenchUrl(workspace));
      await waitForWorkbench(second);
      await statusItem(second).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });

      // Each window's own engine answers: the runtime report says ready, with the shared file.
      for (const window of [second, page]) {
        await window.bringToFront();
        await runCommand(window, "SLM: Show Runtime Info");
        // Rendered in VS Code's Markdown preview (a webview). "busy" where the report was taken
        // while the window's idle warm-up ran (its engine answering all the same).
        const report = await frameWith(window, "li", /State: (ready|busy)/, 30_000);
        if (!report) {
          const shown = await Promise.all(window.frames().map((frame) => frame.locator("body").innerText({ timeout: 1_000 }).catch(() => "")));
          assert.fail(`the runtime report is not shown rendered; frames with a state: ${JSON.stringify(shown.filter((text) => text.includes("State:")).map((text) => text.slice(0, 400)))}`);
        }
        const text = await report.locator("body").innerText();
        assert.ok(text.includes(`Model file: ${models.tiny}`), text);
        await runCommand(window, "View: Close Editor");
      }
      await second.bringToFront();
      await screenshot("two-windows-second");

      // Two extension hosts, each of which loaded the file.
      const loadedIn = extensionHostLogs(server.userDataDir).filter((log) => fs.readFileSync(log, "utf8").includes(`from ${models.tiny}`));
      assert.ok(loadedIn.length >= 2, `the model was loaded by ${loadedIn.length} extension host(s): ${loadedIn.join(", ")}`);
    } finally {
      await second.close();
      await page.bringToFront();
    }
    // The first window is unaffected by the second one going away.
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: 10_000 });
  });
});

/** The SLM Assistant output channel log of every extension host code-server has started. */
function extensionHostLogs(userDataDir: string): string[] {
  const logs: string[] = [];
  const root = path.join(userDataDir, "logs");
  for (const sessionDir of fs.existsSync(root) ? fs.readdirSync(root) : []) {
    for (const host of fs.readdirSync(path.join(root, sessionDir))) {
      const file = path.join(root, sessionDir, host, "slm-assistant.slm-assistant", "SLM Assistant.log");
      if (host.startsWith("exthost") && fs.existsSync(file)) logs.push(file);
    }
  }
  return logs;
}
