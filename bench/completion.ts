/**
 * npm run bench:completion:scenarios (run it as `nice -n 10 npm run bench:completion` on a shared
 * machine; `bench:completion` runs this and then the engine hosts' comparison, completionHosts.ts)
 *
 * What users feel at a keystroke, in four scenarios (bench/scenarios.ts: cold = move and type at
 * once, warm = after a pause, forward = typing on, return = back in a file visited before), through
 * the real completion pipeline and engine (the process host, as installed), against the peer in
 * the same run on the same model, positions and text: llama-server `/infill` with llama.vscode's
 * request (its recommended flags; the default layout and `--spm-infill`), and llama-bench's
 * prompt and decode speeds as the per-token floor. Prints a table; writes bench/out/completion.json.
 *
 * Model: a cost-faithful scripted model (test/support/gguf/costFaithful.ts) of Qwen2.5-Coder-0.5B's
 * exact shape (BENCH_SHAPE=1.5b: 1.5B's), Q8_0, zero layer weights, which writes the same 21-byte
 * line (21 tokens) and then <|endoftext|> at every place, so every system generates the same
 * tokens and each costs what it costs in the real model. 2 threads (BENCH_THREADS), context 4096
 * for ours (llama-server: the model's whole context, as recommended), flash attention on.
 *
 * Knobs: BENCH_POSITIONS_PER_FILE (default 5: 20 places in Python, C++, TypeScript and JavaScript
 * files of the llama.cpp source), BENCH_COLD_KEYS (3), BENCH_FORWARD_KEYS (3), BENCH_SHORT=1 (the
 * tiny scripted model, one place per file: proves the scenarios work in a minute; what `npm test`
 * runs), LLAMA_BIN (where llama-server and llama-bench are; default: scripts/build-llama-server.sh's
 * cache). Without llama-server the peer columns are skipped with a message saying how to build it.
 * A full run takes about 12–15 minutes on a quiet 2-core machine.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { costFaithfulModel, scriptedModel, type CostFaithfulShape } from "../test/support/models";
import { readLlamaSourceFile } from "../test/support/gguf/llamaSource";
import { benchMachine, cpuPressure, createProcessEngine, load, percentile, reniceThreads, threadNiceness, waitForQuiet } from "./hosts";
import { findLlamaBin, llamaBench, startServer, type BenchSpeeds, type PeerServer } from "./peer";
import { runScenarios, SCENARIOS, type Sample, type Scenario, type SourceFile, type System } from "./scenarios";

/** The completion every place gets: a realistic line, one token per byte (21 tokens). */
export const SCRIPT = "value = compute(item)";

const FILES: ReadonlyArray<{ path: string; languageId: string }> = [
  { path: "gguf-py/gguf/gguf_writer.py", languageId: "python" },
  { path: "src/llama-vocab.cpp", languageId: "cpp" },
  { path: "tools/ui/src/lib/services/chat.service.ts", languageId: "typescript" },
  { path: "tools/ui/src/lib/vendors/big-integer/BigInteger.js", languageId: "javascript" },
];

export interface BenchOptions {
  readonly short: boolean;
  readonly log?: (line: string) => void;
}

export interface BenchResult {
  readonly samples: Sample[];
  readonly summary: ReturnType<typeof summarize>;
  readonly peerSkipped?: string;
  readonly [key: string]: unknown;
}

