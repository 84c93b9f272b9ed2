/**
 * The peer, measured in the same run: llama.cpp's own llama-server (`/infill`, as llama.vscode
 * asks it) and llama-bench (prompt and decode speed: the per-token floor), both built by
 * scripts/build-llama-server.sh from the llama.cpp source node-llama-cpp ships, with its CPU
 * libraries beside them (the same compute code as ours).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/** Where scripts/build-llama-server.sh puts the binaries (LLAMA_BIN overrides it). */
export function findLlamaBin(): { dir?: string; why?: string } {
  const dir = process.env.LLAMA_BIN ?? path.join(process.env.SLM_TOOLS_DIR ?? path.join(os.homedir(), ".cache", "slm-assistant", "tools"), "llama.cpp-v0.5.0", "bin");
  if (!process.env.LLAMA_BIN && !fs.existsSync(path.join(dir, "..", ".complete"))) return { why: `${dir} is not complete (a build still running?): run \`bash scripts/build-llama-server.sh\`` };
  for (const tool of ["llama-server", "llama-bench"]) {
    if (!fs.existsSync(path.join(dir, tool))) return { why: `${path.join(dir, tool)} is missing: build it with \`bash scripts/build-llama-server.sh\` (about 17 minutes on 2 cores)` };
  }
  return { dir };
}

export type ServerLayout = "psm" | "spm";

export interface PeerServer {
  readonly layout: ServerLayout;
  readonly url: string;
  readonly pid: number;
  readonly flags: readonly string[];
  stop(): Promise<void>;
}

/**
 * llama-server at llama.vscode's recommended flags (`-ub 1024 -b 1024 --cache-reuse 256`, the
 * model's whole context), 127.0.0.1 only, with the default prefix-suffix-middle layout or
 * `--spm-infill`.
 */
export async function startServer(bin: string, model: string, layout: ServerLayout, threads: number): Promise<PeerServer> {
  const port = await freePort();
  const flags = ["-ub", "1024", "-b", "1024", "--cache-reuse", "256", "--ctx-size", "0", ...(layout === "spm" ? ["--spm-infill"] : [])];
  const args = ["-m", model, "-t", String(threads), "-tb", String(threads), "--host", "127.0.0.1", "--port", String(port), "--no-webui", ...flags];
  const child = spawn(path.join(bin, "llama-server"), args, {
    detached: true, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LD_LIBRARY_PATH: bin },
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`llama-server exited (${child.exitCode}):\n${log}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await stopGroup(child);
      throw new Error(`llama-server did not become healthy in 120 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { layout, url, pid: child.pid!, flags, stop: () => stopGroup(child) };
}

export interface InfillShape {
  /** Lines before the cursor's line, each ending in "\n". */
  readonly inputPrefix: string;
  /** The typed part of the cursor's line. */
  readonly prompt: string;
  /** The rest of the line and the lines after it. */
  readonly inputSuffix: string;
}

export interface InfillTiming {
  readonly ms: number;
  readonly text: string;
  readonly promptTokens: number;
  /** Prompt tokens the server evaluated (the rest came from its cache). */
  readonly evaluatedTokens: number;
  readonly generatedTokens: number;
}

/** llama.vscode's /infill request: no extra chunks here (our side gets none either), cache_prompt on. */
export async function infill(server: PeerServer, shape: InfillShape): Promise<InfillTiming> {
  const body = {
    input_prefix: shape.inputPrefix, input_suffix: shape.inputSuffix, input_extra: [], prompt: shape.prompt,
    n_predict: 128, top_k: 40, top_p: 0.99, stream: false, samplers: ["top_k", "top_p", "infill"],
    cache_prompt: true, t_max_prompt_ms: 500, t_max_predict_ms: 1000,
  };
  const started = performance.now();
  const response = await fetch(`${server.url}/infill`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  const json = (await response.json()) as { content?: string; tokens_evaluated?: number; timings?: { prompt_n?: number; predicted_n?: number; cache_n?: number }; error?: unknown };
  const ms = performance.now() - started;
  if (!response.ok) throw new Error(`llama-server /infill: ${response.status} ${JSON.stringify(json.error ?? json)}`);
  const evaluatedTokens = json.timings?.prompt_n ?? 0;
  return {
    ms, text: json.content ?? "", evaluatedTokens,
    promptTokens: json.tokens_evaluated ?? evaluatedTokens + (json.timings?.cache_n ?? 0),
    generatedTokens: json.timings?.predicted_n ?? 0,
  };
}

/** The request llama.vscode sends for a cursor: 256 lines before it, 64 after. */
export function llamaVscodeShape(lines: readonly string[], line: number, character: number): InfillShape {
  const before = lines.slice(Math.max(0, line - 256), line);
  const current = lines[line] ?? "";
  const after = lines.slice(line + 1, line + 1 + 64);
  return {
    inputPrefix: before.length ? `${before.join("\n")}\n` : "",
    prompt: current.slice(0, character),
    inputSuffix: [current.slice(character), ...after].join("\n"),
  };
}

export interface BenchSpeeds {
  /** Prompt tokens per second (pp512, or pp64 in the short mode). */
  readonly promptTokensPerSecond: number;
  /** Generated tokens per second (tg). */
  readonly decodeTokensPerSecond: number;
  readonly args: readonly string[];
  /** Tokens already in the context when measured (0: an empty context). */
  readonly depth?: number;
}

/**
 * llama-bench's prompt and decode speeds on the model, flash attention on like ours; with `depth`,
 * measured after that many tokens already in the context (`-d`), as a request's prompt leaves it.
 */
export function llamaBench(bin: string, model: string, threads: number, short: boolean, depth = 0): BenchSpeeds {
  const args = ["-m", model, "-t", String(threads), "-fa", "1", "-p", short ? "64" : "512", "-n", short ? "16" : "64", "-r", short || depth ? "1" : "3", ...(depth ? ["-d", String(depth)] : []), "-o", "json"];
  const out = execFileSync(path.join(bin, "llama-bench"), args, { encoding: "utf8", env: { ...process.env, LD_LIBRARY_PATH: bin }, stdio: ["ignore", "pipe", "ignore"], maxBuffer: 16 << 20 });
  const rows = JSON.parse(out) as Array<{ n_prompt: number; n_gen: number; avg_ts: number }>;
  const pp = rows.find((row) => row.n_prompt > 0 && row.n_gen === 0);
  const tg = rows.find((row) => row.n_gen > 0 && row.n_prompt === 0);
  if (!pp || !tg) throw new Error(`llama-bench gave no pp/tg rows: ${out.slice(0, 400)}`);
  return { promptTokensPerSecond: pp.avg_ts, decodeTokensPerSecond: tg.avg_ts, args, ...(depth ? { depth } : {}) };
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5_000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
