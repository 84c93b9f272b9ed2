/**
 * npm run bench:threads
 *
 * Automatic threads under CPU contention. A generated model with Qwen2.5-Coder-0.5B's exact shape
 * (Q8_0, random weights) runs completion-sized requests through the engine with `slm.threads`
 * automatic (one per physical core, one fewer per core other programs keep busy) and with the
 * same count fixed, interleaved round by round, while 0, 1 or 2 other processes (busy loops this
 * benchmark starts and ends) keep cores busy.
 *
 * Two request kinds:
 * - keystroke: 4 new prompt tokens on a cached prompt, then 16 generated (what typing costs);
 * - new place: a 256-token prompt from scratch, then 16 generated (the cursor moved).
 *
 * Prints medians and the fixed/automatic ratio per load, and writes bench/out/threads.json.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { median } from "../src/completion/debounce";
import { LocalEngine } from "../src/engine/engine";
import type { Token } from "../src/engine/local/llamaRuntime";
import { readMachineFacts } from "../src/engine/settings";
import { qwen25Coder05BShape } from "../test/support/models";

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const PER_ROUND = 3;
const GENERATED = 16;
const LOADS = [0, 1, 2];

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
  const modelPath = await qwen25Coder05BShape();
  const logs: string[] = [];
  const engine = new LocalEngine({ machine, log: (level, message) => level !== "debug" && logs.push(message) });
  const settings = (threads: number) => ({ modelPath, threads, contextSize: 2048, gpu: "off", flashAttention: true });
  await engine.configure(settings(0));
  if (engine.state.kind !== "ready") throw new Error(`the model did not load: ${JSON.stringify(engine.state.error)}`);
  console.log(`bench:threads: ${path.basename(modelPath)}, ${machine.physicalCores} physical cores, ${ROUNDS} rounds × ${PER_ROUND} requests per mode, kind and load`);

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
  fs.writeFileSync(path.join("bench", "out", "threads.json"), JSON.stringify({ machine, model: path.basename(modelPath), rounds: ROUNDS, perRound: PER_ROUND, rows }, null, 2));
  console.log(`\nwritten: bench/out/threads.json`);
}

/** One completion-sized request on the completion lane; returns its wall time in ms. */
async function request(engine: LocalEngine, kind: Kind, salt: number): Promise<number> {
  return engine.withSession(
    "completion",
    undefined,
    async ({ model, sequence }) => {
      const base = model.tokenize(`// file ${kind === "newPlace" ? salt : 0}\n${"const value = compute(input, options);\n".repeat(40)}`).slice(0, 252);
      const typed = model.tokenize(` x${salt}`).slice(0, 4);
      const prompt: Token[] = [...base, ...typed];
      if (kind === "keystroke") {
        // The base is already in the KV cache (as while typing): only the typed tokens are new.
        const keep = sequence.contextTokens.length >= base.length && base.every((t, i) => sequence.contextTokens[i] === t);
        if (!keep) {
          await sequence.clearHistory();
          await sequence.evaluateWithoutGeneratingNewTokens(base);
        } else if (sequence.contextTokens.length > base.length) {
          await sequence.eraseContextTokenRanges([{ start: base.length, end: sequence.contextTokens.length }]);
        }
      } else {
        await sequence.clearHistory();
      }
      const started = performance.now();
      const toEvaluate = kind === "keystroke" ? typed : prompt;
      let generated = 0;
      for await (const token of sequence.evaluate(toEvaluate, { temperature: 0 })) {
        void token;
        if (++generated >= GENERATED) break;
      }
      return performance.now() - started;
    },
    () => Number.NaN,
  );
}

function startBusyLoops(count: number): ChildProcess[] {
  return Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
}

async function stopBusyLoops(loops: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    loops.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