export async function runCompletionBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const short = options.short;
  const threads = Number(process.env.BENCH_THREADS ?? (short ? 1 : 2));
  const shape = (process.env.BENCH_SHAPE ?? "0.5b") as CostFaithfulShape;
  const pressureBefore = cpuPressure();
  const started = performance.now();
  const model = process.env.BENCH_MODEL || (short ? await scriptedModel(SCRIPT) : await costFaithfulModel(shape, SCRIPT));
  const modelLabel = process.env.BENCH_MODEL ? path.basename(model) : short ? "tiny scripted model (short mode)" : `cost-faithful scripted Qwen2.5-Coder-${shape.toUpperCase()} shape, Q8_0`;
  log(`bench:completion${short ? " (short)" : ""}: ${modelLabel}, ${threads} threads, ${os.cpus().length} CPUs, CPU pressure before: ${pressureBefore ?? "n/a"}`);

  const bin = findLlamaBin();
  let floor: BenchSpeeds | undefined;
  const servers: PeerServer[] = [];
  if (bin.dir) {
    floor = llamaBench(bin.dir, model, threads, short);
    log(`  llama-bench: prompt ${floor.promptTokensPerSecond.toFixed(1)} tokens/s, decode ${floor.decodeTokensPerSecond.toFixed(1)} tokens/s`);
    for (const layout of ["psm", "spm"] as const) servers.push(await startServer(bin.dir, model, layout, threads));
  } else {
    log(`  peer columns skipped: ${bin.why}`);
  }

  const engine = createProcessEngine(benchMachine(threads), (level, message) => level === "error" && log(message));
  let samples: Sample[];
  const quietWaits: number[] = [];
  const seen: Sample[] = [];
  const floorsAtDepth: { afterSamples: number; speeds: BenchSpeeds }[] = [];
  let quietTimeouts = 0;
  let engineNiceness: Record<string, number> | undefined;
  try {
    await load(engine, { modelPath: model, threads, contextSize: 4096, gpu: "off", flashAttention: true }, "process");
    // The engine process lowers its own priority (nice 5 above the editor's); here it runs at the
    // benchmark's niceness like the peers, so a busy machine does not favour one side.
    const sameNice = () => engine.pid !== undefined && reniceThreads(engine.pid, os.getPriority());
    sameNice();
    let reniced = false;

    const files: SourceFile[] = FILES.map((file) => {
      const text = readLlamaSourceFile(file.path)?.toString("utf8");
      if (!text) throw new Error(`missing ${file.path} in the llama.cpp source bundle`);
      return { ...file, lines: text.replace(/\r\n/g, "\n").split("\n") };
    });
    samples = await runScenarios({
      engine, servers, files,
      positionsPerFile: Number(process.env.BENCH_POSITIONS_PER_FILE ?? (short ? 1 : 5)),
      coldKeys: Number(process.env.BENCH_COLD_KEYS ?? (short ? 2 : 3)),
      forwardKeys: Number(process.env.BENCH_FORWARD_KEYS ?? (short ? 1 : 3)),
      keyIntervalMs: 150,
      // The floor at our prompts' depth, measured after every place: the machine's speed drifts by
      // a quarter within minutes here, so each sample is compared with the measurement next to it.
      afterPlace: () => {
        if (!bin.dir) return;
        const ours = seen.filter((s) => s.system === "ours" && s.promptTokens > 0);
        const depth = Math.round(percentile(ours.map((s) => s.promptTokens), 50) / 64) * 64;
        if (!(depth > 0)) return;
        const speeds = llamaBench(bin.dir, model, threads, short, depth);
        floorsAtDepth.push({ afterSamples: seen.length, speeds });
        if (process.env.BENCH_VERBOSE) log(`    llama-bench at depth ${depth}: prompt ${speeds.promptTokensPerSecond.toFixed(1)}, decode ${speeds.decodeTokensPerSecond.toFixed(1)} tokens/s`);
      },
      quiet: async () => {
        const waited = await waitForQuiet([...(engine.pid !== undefined ? [engine.pid] : []), ...servers.map((server) => server.pid)]);
        quietWaits.push(waited.waitedMs);
        if (waited.timedOut) quietTimeouts++;
      },
      onSample: (s) => {
        seen.push(s);
        // llama.cpp's worker threads start with the first evaluation: give them the same niceness.
        if (!reniced) reniced = sameNice();
        if (process.env.BENCH_VERBOSE) {
          const t = s.timings;
          const parts = t ? ` (context ${t.contextMs.toFixed(0)}, queue ${t.queueMs.toFixed(0)}, eval ${t.evalMs.toFixed(0)}, generate ${t.generateMs.toFixed(0)}, post ${t.postprocessMs.toFixed(0)} ms)` : "";
          log(`    ${s.scenario} ${s.system} ${s.file}:${s.line} ${s.ms.toFixed(0)} ms${parts}, ${s.evaluatedTokens} evaluated, ${s.generatedTokens} generated ${JSON.stringify(s.text)}`);
        }
      },
    });
    if (engine.pid !== undefined) engineNiceness = threadNiceness(engine.pid);
  } finally {
    await engine.dispose();
    for (const server of servers) await server.stop();
  }
  // Our requests run with a prompt of ~2,000 tokens already in the context, and each token then
  // costs more (attention reads the whole context): the floor is measured at that depth, after
  // every place; a sample is compared with the first measurement after it.
  const floorOf = (sample: Sample): BenchSpeeds | undefined => {
    const index = samples.indexOf(sample);
    return (floorsAtDepth.find((f) => f.afterSamples > index) ?? floorsAtDepth.at(-1))?.speeds ?? floor;
  };
  const summary = summarize(samples, floorOf);
  return {
    machine: { cpus: os.cpus()[0]?.model, cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, shared: true },
    settings: { model: modelLabel, script: SCRIPT, threads, contextSize: 4096, flashAttention: true, short, servers: servers.map((s) => ({ layout: s.layout, flags: s.flags })), llamaBench: floor?.args },
    llamaBench: floor,
    llamaBenchAtDepth: floorsAtDepth.map((f) => ({ afterSamples: f.afterSamples, ...f.speeds })),
    engineThreadsNiceness: engineNiceness, benchNiceness: os.getPriority(),
    durationSeconds: Math.round((performance.now() - started) / 1000),
    cpuPressure: { before: pressureBefore, after: cpuPressure() },
    quietBeforeEachRequest: { waitedMsP50: percentile(quietWaits, 50), waitedMsMax: Math.max(0, ...quietWaits), timeouts: quietTimeouts, requests: quietWaits.length },
    ...(bin.why ? { peerSkipped: bin.why } : {}),
    summary,
    samples,
  };
}

