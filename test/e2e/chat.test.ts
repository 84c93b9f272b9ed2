// The chat as a person uses it, in code-server with the installed VSIX and models that say exactly
// what each scenario needs (generated here, answered by the real engine in the extension host):
// Explain from the editor's context menu streams into the view; Stop keeps the partial answer and
// the history survives a window reload; hostile model output renders as text and runs nothing;
// bad input gets a clear message; screenshots in light, dark and high-contrast themes.
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { FrameLocator, Page } from "playwright-core";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { scriptedChatBytesModel, scriptedChatModel } from "../engine/chatModels";
import { hostileAnswer, hostilePayloads } from "./chatPayloads";
import { quickOpen, runCommand, screenshot, screenshotOnFailure, session, statusItem, statusName, updateRemoteSettings, chatFrame } from "./session";

/** Elements and attributes that must never come out of the sanitizer. */
const DANGEROUS = ["script", "img", "iframe", "svg", "math", "style", "object", "embed", "form", "input", "video", "base", "meta", "link", "template", "[style]", "[onerror]", "[onload]", "[onfocus]", "[ontoggle]", "[onstart]"]
  .map((selector) => `.messages ${selector}`)
  .join(", ");
const SCRIPTED_NAME = "SLM scripted model (constructed weights)";
const READY_TIMEOUT = 60_000;

const EXPLAIN_ANSWER = [
  "`fibonacci` walks the sequence **iteratively**, keeping only the last two numbers:",
  "",
  "1. It starts with `a, b = 0, 1`.",
  "2. Each step shifts the pair: `a, b = b, a + b`.",
  "3. After `n` steps, `a` is the n-th number.",
  "",
  "```python",
  "def fibonacci(n: int) -> int:",
  "    a, b = 0, 1",
  "    for _ in range(n):",
  "        a, b = b, a + b",
  "    return a",
  "```",
  "",
  "It runs in O(n) time and O(1) memory, and never recurses, so large `n` cannot overflow the stack.",
  "",
].join("\n");

const LONG_ANSWER = Array.from(
  { length: 30 },
  (_, i) => `Paragraph ${i + 1}: a long answer streams here, one token at a time, so that Stop has something to stop.\n\n`,
).join("");

/** The chat view's page (the webview's inner frame). */
/** The status bar shortens long names; this is what it shows while the model is ready. */
/** Switches models and waits until the new one is ready (every scripted model has the same name, so go through the tiny one). */
async function useModel(path: string, name: string): Promise<void> {
  const { page, server, models } = session();
  if (server.readMachineSettings()["slm.modelPath"] === path) return;
  if (name !== TINY_MODEL_NAME) await useModel(models.tiny, TINY_MODEL_NAME);
  updateRemoteSettings({ "slm.modelPath": path });
  await statusItem(page).filter({ hasText: `SLM · ${statusName(name)}` }).waitFor({ timeout: READY_TIMEOUT });
}

async function openChat(page: Page): Promise<FrameLocator> {
  await runCommand(page, "SLM: Open Chat");
  const frame = chatFrame(page);
  await frame.locator(".composer .input").waitFor({ timeout: 20_000 });
  return frame;
}

async function lastAnswerDone(frame: FrameLocator, timeout = 60_000): Promise<void> {
  await frame.locator(".turn.assistant").last().locator(".turn-footer .turn-stats").waitFor({ timeout });
}

/** Picks a colour theme the way a person does: Preferences: Color Theme. */
async function setTheme(page: Page, theme: string, bodyClass: string): Promise<void> {
  await runCommand(page, "Preferences: Color Theme");
  const input = page.locator(".quick-input-widget input");
  await page.locator(".quick-input-list .monaco-list-row").first().waitFor();
  await input.fill(theme);
  await page.locator(".quick-input-list .monaco-list-row", { hasText: theme }).first().waitFor();
  await input.press("Enter");
  await page.locator(`.monaco-workbench.${bodyClass}`).waitFor({ timeout: 20_000 });
  await page.waitForTimeout(600); // the webview gets the new colours a moment later
}

