// Starts code-server (the VS Code server + web workbench) for the editor tests and `npm run start`.
// It runs in its own process group with its home, config, data, cache and temp folders inside one
// run folder, so nothing lands in the real home directory and `stop()` ends exactly the processes it
// started, extension hosts included (they otherwise outlive the browser for hours).
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { findTools, type Tools } from "./tools";

export const HOST = "127.0.0.1";

/** Settings every test run starts with: nothing in the editor may change files or phone home. */
export const baseUserSettings: Readonly<Record<string, unknown>> = {
  "files.autoSave": "off",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "chat.disableAIFeatures": true,
  "security.workspace.trust.enabled": false,
  "window.restoreWindows": "none",
  // Run folders live inside this repository: no "open the parent repository?" prompt.
  "git.openRepositoryInParentFolders": "never",
};

export interface CodeServerOptions {
  /** Folder for everything this instance writes (see tools.freshRunDir). */
  readonly runDir: string;
  /** Extensions folder; default `<runDir>/extensions` (empty). */
  readonly extensionsDir?: string;
  /** Extra user settings on top of baseUserSettings. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /**
   * Remote ("machine") settings, e.g. `{"slm.modelPath": "/x.gguf"}`. code-server's window is a
   * remote window: settings with scope machine / machine-overridable (slm.modelPath) are read from
   * here, and the same keys in user settings are ignored, as for any VS Code remote.
   */
  readonly machineSettings?: Readonly<Record<string, unknown>>;
  /** Default: a free port. */
  readonly port?: number;
  /** Extra environment for the server and so for the extension host. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Lets a page URL carry a `payload` (extensionDevelopmentPath, extensionTestsPath): needed by the
   * integration runner. Off for what a user sees: with it on, the workbench shows no notification toasts.
   */
  readonly smokeTestDriver?: boolean;
  /** Keep what an earlier run left in the settings files (a person's own changes); default: start clean. */
  readonly keepSettings?: boolean;
  /** Copy the server's output to this process's stdout/stderr too (it always goes to the log file). */
  readonly echoOutput?: boolean;
}

export interface CodeServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT` */
  readonly baseUrl: string;
  readonly runDir: string;
  readonly userDataDir: string;
  readonly extensionsDir: string;
  readonly settingsFile: string;
  /** `<user-data>/Machine/settings.json`: the "Remote" tab of the Settings editor. */
  readonly machineSettingsFile: string;
  readonly logFile: string;
  readonly pid: number;
  /** The workbench URL opening `folder`, with an optional smoke-test-driver payload. */
  workbenchUrl(folder?: string, payload?: ReadonlyArray<readonly [string, string]>): string;
  /** A `vscode-remote://` URI for a path on this server (what payload entries must use). */
  remoteUri(absPath: string): string;
  readSettings(): Record<string, unknown>;
  /** Replaces the user settings file (the workbench picks the change up like a user's edit). */
  writeSettings(settings: Record<string, unknown>): void;
  readMachineSettings(): Record<string, unknown>;
  /** Replaces the remote (machine) settings file. */
  writeMachineSettings(settings: Record<string, unknown>): void;
  /** Resolves when the process group is gone. Safe to call twice. */
  stop(): Promise<void>;
  readonly exited: Promise<number | null>;
}

/**
 * Reads a settings file the workbench may be writing at this moment: VS Code truncates and rewrites
 * it, so a read can see an empty or half-written file (seen once in CI as "Unexpected end of JSON
 * input"). Retries for up to 2 s before giving up with the parse error.
 */
function readSettingsFile(file: string): Record<string, unknown> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const text = fs.readFileSync(file, "utf8");
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

