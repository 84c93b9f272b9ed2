// Runs the product for a person (scripts/start.sh calls this): installs the VSIX into
// code-server's extensions folder, starts code-server on 127.0.0.1:PORT with slm.modelPath set and a
// small demo workspace, prints the URL, and stays in the foreground until Ctrl-C, which stops
// code-server's whole process group (extension host included).
//
//   node out/test/harness/serve.js --vsix X.vsix --model M.gguf [--port 8080] [--dir .test-run/start]
import * as fs from "node:fs";
import * as path from "node:path";
import { HOST, installExtension, startCodeServer } from "./codeServer";
import { repoRoot } from "./tools";

function option(name: string, fallback?: string): string {
  const index = process.argv.indexOf(`--${name}`);
  const value = index >= 0 ? process.argv[index + 1] : fallback;
  if (value === undefined) throw new Error(`missing --${name}`);
  return value;
}

const DEMO_FILE = `# A small file to try SLM Assistant on: type below a line and pause for a suggestion,
# or select code and use "SLM: Explain Selection" / the chat view.


def fibonacci(n: int) -> int:
    """Return the n-th Fibonacci number."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


def is_prime(n: int) -> bool:
`;

async function main(): Promise<void> {
  const vsix = path.resolve(option("vsix"));
  const model = path.resolve(option("model"));
  const port = Number(option("port", "8080"));
  const runDir = path.resolve(option("dir", path.join(repoRoot, ".test-run", "start")));
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist (npm run package builds it)`);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad port ${port}`);

  // The folder stays between starts (settings you change, chat history); the extension is reinstalled.
  fs.mkdirSync(runDir, { recursive: true });
  const extensionsDir = path.join(runDir, "extensions");
  const workspace = path.join(runDir, "workspace");
  fs.mkdirSync(workspace, { recursive: true });
  const demo = path.join(workspace, "demo.py");
  if (!fs.existsSync(demo)) fs.writeFileSync(demo, DEMO_FILE);

  const installed = installExtension(vsix, extensionsDir, runDir);
  console.log(`start: installed ${path.basename(vsix)} → ${installed}`);

  const server = await startCodeServer({
    runDir,
    port,
    extensionsDir,
    keepSettings: true,
    // code-server's window is remote: slm.modelPath (machine-overridable) belongs in the remote settings.
    machineSettings: { "slm.modelPath": model },
  });
  console.log(`start: model ${model}`);
  console.log(`start: code-server log ${server.logFile}`);
  console.log("");
  console.log(`  SLM Assistant is running in VS Code (code-server) at:`);
  console.log(`  ${server.workbenchUrl(workspace)}`);
  console.log("");
  console.log(`  Listening on ${HOST}:${port} only. Press Ctrl-C to stop.`);
  let stopping = false;
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      stopping = true;
      console.log(`\nstart: ${signal}; stopping code-server`);
    });
  }
  const code = await server.exited;
  if (stopping) return; // codeServer's signal handler stops the process group and exits.
  console.error(`start: code-server exited (${code}); see ${server.logFile}`);
  process.exit(code ?? 1);
}

main().catch((err: unknown) => {
  console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
