// The running editor the end-to-end specs drive. test/harness/runE2E.ts starts it (code-server with
// the packaged VSIX installed, Chromium on the workbench) and hands it over before mocha runs.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Dialog, Frame, FrameLocator, Locator, Page } from "playwright-core";
import type { CodeServer } from "../harness/codeServer";
import { TINY_MODEL_NAME, type TestModelPaths } from "../harness/testModels";

export interface E2ESession {
  readonly server: CodeServer;
  readonly page: Page;
  readonly models: TestModelPaths;
  readonly workspace: string;
  readonly screenshotDir: string;
  /** The folder the VSIX was installed to. */
  readonly installedExtension: string;
}

let current: E2ESession | undefined;

export function setSession(session: E2ESession | undefined): void {
  current = session;
}

export function session(): E2ESession {
  if (!current) throw new Error("No editor session: run the end-to-end specs through test/harness/runE2E");
  return current;
}

let shot = 0;

/** Saves `.test-run/screenshots/e2e-NN-<name>.png` and returns its path. */
export async function screenshot(name: string, page: Page = session().page): Promise<string> {
  const { screenshotDir } = session();
  fs.mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `e2e-${String(++shot).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** The model name as the status item shows it: no leading "SLM", at most 31 characters before an ellipsis. */
export function statusName(name: string): string {
  const bare = name.replace(/^SLM\s+/, "");
  return bare.length > 32 ? bare.slice(0, 31) : bare;
}

/** The extension's status bar entry (found by its text; the codicon renders as a separate span). */
export function statusItem(page: Page): Locator {
  return page.locator(".part.statusbar .statusbar-item", { hasText: /SLM( ·|:)/ });
}

/** The editor the user works in: the active group's (other specs leave other editors open). */
/** The chat view's webview content (two frames deep). */
export function chatFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready[src*="slm-assistant"]').frameLocator("#active-frame");
}

export function activeEditor(page: Page): Locator {
  return page.locator(".editor-group-container.active .monaco-editor").first();
}

/** Ghost text (inline suggestions) in the active editor. */
export function ghostText(page: Page): Locator {
  return activeEditor(page).locator(".ghost-text-decoration, .ghost-text-decoration-preview");
}

/** The text of view line `line` of the active editor, non-breaking spaces as spaces. */
export async function lineText(page: Page, line: number): Promise<string> {
  const text = await activeEditor(page).locator(".view-lines .view-line").nth(line).innerText();
  return text.replace(/\u00a0/g, " ");
}

/** Error/info toasts currently shown. */
export function toasts(page: Page, hasText: string | RegExp): Locator {
  return page.locator(".notifications-toasts .notification-toast", { hasText });
}

/**
 * Edits the remote settings file the way a person editing it does (the workbench watches it).
 * In code-server the window is remote, and slm.modelPath (scope machine-overridable) is read from
 * the remote settings, not the user settings.
 */
export function updateRemoteSettings(patch: Record<string, unknown>): void {
  const { server } = session();
  server.writeMachineSettings({ ...server.readMachineSettings(), ...patch });
}

/** A mocha afterEach hook that takes a screenshot whenever a test fails, named after the test. */
export function screenshotOnFailure(prefix = ""): (this: Mocha.Context) => Promise<void> {
  return async function (this: Mocha.Context): Promise<void> {
    if (this.currentTest?.state !== "failed") return;
    const slug = this.currentTest.title.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
    console.log(`      screenshot: ${await screenshot(`FAILED-${prefix}${slug}`)}`);
  };
}

/**
 * Runs a command from the Command Palette, as a person does: F1, its title, the exact row. The
 * palette can close under the test (focus moving out of a webview); then it is opened again.
 */
export async function runCommand(page: Page, title: string): Promise<void> {
  // The exact command, not the first fuzzy match (e.g. "Browse Color Themes in Marketplace").
  const exact = new RegExp(`^${title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  for (let attempt = 1; ; attempt++) {
    try {
      await page.keyboard.press("F1");
      const input = page.locator(".quick-input-widget input");
      await input.waitFor({ timeout: 5_000 });
      await input.fill(`>${title}`, { timeout: 5_000 });
      const row = page.locator(".quick-input-list .monaco-list-row").filter({ has: page.locator(".label-name", { hasText: exact }) }).first();
      await row.waitFor({ timeout: 10_000 });
      await row.click();
      return;
    } catch (error) {
      if (attempt === 3) throw error;
      console.log(`      (the Command Palette closed before "${title}" ran; opening it again)`);
      await page.keyboard.press("Escape");
      await page.waitForTimeout(500);
    }
  }
}

/**
 * Reloads the workbench and waits until the tiny model is ready again. code-server's workbench does
 * not pick up edits to the user settings file while it runs (the remote settings file it does), so
 * a spec that changed user settings reloads to apply them.
 */
export async function reloadWindow(readyTimeoutMs = 60_000): Promise<void> {
  const { page } = session();
  // An editor a spec left with unsaved changes can make the page ask before unloading; Playwright
  // dismisses such a dialog by default, which cancels the reload. Leave the page instead.
  const leave = (dialog: Dialog): void => {
    if (dialog.type() === "beforeunload") void dialog.accept();
  };
  page.on("dialog", leave);
  try {
    await page.reload({ timeout: 90_000 });
  } finally {
    page.off("dialog", leave);
  }
  await statusItem(page).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: readyTimeoutMs });
}