/** `floor`: llama-bench's speeds at our requests' median prompt depth (at 0 when that could not run). */
function summarize(samples: readonly Sample[], floorOf: (sample: Sample) => BenchSpeeds | undefined) {
  // A key answered from the suggestion cache (typed as suggested) is no model call: left out.
  const of = (scenario: Scenario, system: System) => samples.filter((s) => s.scenario === scenario && s.system === system && s.outcome !== "cache");
  const stat = (list: readonly Sample[]) => ({ p50: percentile(list.map((s) => s.ms), 50), p95: percentile(list.map((s) => s.ms), 95), count: list.length });
  const table = Object.fromEntries(SCENARIOS.map((scenario) => [scenario, {
    ours: stat(of(scenario, "ours")), psm: stat(of(scenario, "psm")), spm: stat(of(scenario, "spm")),
    oursEvaluatedTokensP50: percentile(of(scenario, "ours").map((s) => s.evaluatedTokens), 50),
    psmEvaluatedTokensP50: percentile(of(scenario, "psm").map((s) => s.evaluatedTokens), 50),
    spmEvaluatedTokensP50: percentile(of(scenario, "spm").map((s) => s.evaluatedTokens), 50),
  }])) as Record<Scenario, { ours: ReturnType<typeof stat>; psm: ReturnType<typeof stat>; spm: ReturnType<typeof stat>; oursEvaluatedTokensP50: number; psmEvaluatedTokensP50: number; spmEvaluatedTokensP50: number }>;
  const ours = samples.filter((s) => s.system === "ours" && s.outcome !== "cache");
  const floorMs = (s: Sample) => {
    const floor = floorOf(s);
    return floor ? ((s.evaluatedTokens > 8 ? s.evaluatedTokens / floor.promptTokensPerSecond : 1 / floor.decodeTokensPerSecond) + s.generatedTokens / floor.decodeTokensPerSecond) * 1000 : NaN;
  };
  const warmOurs = of("warm", "ours");
  // Where a warm keystroke's time goes (medians of each part; "outside" is the keystroke's time
  // the pipeline's own timings do not cover: the IPC round trip, the engine's tokenizing and
  // KV-state choice before evaluation).
  const part = (pick: (t: NonNullable<Sample["timings"]>, s: Sample) => number) =>
    percentile(warmOurs.filter((s) => s.timings).map((s) => pick(s.timings!, s)), 50);
  const warmBreakdownP50 = {
    contextMs: part((t) => t.contextMs), queueMs: part((t) => t.queueMs), evalMs: part((t) => t.evalMs),
    generateMs: part((t) => t.generateMs), postprocessMs: part((t) => t.postprocessMs),
    outsideMs: part((t, s) => s.ms - t.contextMs - t.queueMs - t.evalMs - t.generateMs - t.postprocessMs),
  };
  // Decodes between the first and the last generated token kept, over their time (the engine's
  // tokenGapMs): the same measure as llama-bench's decode speed; per sample against the floor
  // measured next to it, the median of the ratios.
  const generating = ours.filter((s) => s.generatedTokens >= 4 && (s.tokenGapMs ?? 0) > 0 && floorOf(s));
  const generationTokensPerSecond = generating.reduce((n, s) => n + s.generatedTokens - 1, 0) / (generating.reduce((n, s) => n + s.tokenGapMs! * (s.generatedTokens - 1), 0) / 1000);
  const generationRatios = generating.map((s) => 1000 / s.tokenGapMs! / floorOf(s)!.decodeTokensPerSecond);
  return {
    table,
    goals: {
      coldOursOverPsm: { value: table.cold.ours.p50 / table.cold.psm.p50, goal: "≤ 0.25" },
      coldOursP50Ms: { value: table.cold.ours.p50, goal: "≤ 2500" },
      returnOverWarm: { value: table.return.ours.p50 / table.warm.ours.p50, goal: "≤ 1.2" },
      warmOursOverSpm: { value: table.warm.ours.p50 / table.warm.spm.p50, goal: "≤ 1.0" },
      warmOursOverFloor: { value: percentile(warmOurs.map((s) => s.ms / floorMs(s)), 50), goal: "≤ 1.05", warmBreakdownP50 },
      generationOverLlamaBench: { value: generationRatios.length ? percentile(generationRatios, 50) : NaN, goal: "≥ 0.95", oursTokensPerSecond: generationTokensPerSecond, samples: generationRatios.length },
      forwardEvaluatedTokensP50: { value: table.forward.oursEvaluatedTokensP50, goal: "≤ 3" },
    },
  };
}

