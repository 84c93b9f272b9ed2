// A model file that makes llama.cpp abort while loading, in a real editor window: only the engine
// process dies. The window keeps working (Quick Open still finds the workspace's files, no
// "extension host terminated" message), the status bar says the engine stopped, and after a
// window reload the bad model is not loaded again (no engine process starts for it) until the user
// chooses it again; a good model works at once.
//
// Our header check refuses such files before llama.cpp sees them (tested in the unit and engine
// layers); this spec runs its own code-server with that check switched off (the test-only
// SLM_TEST_UNSAFE_SKIP_HEADER_CHECK=1), so the file reaches llama.cpp's assertion.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";
import { waitForWorkbench } from "../harness/browser";
import { startCodeServer, type CodeServer } from "../harness/codeServer";
import { TINY_MODEL_NAME } from "../harness/testModels";
import { freshRunDir } from "../harness/tools";
import { runCommand, screenshot, session, statusItem, toasts, statusName } from "./session";

const STOPPED = "SLM: engine stopped";

describe("A model that crashes llama.cpp while loading (own code-server, installed VSIX)", function () {
  this.timeout(240_000);
  afterEach(async function () {
    if (this.currentTest?.state === "failed" && page) console.log(`      screenshot: ${await screenshot("FAILED-engine-crash", page)}`);
  });

  let server: CodeServer | undefined;
  let page: Page | undefined;

  before(async function () {
    const { models, server: main, workspace } = session();
    if (!models.crash) this.skip();
    server = await startCodeServer({
      runDir: freshRunDir("e2e-engine-crash"),
      extensionsDir: main.extensionsDir,
      env: { SLM_TEST_UNSAFE_SKIP_HEADER_CHECK: "1" },
      settings: { "slm.threads": 1 },
      machineSettings: { "slm.modelPath": models.crash },
    });
    page = await session().page.context().newPage();
    await page.goto(server.workbenchUrl(workspace), { timeout: 120_000 });
    await waitForWorkbench(page, 120_000);
  });

  after(async () => {
    await page?.close();
    await server?.stop();
    await session().page.bringToFront();
  });

  it("the engine process dies, the window keeps working, and the status bar says why", async () => {
    const { models } = session();
    await statusItem(page!).filter({ hasText: STOPPED }).waitFor({ timeout: 90_000 });
    const log = await waitForLog(server!, /model engine stopped while loading .*SIGABRT/);
    assert.match(log, /not loaded again automatically/);
    assert.ok(log.includes(path.basename(models.crash!)), "the log does not name the model file");

    // The extension host is alive: Quick Open still finds the workspace's files.
    await page!.keyboard.press("Control+P");
    const input = page!.locator(".quick-input-widget input");
    await input.waitFor({ timeout: 10_000 });
    await input.fill("fibonacci");
    await page!.locator(".quick-input-list .monaco-list-row", { hasText: "fibonacci.py" }).first().waitFor({ timeout: 15_000 });
    await page!.keyboard.press("Escape");
    assert.equal(await toasts(page!, /terminated unexpectedly/).count(), 0, "an extension host died");
    await screenshot("engine-crash-stopped", page);
  });

  it("after a window reload the bad model is not loaded again, and no engine process starts for it", async () => {
    const logsBefore = extensionHostLogs(server!).length;
    await runCommand(page!, "Developer: Reload Window");
    await waitForWorkbench(page!, 120_000);
    await statusItem(page!).filter({ hasText: STOPPED }).waitFor({ timeout: 60_000 });
    const log = await waitForLog(server!, /crashed the model engine while loading last time/, logsBefore);
    assert.doesNotMatch(log, /model engine stopped while loading/, "the reloaded window loaded the bad model again");
    assert.deepEqual(engineProcesses(server!.pid), [], "an engine process is running for the refused model");
    await statusItem(page!).hover();
    await screenshot("engine-crash-after-reload", page);
  });

  it("a good model works on the next load", async () => {
    const { models } = session();
    server!.writeMachineSettings({ ...server!.readMachineSettings(), "slm.modelPath": models.tiny });
    await statusItem(page!).filter({ hasText: `SLM · ${statusName(TINY_MODEL_NAME)}` }).waitFor({ timeout: 60_000 });
    assert.equal(engineProcesses(server!.pid).length, 1, "one engine process for the good model");
  });
});

/** The SLM Assistant log of each extension host this code-server started, oldest first. */
function extensionHostLogs(server: CodeServer): string[] {
  const root = path.join(server.userDataDir, "logs");
  const logs: string[] = [];
  for (const sessionDir of fs.existsSync(root) ? fs.readdirSync(root).sort() : []) {
    for (const host of fs.readdirSync(path.join(root, sessionDir)).sort()) {
      const file = path.join(root, sessionDir, host, "slm-assistant.slm-assistant", "SLM Assistant.log");
      if (host.startsWith("exthost") && fs.existsSync(file)) logs.push(file);
    }
  }
  return logs.sort((a, b) => fs.statSync(a).birthtimeMs - fs.statSync(b).birthtimeMs);
}

/** Waits until a log of an extension host started after the first `skip` ones matches `pattern`. */
async function waitForLog(server: CodeServer, pattern: RegExp, skip = 0): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const text = extensionHostLogs(server).slice(skip).map((file) => fs.readFileSync(file, "utf8")).join("\n");
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`no extension host log matched ${pattern}:\n${text.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** Engine processes (dist/engineHost.js) that descend from the code-server process `root`. */
function engineProcesses(root: number): number[] {
  const parentOf = (pid: number): number => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    } catch {
      return 0;
    }
  };
  const descends = (pid: number): boolean => {
    for (let at = parentOf(pid), hops = 0; at > 1 && hops < 64; at = parentOf(at), hops++) if (at === root) return true;
    return false;
  };
  return fs
    .readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("engineHost.js") && descends(pid);
      } catch {
        return false;
      }
    });
}
