/**
 * npm run bench:threads
 *
 * Automatic threads under CPU contention. A generated model with Qwen2.5-Coder-0.5B's exact shape
 * (Q8_0, random weights) runs completion-sized requests through the engine with `slm.threads`
 * automatic (one per physical core, one fewer per core other programs keep busy) and with the
 * same count fixed, interleaved round by round, while 0, 1 or 2 other processes (busy loops this
 * benchmark starts and ends) keep cores busy.
 *
 * Two request kinds, sent through the engine's public fill() (the completion lane's KV reuse):
 * - keystroke: a few new prompt tokens on a cached prompt, then 16 generated (what typing costs);
 * - new place: a ~256-token prompt from scratch, then 16 generated (the cursor moved).
 *
 * Settings: context 2048, flash attention on, CPU only; threads automatic (slm.threads 0) or
 * fixed at the physical core count; BENCH_ROUNDS rounds (default 4) × 3 requests per mode, kind
 * and load. BENCH_HOST=inProcess (default: LocalEngine in this process, as this benchmark always
 * measured) or process (ProcessEngine: the engine in a child process at PRIORITY_BELOW_NORMAL,
 * competing with the busy loops at normal priority). BENCH_MODEL=<file.gguf> runs another model.
 * About 3–4 minutes on a 2-core machine.
 *
 * Prints medians and the fixed/automatic ratio per load, and writes bench/out/threads.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Engine, LogLevel } from "../src/engine/api";
import { readMachineFacts } from "../src/engine/settings";
import { qwen25Coder05BShape } from "../test/support/models";
import { createLocalEngine, createProcessEngine, median, startBusyLoops, stopBusyLoops, threadNiceness, type HostKind } from "./hosts";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const PER_ROUND = 3;
const GENERATED = 16;
const LOADS = [0, 1, 2];
const HOST: HostKind = process.env.BENCH_HOST === "process" ? "process" : "inProcess";
/** ~252 tokens of code; a salt in the first line makes a new place a new prompt. */
const base = (salt: number) => `// file ${salt}\n${"const value = compute(input, options);\n".repeat(28)}`;

type Mode = "automatic" | "fixed";
type Kind = "keystroke" | "newPlace";

interface Row {
  busyProcesses: number;
  mode: Mode;
  kind: Kind;
  medianMs: number;
  samples: number[];
  threadsInUse: number[];
}

async function main(): Promise<void> {
  const machine = readMachineFacts();
  if (machine.physicalCores < 2) {
    console.log(`bench:threads: this machine has ${machine.physicalCores} physical core; automatic threads cannot go lower. Nothing to measure.`);
    return;
  }
  const modelPath = process.env.BENCH_MODEL || (await qwen25Coder05BShape());
  const logs: string[] = [];
  const log = (level: LogLevel, message: string) => void (level !== "debug" && logs.push(message));
  const processEngine = HOST === "process" ? createProcessEngine(machine, log) : undefined;
  const engine: Engine = processEngine ?? createLocalEngine(machine, log);
  const settings = (threads: number) => ({ modelPath, threads, contextSize: 2048, gpu: "off", flashAttention: true });
  await engine.configure(settings(0));
  if (engine.state.kind !== "ready") throw new Error(`the model did not load: ${JSON.stringify(engine.state.error)}`);
  const pid = processEngine ? processEngine.pid : process.pid;
  const niceness = pid ? threadNiceness(pid) : {};
  console.log(`bench:threads: ${path.basename(modelPath)}, host ${HOST} (threads' niceness ${JSON.stringify(niceness)}), ${machine.physicalCores} physical cores, ${ROUNDS} rounds × ${PER_ROUND} requests per mode, kind and load`);

  const rows: Row[] = [];
  let salt = 0;
  for (const busyProcesses of LOADS) {
    const loops = startBusyLoops(busyProcesses);
    try {
      const samples = new Map<string, { ms: number[]; threads: number[] }>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const mode of ["fixed", "automatic"] as const) {
          await engine.configure(settings(mode === "automatic" ? 0 : machine.physicalCores));
          // Automatic threads need two samples (2 s) to see the load; a fixed count needs nothing.
          if (mode === "automatic") await new Promise((resolve) => setTimeout(resolve, 2_500));
          for (const kind of ["keystroke", "newPlace"] as const) {
            const entry = samples.get(`${mode}|${kind}`) ?? { ms: [], threads: [] };
            samples.set(`${mode}|${kind}`, entry);
            // A keystroke types on a prompt already in the KV cache (as after a warm-up at the place).
            if (kind === "keystroke") await fill(engine, base(0), "", true);
            for (let i = 0; i < PER_ROUND; i++) {
              entry.ms.push(await request(engine, kind, salt++));
              entry.threads.push(engine.state.threadsInUse ?? engine.state.threads ?? 0);
            }
          }
        }
      }
      for (const [key, entry] of samples) {
        const [mode, kind] = key.split("|") as [Mode, Kind];
        rows.push({ busyProcesses, mode, kind, medianMs: median(entry.ms), samples: entry.ms, threadsInUse: entry.threads });
      }
    } finally {
      await stopBusyLoops(loops);
    }
  }
  await engine.dispose();

  console.log("");
  console.log("| other busy processes | request | fixed threads, median | automatic, median (threads used) | fixed / automatic |");
  console.log("|---|---|---|---|---|");
  for (const busyProcesses of LOADS) {
    for (const kind of ["keystroke", "newPlace"] as const) {
      const fixed = rows.find((r) => r.busyProcesses === busyProcesses && r.kind === kind && r.mode === "fixed")!;
      const auto = rows.find((r) => r.busyProcesses === busyProcesses && r.kind === kind && r.mode === "automatic")!;
      const used = [...new Set(auto.threadsInUse)].join("/");
      console.log(
        `| ${busyProcesses} | ${kind === "keystroke" ? "keystroke (4 + 16 tokens)" : "new place (256 + 16 tokens)"} | ${fixed.medianMs.toFixed(0)} ms (${fixed.threadsInUse[0]}) | ${auto.medianMs.toFixed(0)} ms (${used}) | ${(fixed.medianMs / auto.medianMs).toFixed(2)}× |`,
      );
    }
  }
  for (const line of logs.filter((l) => /Other programs are using|CPU is free again/.test(l)).slice(0, 6)) console.log(`  log: ${line}`);

  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "threads.json"), JSON.stringify({ machine, host: HOST, engineThreadsNiceness: niceness, model: path.basename(modelPath), rounds: ROUNDS, perRound: PER_ROUND, rows }, null, 2));
  console.log(`\nwritten: bench/out/threads.json`);
}

/** One completion-sized request on the completion lane; returns its wall time in ms. */
async function request(engine: Engine, kind: Kind, salt: number): Promise<number> {
  const started = performance.now();
  const result = await fill(engine, base(kind === "newPlace" ? salt : 0), ` x${salt}`, false);
  const ms = performance.now() - started;
  if (result.generatedTokens !== GENERATED) console.warn(`  a ${kind} request generated ${result.generatedTokens} tokens (${result.stopReason})`);
  return ms;
}

function fill(engine: Engine, prompt: string, typed: string, evaluateOnly: boolean) {
  return engine.fill({
    pieces: [{ text: prompt }, ...(typed ? [{ text: typed }] : [])],
    maxTokens: evaluateOnly ? 0 : GENERATED,
    maxTimeMs: 600_000,
    stopTokens: [],
    stopStrings: [],
    stopAtNewline: false,
    evaluateOnly,
  });
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
