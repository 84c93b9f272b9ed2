// Browser end-to-end tests of the packaged extension, as a user gets it:
//   1. installs slm-assistant-linux-x64.vsix (built by `npm run package`) with
//      `code-server --install-extension` into a fresh extensions folder OUTSIDE the repository, so
//      node-llama-cpp can only come from the VSIX (Node would otherwise find the repo's node_modules);
//   2. starts code-server with slm.modelPath = the tiny model and a small workspace;
//   3. opens the workbench in headless Chromium and runs mocha over out/test/e2e/*.test.js, which
//      drive the page (see test/e2e/session.ts). Screenshots go to .test-run/screenshots/.
// Every process group it starts is stopped on the way out, failures and Ctrl-C included.
//
//   node out/test/harness/runE2E.js      Env: SLM_VSIX=path.vsix, SLM_TEST_GREP=pattern
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Mocha from "mocha";
import { launchBrowser, waitForWorkbench, type BrowserSession } from "./browser";
import { installExtension, startCodeServer, type CodeServer } from "./codeServer";
import { resolveTestModels } from "./testModels";
import { findTools, freshRunDir, repoRoot } from "./tools";
import { setSession } from "../e2e/session";
import { guardRejections } from "../support/rejectionGuard";

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

/** The addon file the extension host actually loaded, from /proc (Linux), to prove where it came from. */
function loadedLlamaAddons(pgid: number): string[] {
  const found = new Set<string>();
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // Fields after the ")" that ends the command name: state ppid pgrp ...
      const pgrp = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
      if (pgrp !== pgid) continue;
      for (const line of fs.readFileSync(`/proc/${pid}/maps`, "utf8").split("\n")) {
        const file = line.slice(line.indexOf("/"));
        if (line.includes("/") && file.endsWith("llama-addon.node")) found.add(file);
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return [...found];
}

async function main(): Promise<number> {
  const started = Date.now();
  const vsix = path.resolve(process.env.SLM_VSIX || path.join(repoRoot, "slm-assistant-linux-x64.vsix"));
  if (!fs.existsSync(vsix)) {
    console.error(`e2e: ${vsix} does not exist; run npm run package first.`);
    console.log("e2e: 0 passing, 1 failing (no VSIX)");
    return 2;
  }
  findTools();
  const runDir = freshRunDir("e2e");
  // A second concurrent run (another person in this checkout) keeps its screenshots to itself.
  const screenshotDir = path.basename(runDir) === "e2e" ? path.join(repoRoot, ".test-run", "screenshots") : path.join(runDir, "screenshots");
  fs.rmSync(screenshotDir, { recursive: true, force: true });
  const extensionsRoot = fs.mkdtempSync(path.join(os.tmpdir(), "slm-e2e-extensions-"));
  const extensionsDir = path.join(extensionsRoot, "extensions");

  let server: CodeServer | undefined;
  let browser: BrowserSession | undefined;
  try {
    const installedExtension = installExtension(vsix, extensionsDir, runDir);
    if (!fs.existsSync(path.join(installedExtension, "node_modules", "node-llama-cpp", "package.json"))) {
      throw new Error(`the installed extension has no node_modules/node-llama-cpp: ${installedExtension}`);
    }
    console.log(`e2e: installed ${path.basename(vsix)} into ${installedExtension} (${elapsed(started)})`);

    const models = await resolveTestModels(runDir);
    const workspace = path.join(runDir, "workspace");
    fs.mkdirSync(workspace, { recursive: true });
    fs.writeFileSync(
      path.join(workspace, "fibonacci.py"),
      'def fibonacci(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n',
    );

    server = await startCodeServer({ runDir, extensionsDir, machineSettings: { "slm.modelPath": models.tiny } });
    console.log(`e2e: code-server up on ${server.baseUrl} (${elapsed(started)})`);
    browser = await launchBrowser(runDir);
    // Generous: on a loaded 2-core machine the first workbench load has taken over 30 s.
    await browser.page.goto(server.workbenchUrl(workspace), { timeout: 120_000 });
    await waitForWorkbench(browser.page, 120_000);
    console.log(`e2e: workbench loaded (${elapsed(started)})`);

    setSession({ server, page: browser.page, models, workspace, screenshotDir, installedExtension });
    const mocha = new Mocha({ ui: "bdd", reporter: "spec", timeout: 120_000, grep: process.env.SLM_TEST_GREP || undefined, rootHooks: guardRejections() });
    const e2eDir = path.join(repoRoot, "out", "test", "e2e");
    for (const file of fs.readdirSync(e2eDir).filter((f) => f.endsWith(".test.js")).sort()) mocha.addFile(path.join(e2eDir, file));
    const stats = await new Promise<Mocha.Stats>((resolve) => {
      const runner = mocha.run(() => resolve(runner.stats ?? ({ passes: 0, failures: 1 } as Mocha.Stats)));
    });

    const addons = loadedLlamaAddons(server.pid);
    if (addons.length > 0) {
      console.log(`e2e: the extension host loaded ${addons.map((a) => a.replace(extensionsRoot, "<extensions>")).join(", ")}`);
      const outside = addons.filter((a) => !a.startsWith(installedExtension));
      if (outside.length > 0) {
        console.log(`e2e: node-llama-cpp was NOT loaded from the installed extension: ${outside.join(", ")}`);
        stats.failures += 1;
      }
    }
    const shots = fs.existsSync(screenshotDir) ? fs.readdirSync(screenshotDir).sort() : [];
    console.log(`e2e: screenshots in ${path.relative(repoRoot, screenshotDir)}/: ${shots.join(", ")}`);
    console.log(`\ne2e: ${stats.passes} passing, ${stats.failures} failing (${elapsed(started)} in all)`);
    return stats.failures > 0 ? 1 : 0;
  } finally {
    setSession(undefined);
    await browser?.close();
    await server?.stop();
    fs.rmSync(extensionsRoot, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    console.log("e2e: 0 passing, 1 failing (the harness failed)");
    process.exit(1);
  },
);