export function printReport(result: BenchResult, log: (line: string) => void = (line) => console.log(line)): void {
  const { table, goals } = result.summary;
  const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "–");
  const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "–");
  const cell = (s: { p50: number; p95: number; count: number }) => (s.count ? `${f0(s.p50)} / ${f0(s.p95)} (${s.count})` : "–");
  log(`\n| scenario (ms p50 / p95 (n)) | ours | llama-server /infill | llama-server --spm-infill | evaluated tokens p50 ours / psm / spm |`);
  log(`|---|---|---|---|---|`);
  for (const scenario of SCENARIOS) {
    const row = table[scenario];
    log(`| ${scenario} | ${cell(row.ours)} | ${cell(row.psm)} | ${cell(row.spm)} | ${f0(row.oursEvaluatedTokensP50)} / ${f0(row.psmEvaluatedTokensP50)} / ${f0(row.spmEvaluatedTokensP50)} |`);
  }
  log(`\n| goal | measured | target |`);
  log(`|---|---|---|`);
  for (const [name, goal] of Object.entries(goals)) log(`| ${name} | ${f2(goal.value)} | ${goal.goal} |`);
  if (result.peerSkipped) log(`\npeer columns skipped: ${result.peerSkipped}`);
  const pressure = result.cpuPressure as { before?: string; after?: string };
  log(`\nCPU pressure before / after: ${pressure.before ?? "?"} / ${pressure.after ?? "?"}; ${String(result.durationSeconds)} s`);
}

if (require.main === module) {
  runCompletionBench({ short: process.env.BENCH_SHORT === "1" }).then(
    (result) => {
      printReport(result);
      fs.mkdirSync(path.join("bench", "out"), { recursive: true });
      fs.writeFileSync(path.join("bench", "out", "completion.json"), JSON.stringify(result, null, 2));
      console.log("written: bench/out/completion.json");
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
