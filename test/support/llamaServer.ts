// A real llama.cpp llama-server for tests and benchmarks: built by scripts/build-llama-server.sh
// (same llama.cpp commit as node-llama-cpp, cached outside the repository), started on 127.0.0.1
// in its own process group with a generated model, stopped by that group only.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

/** The folder with llama-server: $SLM_LLAMA_BIN, else what the build script prints (it builds once, then answers at once). */
export function llamaBin(): string {
  const fromEnv = process.env.SLM_LLAMA_BIN;
  if (fromEnv && fs.existsSync(path.join(fromEnv, "llama-server"))) return fromEnv;
  const out = execFileSync("bash", [path.join(REPO_ROOT, "scripts", "build-llama-server.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const bin = /LLAMA_BIN=(.+)/.exec(out)?.[1]?.trim();
  if (!bin) throw new Error(`scripts/build-llama-server.sh printed no LLAMA_BIN: ${out}`);
  return bin;
}

export interface LlamaServerOptions {
  readonly model: string;
  /** --alias: the name the server reports (the allowlist convention puts sha256:<hash> in it). */
  readonly alias?: string;
  /** Written to a file and passed with --api-key-file, as an administrator would. */
  readonly apiKey?: string;
  readonly contextSize?: number;
  readonly slots?: number;
  readonly threads?: number;
  /** Reuse this port (a restart with another model). */
  readonly port?: number;
  readonly extraArgs?: readonly string[];
}

export interface RunningLlamaServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the server printed (its log), for assertions that secrets are not in it. */
  output(): string;
  /** Ends the server's process group with SIGKILL (a crash) or SIGTERM, and waits for it. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address() as net.AddressInfo;
      server.close(() => resolve(address.port));
    });
  });
}

export async function startLlamaServer(options: LlamaServerOptions): Promise<RunningLlamaServer> {
  const bin = llamaBin();
  const port = options.port ?? (await freePort());
  const args = [
    "-m", options.model,
    "--host", "127.0.0.1",
    "--port", String(port),
    "-c", String(options.contextSize ?? 4096),
    "-np", String(options.slots ?? 1),
    "-t", String(options.threads ?? 1),
    "--no-webui",
    "--cache-reuse", "256",
    ...(options.alias ? ["--alias", options.alias] : []),
    ...(options.extraArgs ?? []),
  ];
  let keyDir: string | undefined;
  if (options.apiKey) {
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), "slm-llama-key-"));
    const keyFile = path.join(keyDir, "api-keys");
    fs.writeFileSync(keyFile, `${options.apiKey}\n`, { mode: 0o600 });
    args.push("--api-key-file", keyFile);
  }
  const child = spawn(path.join(bin, "llama-server"), args, { detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LD_LIBRARY_PATH: bin } });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitHealthy(url, child, () => output);
  } catch (error) {
    await stop(child, exited, "SIGKILL");
    throw error;
  } finally {
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
  }
  return {
    url,
    port,
    pid: child.pid!,
    output: () => output,
    kill: (signal = "SIGTERM") => stop(child, exited, signal),
  };
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`llama-server exited (${child.exitCode ?? child.signalCode}):\n${output().slice(-3000)}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`llama-server did not become healthy within 60 s:\n${output().slice(-3000)}`);
}

async function stop(child: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid!, signal);
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}