/**
 * Chooses `file` in code-server's file picker (VS Code's simple file dialog: a quick input that
 * takes a path), as a person typing the path does. The dialog lists the folder asynchronously and
 * may rewrite the input meanwhile, so the path is typed again until the dialog accepts it.
 */
export async function chooseInFileDialog(page: Page, file: string, title?: string): Promise<void> {
  const widget = title ? page.locator(".quick-input-widget", { hasText: title }) : page.locator(".quick-input-widget");
  await widget.waitFor({ timeout: 15_000 });
  const input = widget.locator(".quick-input-box input");
  await input.waitFor({ timeout: 15_000 });
  // The listing of the starting folder has arrived: typing now is not overwritten by it.
  await widget.locator(".quick-input-list .monaco-list-row").first().waitFor({ timeout: 15_000 }).catch(() => undefined);
  for (let attempt = 1; ; attempt++) {
    if ((await input.inputValue()) !== file) await input.fill(file);
    await input.press("Enter");
    if (await widget.waitFor({ state: "hidden", timeout: 3_000 }).then(() => true, () => false)) return;
    if (attempt === 5) throw new Error(`the file dialog did not accept ${file}; its input reads ${await input.inputValue()}`);
  }
}

/**
 * Opens a workspace file through Quick Open (Ctrl+P), as a person does. A file written just before
 * may not be listed at the first try (the search runs before the file watcher has seen it, or the
 * key went to a view that had focus): then Quick Open is closed and asked again.
 */
export async function quickOpen(page: Page, file: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+P");
    const input = page.locator(".quick-input-widget input");
    try {
      await input.waitFor({ timeout: 10_000 });
      await input.fill(file);
      await page.locator(".quick-input-list .monaco-list-row", { hasText: file }).first().waitFor({ timeout: 15_000 });
      await page.keyboard.press("Enter");
      return;
    } catch (error) {
      if (attempt === 4) throw error;
      console.log(`      (Quick Open did not list ${file}; asking again)`);
    }
  }
}

/**
 * Switches VS Code's own word suggestions off in the workspace: with its widget open, VS Code shows
 * ghost text only when it agrees with the selected item, so specs of our suggestions turn it off.
 */
export function wordSuggestionsOff(workspace: string = session().workspace): void {
  fs.mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
  fs.writeFileSync(
    path.join(workspace, ".vscode", "settings.json"),
    JSON.stringify({ "editor.quickSuggestions": { other: "off", comments: "off", strings: "off" }, "editor.suggestOnTriggerCharacters": false }),
  );
}

/** The frame (at any depth: webviews nest two) showing `selector` with `text`, or undefined. */
export async function frameWith(page: Page, selector: string, text: string | RegExp, timeoutMs: number): Promise<Frame | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (await frame.locator(selector, { hasText: text }).count().catch(() => 0)) return frame;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return undefined;
}