/** Child process groups still running, ended on any exit of this process. */
const liveGroups = new Set<number>();
let exitHooksInstalled = false;

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Registers a detached process group so that it is killed however this process ends. */
export function trackProcessGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on("exit", () => {
    for (const g of liveGroups) killGroup(g, "SIGKILL");
  });
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    let stopping = false;
    process.on(signal, () => {
      const code = signal === "SIGINT" ? 130 : 143;
      // A second Ctrl-C does not wait; the "exit" hook SIGKILLs whatever is left.
      if (stopping) process.exit(code);
      stopping = true;
      void Promise.all([...liveGroups].map((g) => stopProcessGroup(g, 2000))).finally(() => process.exit(code));
    });
  }
}

export function untrackProcessGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

/** Stops a process group: SIGTERM, then SIGKILL after `graceMs`; resolves when no member is left. */
export async function stopProcessGroup(pgid: number, graceMs = 3000): Promise<void> {
  killGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (groupAlive(pgid) && Date.now() < deadline) await sleep(50);
  if (groupAlive(pgid)) {
    killGroup(pgid, "SIGKILL");
    const hardDeadline = Date.now() + 2000;
    while (groupAlive(pgid) && Date.now() < hardDeadline) await sleep(50);
  }
  untrackProcessGroup(pgid);
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The isolated environment for code-server and anything it starts. */
export function isolatedEnv(runDir: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const dirs = {
    HOME: path.join(runDir, "home"),
    XDG_CONFIG_HOME: path.join(runDir, "xdg", "config"),
    XDG_DATA_HOME: path.join(runDir, "xdg", "data"),
    XDG_CACHE_HOME: path.join(runDir, "xdg", "cache"),
    XDG_STATE_HOME: path.join(runDir, "xdg", "state"),
    XDG_RUNTIME_DIR: path.join(runDir, "xdg", "runtime"),
    TMPDIR: path.join(runDir, "tmp"),
  };
  for (const dir of Object.values(dirs)) fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // No extension gallery (code-server's Open VSX lookups): nothing we start may reach out.
  const env: NodeJS.ProcessEnv = { ...process.env, ...dirs, EXTENSIONS_GALLERY: "{}", ...extra };
  // The tests' own Node options (e.g. --enable-source-maps from mocha) must not reach the server.
  delete env.NODE_OPTIONS;
  delete env.ELECTRON_RUN_AS_NODE;
  delete env.VSCODE_IPC_HOOK_CLI;
  return env;
}

function httpStatus(url: string, timeoutMs: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(0));
  });
}

function tail(file: string, chars = 4000): string {
  try {
    const text = fs.readFileSync(file, "utf8");
    return text.slice(-chars);
  } catch {
    return "(no log)";
  }
}

/**
 * Installs a VSIX the way a user does (`code-server --install-extension`), into `extensionsDir`.
 * Returns the installed extension's folder.
 */
export function installExtension(vsix: string, extensionsDir: string, runDir: string, tools: Tools = findTools()): string {
  fs.mkdirSync(extensionsDir, { recursive: true });
  const userDataDir = path.join(runDir, "user-data");
  const result = spawnSync(
    tools.node24,
    [
      tools.codeServerEntry,
      "--user-data-dir", userDataDir,
      "--extensions-dir", extensionsDir,
      "--disable-telemetry",
      "--install-extension", vsix,
      "--force",
    ],
    { env: isolatedEnv(runDir), encoding: "utf8", timeout: 120_000 },
  );
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  if (result.status !== 0) {
    throw new Error(`code-server --install-extension ${vsix} failed (${result.status ?? result.signal}):\n${output}`);
  }
  const installed = fs
    .readdirSync(extensionsDir)
    .filter((name) => name.startsWith("slm-assistant.slm-assistant-"))
    .map((name) => path.join(extensionsDir, name));
  if (installed.length === 0) throw new Error(`no slm-assistant folder in ${extensionsDir} after install:\n${output}`);
  return installed[0]!;
}