describe("Chat view (installed VSIX, real engine, generated models)", function () {
  this.timeout(180_000);
  let probe: http.Server;
  let probeOrigin = "";
  const probeHits: string[] = [];
  const consoleLines: string[] = [];
  const dialogs: string[] = [];
  let models: { explain: string; long: string; hostile: string };

  before(async () => {
    const { page } = session();
    probe = http.createServer((req, res) => {
      probeHits.push(req.url ?? "?");
      res.end("");
    });
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    probeOrigin = `http://127.0.0.1:${(probe.address() as AddressInfo).port}`;
    const hostile = Buffer.concat([
      Buffer.from(hostileAnswer(probeOrigin).replace(/```js\n\/\/ P39[\s\S]*$/, "")),
      Buffer.from("P40 invalid UTF-8: "),
      Buffer.from([0xc3]),
      Buffer.from(" then "),
      Buffer.from([0xf0, 0x9f]),
      Buffer.from(" then "),
      Buffer.from([0x80, 0xbf, 0xfe]),
      Buffer.from(" end of P40\n\n"),
      Buffer.from(hostilePayloads(probeOrigin).at(-1)!.text),
    ]);
    models = {
      explain: await scriptedChatModel(EXPLAIN_ANSWER),
      long: await scriptedChatModel(LONG_ANSWER),
      hostile: await scriptedChatBytesModel(hostile),
    };
    page.on("console", (message) => consoleLines.push(message.text()));
    page.on("dialog", (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    // One thread: tiny models run far faster on one than on two here (TESTING.md).
    updateRemoteSettings({ "slm.chat.maxAnswerTokens": 4000, "slm.threads": 1 });
  });

  after(async () => {
    probe?.close();
    const { server } = session();
    const settings = server.readSettings();
    delete settings["workbench.colorTheme"];
    server.writeSettings(settings);
    const machine = server.readMachineSettings();
    delete machine["slm.chat.maxAnswerTokens"];
    delete machine["slm.threads"];
    server.writeMachineSettings(machine);
    // Leave the editor as the other specs expect it: the tiny model, ready.
    await useModel(session().models.tiny, TINY_MODEL_NAME);
  });

  afterEach(screenshotOnFailure("chat-"));

  it("explains the selection from the editor's context menu; the answer streams into the chat view", async () => {
    const { page } = session();
    await useModel(models.explain, SCRIPTED_NAME);
    const frame = await openChat(page);
    await frame.locator("body").evaluate(`(() => {
      window.__lengths = [];
      new MutationObserver(() => {
        const answers = document.querySelectorAll(".turn.assistant .turn-body");
        const last = answers[answers.length - 1];
        if (last) window.__lengths.push(last.innerText.length);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);

    await quickOpen(page, "fibonacci.py");
    const editor = page.locator(".monaco-editor .view-lines").first();
    await editor.filter({ hasText: "def fibonacci" }).waitFor();
    await editor.click();
    await page.keyboard.press("Control+Home");
    for (let i = 0; i < 3; i++) await page.keyboard.press("Shift+ArrowDown");
    await page.locator(".monaco-editor .view-line").nth(1).click({ button: "right", position: { x: 40, y: 5 } });
    const item = page.locator(".monaco-menu .action-item", { hasText: "Explain Selection" });
    await item.waitFor({ timeout: 10_000 });
    await screenshot("chat-context-menu");
    await item.click();

    const question = frame.locator(".turn.user").last();
    await question.waitFor();
    const questionText = await question.innerText();
    assert.match(questionText, /Explain what this code does from fibonacci\.py \(Python, lines 1–3\)/);
    assert.match(questionText, /def fibonacci\(n: int\) -> int:/);
    // The user's own quoted code can be copied, not inserted (Insert is for what the model wrote).
    assert.equal(await question.locator(".code-block .code-copy").count(), 1);
    assert.equal(await question.locator(".code-block .code-insert").count(), 0);
    await lastAnswerDone(frame);
    const answer = frame.locator(".turn.assistant").last();
    const body = await answer.locator(".turn-body").innerText();
    assert.ok(body.includes("walks the sequence iteratively"), body);
    assert.ok(body.includes("for _ in range(n):"));
    assert.equal(await answer.locator(".code-block .code-copy").count(), 1);
    assert.equal(await answer.locator(".code-block .code-insert").count(), 1);
    assert.ok((await answer.locator(".hljs-keyword").count()) > 0, "the code block is highlighted");
    assert.equal(await answer.locator("strong").first().innerText(), "iteratively");
    const stats = await answer.locator(".turn-stats").innerText();
    assert.match(stats, new RegExp(`^${SCRIPTED_NAME.replace(/[()]/g, "\\$&")} · [\\d.]+ tokens/s · \\d+ tokens · first token`));
    const lengths = await frame.locator("body").evaluate<number[], undefined>("window.__lengths");
    const partial = new Set(lengths.filter((n) => n > 0 && n < body.length));
    assert.ok(partial.size >= 3, `the answer appeared in ${partial.size} partial steps (${lengths.length} mutations)`);
    await screenshot("chat-explain-answer");
  });

  it("inserts a code block at the cursor in the editor", async () => {
    const { page } = session();
    const frame = chatFrame(page);
    const editor = page.locator(".monaco-editor .view-lines").first();
    await editor.click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    const count = (text: string) => text.split(/def\s+fibonacci/).length - 1;
    const before = count(await editor.innerText());
    await frame.locator(".turn.assistant").last().locator(".code-insert").click();
    await page.waitForFunction(
      `document.querySelector(".monaco-editor .view-lines")?.innerText.split(/def\\s+fibonacci/).length === ${before + 2}`,
      undefined,
      { timeout: 10_000 },
    );
    await editor.click();
    await page.keyboard.press("Control+z");
    await page.keyboard.press("Control+z");
    await page.waitForFunction(
      `document.querySelector(".monaco-editor .view-lines")?.innerText.split(/def\\s+fibonacci/).length === ${before + 1}`,
      undefined,
      { timeout: 10_000 },
    );
  });

  it("looks right in light, dark and high-contrast themes", async () => {
    const { page } = session();
    for (const [theme, bodyClass, name] of [
      ["Light Modern", "vs", "light"],
      ["Dark Modern", "vs-dark", "dark"],
      ["Dark High Contrast", "hc-black", "high-contrast"],
    ] as const) {
      await setTheme(page, theme, bodyClass);
      const frameBody = chatFrame(page).locator("body");
      const kind = await frameBody.getAttribute("class");
      assert.match(kind ?? "", new RegExp(`vscode-${name === "light" ? "light" : name === "dark" ? "dark" : "high-contrast"}`));
      await screenshot(`chat-theme-${name}`);
    }
    await setTheme(page, "Dark Modern", "vs-dark");
  });

  it("Stop ends the answer at once and keeps what it said; the history survives a window reload", async () => {
    const { page } = session();
    await useModel(models.long, SCRIPTED_NAME);
    let frame = await openChat(page);
    await frame.locator("body").evaluate(`(() => {
      document.addEventListener("click", (e) => {
        if (e.target.closest(".stop")) window.__stopClickedAt = performance.now();
      }, true);
      new MutationObserver(() => {
        if (!window.__stopClickedAt) return;
        if (!window.__stoppedAt && document.querySelector(".stop")?.hasAttribute("hidden")) window.__stoppedAt = performance.now();
        const stats = [...document.querySelectorAll(".turn.assistant .turn-stats")].pop();
        if (!window.__confirmedAt && stats && stats.textContent.includes("stopped")) window.__confirmedAt = performance.now();
      }).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    })()`);
    const input = frame.locator(".composer .input");
    await input.fill("Please write a very long answer.");
    await input.press("Enter");
    const answer = frame.locator(".turn.assistant").last();
    await frame.locator(".stop:not([hidden])").waitFor();
    await page.waitForFunction(() => true); // yield once
    await answer.locator(".turn-body", { hasText: "Paragraph 3" }).waitFor({ timeout: 30_000 });
    await frame.locator(".stop").click();
    await answer.locator(".turn-stats", { hasText: "stopped" }).waitFor({ timeout: 5_000 });
    const [stopMs, confirmMs] = await frame.locator("body").evaluate<[number, number], undefined>(
      "[(window.__stoppedAt ?? NaN) - window.__stopClickedAt, (window.__confirmedAt ?? NaN) - window.__stopClickedAt]",
    );
    console.log(
      `      Stop: the view stopped changing ${stopMs.toFixed(1)} ms after the click; the host's confirmation ` +
        `(webview → host → engine abort → webview) arrived after ${confirmMs.toFixed(1)} ms`,
    );
    assert.ok(stopMs < 50, `the view took ${stopMs} ms to stop`);
    assert.ok(Number.isFinite(confirmMs));
    const partial = await answer.locator(".turn-body").innerText();
    assert.ok(partial.includes("Paragraph 1:"));
    assert.ok(!partial.includes("Paragraph 30:"), "the answer was stopped before its end");
    await page.waitForTimeout(500);
    assert.equal(await answer.locator(".turn-body").innerText(), partial, "nothing more arrives after Stop");
    await screenshot("chat-stopped");

    await page.reload();
    await page.locator(".monaco-workbench .part.statusbar").waitFor({ timeout: 60_000 });
    await statusItem(page).filter({ hasText: `SLM · ${statusName(SCRIPTED_NAME)}` }).waitFor({ timeout: READY_TIMEOUT });
    frame = await openChat(page);
    const reloaded = frame.locator(".turn.assistant").last();
    await reloaded.locator(".turn-stats", { hasText: "stopped" }).waitFor({ timeout: 20_000 });
    assert.equal(await reloaded.locator(".turn-body").innerText(), partial);
    const userTurns = await frame.locator(".turn.user").allInnerTexts();
    assert.ok(userTurns.some((t) => t.includes("Please write a very long answer.")));
    assert.ok(userTurns.some((t) => t.includes("Explain what this code does from fibonacci.py")), "the earlier explain question is still there");
    await screenshot("chat-after-reload");
  });

  it("closing the view mid-answer loses nothing: the answer keeps streaming into the history", async () => {
    const { page } = session();
    await runCommand(page, "SLM: New Chat");
    let frame = chatFrame(page);
    await frame.locator(".empty-state").waitFor();
    const input = frame.locator(".composer .input");
    await input.fill("Another long answer, please.");
    await input.press("Enter");
    await frame.locator(".turn.assistant").last().locator(".turn-body", { hasText: "Paragraph 2" }).waitFor({ timeout: 30_000 });
    await runCommand(page, "View: Show Explorer");
    await page.locator(".explorer-folders-view, .explorer-viewlet").first().waitFor();
    await page.waitForTimeout(500);
    frame = await openChat(page);
    const answer = frame.locator(".turn.assistant").last();
    await answer.locator(".turn-footer .turn-stats").waitFor({ timeout: 60_000 });
    const text = await answer.locator(".turn-body").innerText();
    assert.ok(text.includes("Paragraph 1:") && text.includes("Paragraph 30:"), "the whole answer arrived");
    assert.ok(!(await answer.locator(".turn-stats").innerText()).includes("stopped"));
  });

  it("refuses an empty message silently and a 1 MB message with a clear notice, keeping the text", async () => {
    const { page } = session();
    const frame = chatFrame(page);
    const turns = await frame.locator(".turn").count();
    const input = frame.locator(".composer .input");
    await input.fill("   ");
    await input.press("Enter");
    await input.fill("x".repeat(1024 * 1024));
    await input.press("Enter");
    const notice = frame.locator(".notice.warning", { hasText: "1,048,576 characters long; the limit is 100,000" });
    await notice.waitFor({ timeout: 10_000 });
    assert.equal(await frame.locator(".turn").count(), turns, "nothing was sent");
    assert.equal(await frame.locator("body").evaluate('document.querySelector(".composer .input").value.length'), 1024 * 1024, "the text is still in the box");
    await screenshot("chat-too-long");
    await input.fill("");
    await notice.locator("button.dismiss").click();
  });

  it("renders hostile model output as text and runs none of it", async () => {
    const { page } = session();
    await useModel(models.hostile, SCRIPTED_NAME);
    const frame = await openChat(page);
    await runCommand(page, "SLM: New Chat");
    await frame.locator(".empty-state").waitFor();
    await frame.locator("body").evaluate(`(() => {
      window.__csp = [];
      document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
    })()`);
    consoleLines.length = 0;
    probeHits.length = 0;
    const input = frame.locator(".composer .input");
    await input.fill("Show me everything.");
    await input.press("Enter");
    await lastAnswerDone(frame, 90_000);
    await page.waitForTimeout(1000); // time for anything that might fire late (onerror, refresh, fetch)

    const answer = frame.locator(".turn.assistant").last();
    const text = await answer.locator(".turn-body").innerText();
    const payloads = hostilePayloads(probeOrigin);
    assert.ok(payloads.length >= 30);
    const missing = payloads.filter((p) => !text.includes(p.id)).map((p) => p.id);
    assert.deepEqual(missing, [], "every payload is visible as text");
    assert.ok(text.includes("<script>"), "raw HTML is shown, not interpreted");
    assert.ok(text.includes("P40 invalid UTF-8: ") && text.includes(" end of P40"), "invalid UTF-8 does not swallow the text around it");

    const probes = await frame.locator("body").evaluate<{ pwned: string | null; csp: string[]; dangerous: number; links: string[]; scriptsInApp: number }, undefined>(`(() => {
      const dangerous = document.querySelectorAll(${JSON.stringify(DANGEROUS)});
      const links = [...document.querySelectorAll(".messages a[href]")].map((a) => a.getAttribute("href"));
      return { pwned: window.__pwned ?? null, csp: window.__csp, dangerous: dangerous.length, links, scriptsInApp: document.querySelectorAll("#app script").length };
    })()`);
    assert.equal(probes.pwned, null, "no payload set window.__pwned");
    assert.deepEqual(probes.csp, [], "nothing even reached the CSP: the sanitizer stopped it first");
    assert.equal(probes.dangerous, 0, "no active element survived sanitizing");
    // Plain http(s) URLs become links (they open only through the editor, after a confirm); nothing else does.
    assert.ok(probes.links.includes("https://example.invalid/docs"));
    assert.deepEqual(probes.links.filter((href) => !/^https?:\/\/(127\.0\.0\.1:\d+|example\.invalid)\//.test(href)), [], "only http(s) links");
    assert.equal(probes.scriptsInApp, 0, "no script inside the chat");
    assert.deepEqual(consoleLines.filter((l) => l.includes("PWNED")), [], "no payload wrote to the console");
    assert.deepEqual(dialogs, [], "no payload opened a dialog");
    assert.deepEqual(probeHits, [], "no payload fetched anything");
    await frame.locator("body").evaluate('[...document.querySelectorAll(".turn.assistant")].pop().scrollIntoView({ block: "start" })');
    await screenshot("chat-hostile-output");

    // The one real link opens only through the editor, after the user confirms.
    await answer.locator('a[href="https://example.invalid/docs"]').click();
    const dialog = page.locator(".monaco-dialog-box", { hasText: "The model wrote this link" });
    await dialog.waitFor({ timeout: 10_000 });
    assert.ok((await dialog.innerText()).includes("https://example.invalid/docs"));
    await screenshot("chat-link-confirm");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    assert.deepEqual(probeHits, []);
  });
});
