// Runs the extension-host integration tests in a real VS Code (code-server's web workbench in
// headless Chromium): the workbench loads the extension from its source folder
// (extensionDevelopmentPath), runs `extensionTestsPath`'s run() in the Node extension host, and
// reports the end through window.codeAutomationExit(code).
//
//   node out/test/harness/runIntegration.js [--extensionDevelopmentPath=DIR] [--extensionTestsPath=FILE]
//
// Those two flags are also what @vscode/test-electron passes to a VS Code executable, so
// test/harness/code (a shim calling this file) can stand in for one: runTests({vscodeExecutablePath}).
// Env: SLM_TEST_GREP (mocha grep), SLM_TEST_TIMEOUT_MS (per test), SLM_TEST_VERBOSE=1 (workbench log).
import * as fs from "node:fs";
import * as path from "node:path";
import { launchBrowser, type BrowserSession } from "./browser";
import { startCodeServer, type CodeServer } from "./codeServer";
import { resolveTestModels, testModelEnv } from "./testModels";
import { findTools, freshRunDir, repoRoot } from "./tools";

interface TestResults {
  passes: number;
  failures: number;
  pending: number;
  durationMs: number;
  tests: { title: string; state: string; durationMs?: number; error?: string }[];
  notes: string[];
}

const RUN_TIMEOUT_MS = Number(process.env.SLM_INTEGRATION_TIMEOUT_MS) || 5 * 60_000;

function argValue(name: string): string | undefined {
  const prefix = `--${name}=`;
  const found = process.argv.find((a) => a.startsWith(prefix));
  return found ? path.resolve(found.slice(prefix.length)) : undefined;
}

function elapsed(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)} s`;
}

async function main(): Promise<number> {
  const started = Date.now();
  const extensionDevelopmentPath = argValue("extensionDevelopmentPath") ?? repoRoot;
  const extensionTestsPath = argValue("extensionTestsPath") ?? path.join(repoRoot, "out", "test", "integration", "index.js");
  if (!fs.existsSync(extensionTestsPath)) {
    console.error(`integration: ${extensionTestsPath} does not exist; run npm run compile first.`);
    return 2;
  }
  const mainFile = path.join(extensionDevelopmentPath, "dist", "extension.js");
  if (!fs.existsSync(mainFile)) {
    console.error(`integration: ${mainFile} does not exist; run npm run build first.`);
    return 2;
  }
  findTools();

  const runDir = freshRunDir("integration");
  const workspace = path.join(runDir, "workspace");
  fs.mkdirSync(workspace, { recursive: true });
  fs.writeFileSync(path.join(workspace, "example.py"), "def add(a, b):\n    return a + b\n");
  const resultsFile = path.join(runDir, "results.json");
  const models = await resolveTestModels(runDir);

  let server: CodeServer | undefined;
  let browser: BrowserSession | undefined;
  try {
    server = await startCodeServer({
      runDir,
      // The model is configured from the start, as for a returning user: activation must still not load it.
      machineSettings: { "slm.modelPath": models.tiny },
      smokeTestDriver: true,
      env: {
        ...testModelEnv(models),
        SLM_TEST_RESULTS: resultsFile,
        ...(process.env.SLM_TEST_GREP ? { SLM_TEST_GREP: process.env.SLM_TEST_GREP } : {}),
        ...(process.env.SLM_TEST_TIMEOUT_MS ? { SLM_TEST_TIMEOUT_MS: process.env.SLM_TEST_TIMEOUT_MS } : {}),
      },
    });
    console.log(`integration: code-server up on ${server.baseUrl} after ${elapsed(started)} (log: ${path.relative(repoRoot, server.logFile)})`);

    browser = await launchBrowser(runDir);
    const page = browser.page;
    const verbose = process.env.SLM_TEST_VERBOSE === "1";
    const exitCode = new Promise<number>((resolve) => {
      void page.exposeFunction("codeAutomationExit", (code: number) => resolve(Number(code)));
    });
    await page.exposeFunction("codeAutomationLog", (level: string, message: unknown) => {
      const text = logText(message);
      // The extension host's console (mocha's lines, the tests' notes) arrives here among the
      // workbench's own log; show the test lines always and the rest on request.
      const testLine = /\[(mocha|note)\]/.exec(text);
      if (testLine) {
        console.log(text.slice(testLine.index).split("\n").map((l) => `  ${l}`).join("\n"));
      } else if (verbose || (level === "error" && !OFFLINE_NOISE.test(text))) {
        console.log(`  [workbench ${level}] ${text}`);
      }
    });
    page.on("pageerror", (err) => verbose && console.log(`  [page error] ${err.message}`));

    const url = server.workbenchUrl(workspace, [
      ["extensionDevelopmentPath", server.remoteUri(extensionDevelopmentPath)],
      ["extensionTestsPath", server.remoteUri(extensionTestsPath)],
    ]);
    await page.goto(url);

    const timeout = new Promise<number>((resolve) =>
      setTimeout(() => {
        console.error(`integration: no result after ${RUN_TIMEOUT_MS / 1000} s; giving up`);
        resolve(124);
      }, RUN_TIMEOUT_MS).unref(),
    );
    const code = await Promise.race([exitCode, timeout]);

    let results: TestResults | undefined;
    if (fs.existsSync(resultsFile)) results = JSON.parse(fs.readFileSync(resultsFile, "utf8")) as TestResults;
    if (results) {
      const failed = results.tests.filter((t) => t.state === "failed");
      if (failed.length > 0) {
        console.log("\nFailures:");
        failed.forEach((t, i) => console.log(`\n  ${i + 1}) ${t.title}\n${indent(t.error ?? "", 6)}`));
      }
      if (results.notes.length > 0) {
        console.log("\nNotes:");
        for (const note of results.notes) console.log(`  ${note}`);
      }
      console.log(`\nintegration: ${results.passes} passing, ${results.failures} failing${results.pending ? `, ${results.pending} pending` : ""} (${elapsed(started)} in all)`);
    } else {
      console.log(`\nintegration: 0 passing, 1 failing (the tests did not report; exit code ${code}; see ${server.logFile})`);
      return code === 0 ? 1 : code;
    }
    if (code !== 0 && results.failures === 0) console.log(`integration: the extension host reported exit code ${code}`);
    return code;
  } finally {
    await browser?.close();
    await server?.stop();
  }
}

/** The workbench's gallery and update checks fail offline; that is expected here. */
const OFFLINE_NOISE = /ENOTFOUND|EAI_AGAIN|authentication provider 'github'|open-vsx\.org|marketplace\.visualstudio\.com|Failed to fetch/;

/** The workbench logs `[message, ...args]` arrays, sometimes already serialized. */
function logText(message: unknown): string {
  let value = message;
  if (typeof value === "string" && value.startsWith("[")) {
    try {
      value = JSON.parse(value);
    } catch {
      // A plain string that happens to start with "[".
    }
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(" ");
  return typeof value === "string" ? value : JSON.stringify(value);
}

function indent(text: string, n: number): string {
  return text
    .split("\n")
    .map((l) => " ".repeat(n) + l)
    .join("\n");
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    console.log("integration: 0 passing, 1 failing (the harness failed)");
    process.exit(1);
  },
);