export async function startCodeServer(options: CodeServerOptions): Promise<CodeServer> {
  const tools = findTools();
  const runDir = options.runDir;
  const userDataDir = path.join(runDir, "user-data");
  const extensionsDir = options.extensionsDir ?? path.join(runDir, "extensions");
  const settingsFile = path.join(userDataDir, "User", "settings.json");
  const machineSettingsFile = path.join(userDataDir, "Machine", "settings.json");
  const logFile = path.join(runDir, "code-server.log");
  const configFile = path.join(runDir, "code-server.yaml");
  const port = options.port ?? (await freePort());

  fs.mkdirSync(path.dirname(settingsFile), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  const earlier = (file: string): Record<string, unknown> => {
    if (!options.keepSettings || !fs.existsSync(file)) return {};
    try {
      return JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  fs.writeFileSync(settingsFile, JSON.stringify({ ...baseUserSettings, ...options.settings, ...earlier(settingsFile) }, null, 2));
  fs.mkdirSync(path.dirname(machineSettingsFile), { recursive: true });
  fs.writeFileSync(machineSettingsFile, JSON.stringify({ ...earlier(machineSettingsFile), ...options.machineSettings }, null, 2));
  fs.writeFileSync(configFile, `bind-addr: ${HOST}:${port}\nauth: none\ncert: false\n`);

  const args = [
    tools.codeServerEntry,
    "--config", configFile,
    "--bind-addr", `${HOST}:${port}`,
    "--auth", "none",
    "--user-data-dir", userDataDir,
    "--extensions-dir", extensionsDir,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--ignore-last-opened",
    ...(options.smokeTestDriver ? ["--vscode-option", "enable-smoke-test-driver"] : []),
  ];
  const log = fs.openSync(logFile, "a");
  const child: ChildProcess = spawn(tools.node24, args, {
    // detached = setsid(): its own session and process group, which stop() ends as a whole.
    detached: true,
    stdio: ["ignore", options.echoOutput ? "pipe" : log, options.echoOutput ? "pipe" : log],
    env: isolatedEnv(runDir, options.env),
    cwd: runDir,
  });
  if (options.echoOutput) {
    child.stdout?.on("data", (d: Buffer) => {
      fs.writeSync(log, d);
      process.stdout.write(d);
    });
    child.stderr?.on("data", (d: Buffer) => {
      fs.writeSync(log, d);
      process.stderr.write(d);
    });
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error("code-server did not start");
  trackProcessGroup(pid);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));

  const baseUrl = `http://${HOST}:${port}`;
  let stopping: Promise<void> | undefined;
  const server: CodeServer = {
    port,
    baseUrl,
    runDir,
    userDataDir,
    extensionsDir,
    settingsFile,
    machineSettingsFile,
    logFile,
    pid,
    exited,
    workbenchUrl(folder, payload) {
      const params = new URLSearchParams();
      if (folder) params.set("folder", folder);
      if (payload && payload.length > 0) params.set("payload", JSON.stringify(payload));
      const query = params.toString();
      return `${baseUrl}/${query ? `?${query}` : ""}`;
    },
    remoteUri(absPath) {
      return `vscode-remote://${HOST}:${port}${absPath}`;
    },
    readSettings() {
      return readSettingsFile(settingsFile);
    },
    writeSettings(settings) {
      fs.writeFileSync(settingsFile, JSON.stringify(settings, null, 2));
    },
    readMachineSettings() {
      return readSettingsFile(machineSettingsFile);
    },
    writeMachineSettings(settings) {
      fs.writeFileSync(machineSettingsFile, JSON.stringify(settings, null, 2));
    },
    stop() {
      stopping ??= stopProcessGroup(pid).finally(() => fs.closeSync(log));
      return stopping;
    },
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (!running) {
      await server.stop();
      throw new Error(`code-server exited before it answered /healthz. Log ${logFile}:\n${tail(logFile)}`);
    }
    if ((await httpStatus(`${baseUrl}/healthz`, 1000)) === 200) break;
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`code-server did not answer /healthz within 60 s. Log ${logFile}:\n${tail(logFile)}`);
    }
    await sleep(100);
  }
  return server;
}
