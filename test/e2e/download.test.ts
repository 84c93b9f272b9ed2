// Downloading a model as a person does it: Command Palette → SLM: Download a Recommended Model…,
// pick from the list, watch the progress notification, choose "Completion and chat", and the
// editor then runs the downloaded file. The "mirror" is a throttled HTTP server on 127.0.0.1
// started by this test (in the runner's process); it serves the tiny test model, which the list
// offers through slm.downloadExtraModels with its real SHA-256.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { ModelServer, sha256 } from "../support/modelServer";
import { reloadWindow, runCommand, screenshot, screenshotOnFailure, session, statusItem, toasts, updateRemoteSettings, statusName, frameWith } from "./session";

const READY_TIMEOUT = 60_000;
const MODEL_NAME = "Tiny test model (local mirror)";
const SETTINGS = ["slm.allowNetwork", "slm.downloadMirror", "slm.downloadExtraModels"];

describe("Downloading a recommended model in the browser (installed VSIX)", function () {
  this.timeout(180_000);
  let mirror: ModelServer;
  let body: Buffer;

  afterEach(screenshotOnFailure("download-"));

  before(async () => {
    const { server, models } = session();
    body = fs.readFileSync(models.tiny);
    // About 7 s for the 1.4 MB model: long enough to see the notification move.
    mirror = await ModelServer.start({ bytesPerSecond: 200_000 });
    mirror.serve("/test-org/Tiny-GGUF/resolve/main/tiny.gguf", body);
    // Application-scoped settings (as an administrator would pin them) live in the user settings.
    server.writeSettings({
      ...server.readSettings(),
      "slm.allowNetwork": true,
      "slm.downloadMirror": mirror.url,
      "slm.downloadExtraModels": [
        { id: "test-tiny", name: MODEL_NAME, repo: "test-org/Tiny-GGUF", file: "tiny.gguf", sha256: sha256(body), size: body.length },
      ],
    });
    // code-server's workbench does not pick up edits to the user settings file while it runs (the
    // remote settings file it does); an administrator's pinned settings apply at the next start.
    await reloadWindow();
  });

  after(async () => {
    const { server, models, page } = session();
    await mirror?.close();
    const settings = server.readSettings();
    for (const key of [...SETTINGS, "slm.modelPath"]) delete settings[key];
    server.writeSettings(settings);
    updateRemoteSettings({ "slm.modelPath": models.tiny });
    await page.keyboard.press("Escape");
    // Close the runtime report (a read-only document: no prompt to save it).
    await runCommand(page, "View: Close Editor").catch(async () => {
      console.log("      (the runtime report editor could not be closed)");
      await page.keyboard.press("Escape");
    });
    await reloadWindow(); // slm.allowNetwork back off for the specs after this one
  });

  it("downloads through the Command Palette with a progress notification, then uses the model", async () => {
    const { page, server } = session();
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    const rows = page.locator(".quick-input-widget .quick-input-list .monaco-list-row");
    const catalogRow = rows.filter({ hasText: "Qwen2.5-Coder 1.5B (base, Q8_0)" }).first();
    // The extension host learns of the edited user settings file some seconds after it is written;
    // until then the command (rightly) refuses with slm.allowNetwork off. Ask again until it lists.
    const listDeadline = Date.now() + 60_000;
    for (;;) {
      await runCommand(page, "SLM: Download a Recommended Model…");
      const listed = await catalogRow.waitFor({ timeout: 3_000 }).then(() => true, () => false);
      if (listed) break;
      assert.ok(Date.now() < listDeadline, "slm.allowNetwork written to the user settings never reached the extension");
      await page.keyboard.press("Escape");
      await page.waitForTimeout(1_000);
    }
    const labels = (await rows.locator(".label-name").allInnerTexts()).map((t) => t.trim());
    for (const name of ["Qwen2.5-Coder 0.5B (base, Q8_0)", "Qwen2.5-Coder 3B (base, Q8_0)", "Qwen2.5-Coder 1.5B Instruct (Q4_K_M)"]) {
      assert.ok(labels.includes(name), `the list has no ${name}: ${labels.join(" | ")}`);
    }
    await screenshot("download-pick");
    await page.locator(".quick-input-widget input").fill("Tiny test model");
    await rows.filter({ hasText: MODEL_NAME }).first().click();

    const progress = toasts(page, `Downloading ${MODEL_NAME}`).first();
    await progress.waitFor({ timeout: 15_000 });
    const message = progress.locator(".notification-list-item-message");
    // Past the first few percent, so the screenshot shows the bar moving (and the toast has slid in).
    const percent = /([1-9]\d)% · [\d.]+ of 1\.3 MB/;
    await message.filter({ hasText: percent }).waitFor({ timeout: 15_000 });
    const shown = await message.innerText();
    assert.match(shown, percent);
    assert.ok(Number(percent.exec(shown)![1]) < 100, `the download was already done: ${shown}`);
    assert.equal(await progress.getByRole("button", { name: "Cancel" }).count(), 1, "the notification cannot be cancelled");
    await screenshot("download-progress");

    const done = toasts(page, "is downloaded and verified").first();
    await done.waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500); // the toast's slide-in animation
    await screenshot("download-use-it-for");
    await done.getByRole("button", { name: "Completion and chat" }).click();

    const saved = () => (server.readMachineSettings()["slm.modelPath"] ?? server.readSettings()["slm.modelPath"]) as string | undefined;
    const deadline = Date.now() + 10_000;
    while (!saved()?.endsWith(`${path.sep}test-tiny.gguf`) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const file = saved() ?? "";
    assert.match(file, /globalStorage[/]slm-assistant\.slm-assistant[/]models[/]test-tiny\.gguf$/, "slm.modelPath does not name the downloaded file in global storage");
    assert.ok(fs.readFileSync(file).equals(body), "the downloaded file is not the served model");
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["test-tiny.gguf"], "a partial file was left behind");

    // What runs now: the runtime report names the downloaded file.
    await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    await runCommand(page, "SLM: Show Runtime Info");
    // Rendered in VS Code's Markdown preview (a webview).
    const report = await frameWith(page, "li", "test-tiny.gguf", 15_000);
    assert.ok(report, "the runtime report is not shown rendered");
    assert.match(await report.locator("body").innerText(), /Model file: \S*globalStorage\S*test-tiny\.gguf/);
    await screenshot("download-in-use");
  });
});
