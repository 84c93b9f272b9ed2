/**
 * npm run bench:completion
 *
 * A scripted typing session over real source files of several languages (from the llama.cpp source
 * that node-llama-cpp ships), against a generated model with Qwen2.5-Coder-0.5B's exact shape
 * (Q8_0, random weights), 2 threads, through the real completion pipeline. Random weights never
 * stop by themselves, so every suggestion is fixed at 16 tokens.
 *
 * For each keystroke, measured in the same run and interleaved: the pipeline's latency (keystroke
 * → items), and the raw-engine baseline: node-llama-cpp alone evaluating exactly the tokens the
 * pipeline evaluated and generating the same number of tokens. On every 8th keystroke it also
 * times what a prefix-suffix-middle server (llama-server /infill's default) must do: re-evaluate
 * from the cursor on, i.e. the typed tokens plus the whole suffix.
 *
 * Prints a table and writes bench/out/completion.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { LocalEngine, type Session } from "../src/engine/engine";
import type { Token } from "../src/engine/local/llamaRuntime";
import { CompletionPipeline } from "../src/completion/pipeline";
import type { CompletionOutcome, CompletionRequest, CompletionSettings } from "../src/completion/types";
import { median } from "../src/completion/debounce";
import { qwen25Coder05BShape } from "../test/support/models";
import { readLlamaSourceFile } from "../test/support/gguf/llamaSource";

const OUTPUT_TOKENS = 16;
const KEY_INTERVAL_MS = 150;
const POSITIONS_PER_FILE = Number(process.env.BENCH_POSITIONS_PER_FILE ?? 5);
const MAX_LINE_CHARS = 24;

const FILES: ReadonlyArray<{ path: string; languageId: string }> = [
  { path: "gguf-py/gguf/gguf_writer.py", languageId: "python" },
  { path: "src/llama-vocab.cpp", languageId: "cpp" },
  { path: "tools/ui/src/lib/services/chat.service.ts", languageId: "typescript" },
  { path: "tools/ui/src/lib/vendors/big-integer/BigInteger.js", languageId: "javascript" },
];

const settings: CompletionSettings = {
  enabled: true, languages: [], multiline: "always", maxTokens: OUTPUT_TOKENS, maxTimeMs: 60_000, maxLineSuffix: 1000, debounceMs: 0,
};

interface KeystrokeSample {
  file: string;
  kind: "keystroke" | "firstAfterIdle" | "cacheHit";
  latencyMs: number;
  rawMs?: number;
  psmMs?: number;
  psmTokens?: number;
  promptTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  fromCache: boolean;
}

async function main(): Promise<void> {
  const pressureBefore = readPressure();
  const modelPath = await qwen25Coder05BShape();
  const engine = new LocalEngine({
    machine: { logicalCores: os.availableParallelism(), physicalCores: 2, homeDir: os.homedir() },
    log: (level, message) => level === "error" && console.error(message),
  });
  await engine.configure({ modelPath, threads: 2, contextSize: 4096, gpu: "off", flashAttention: true });
  if (engine.state.kind !== "ready") throw new Error(`model did not load: ${engine.state.error?.message}`);
  const pipeline = new CompletionPipeline({ engine, settings: () => settings, log: () => undefined });

  // Read up front (git show is synchronous) so the event-loop measurement sees only the session.
  const sources = FILES.map((file) => {
    const source = readLlamaSourceFile(file.path)?.toString("utf8");
    if (!source) throw new Error(`missing ${file.path} in the llama.cpp source bundle`);
    return { ...file, lines: source.replace(/\r\n/g, "\n").split("\n") };
  });
  const samples: KeystrokeSample[] = [];
  let keystrokes = 0;
  // How long the JS thread is ever blocked while the session runs (our code plus node-llama-cpp's).
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  for (const file of sources) {
    const original = file.lines;
    for (const line of pickLines(original)) {
      const target = original[line]!;
      const indent = target.length - target.trimStart().length;
      const lines = [...original];
      lines[line] = target.slice(0, indent);
      const request = (character: number): CompletionRequest => ({
        documentKey: file.path, fileName: file.path, languageId: file.languageId,
        text: { lineCount: lines.length, lineAt: (n) => lines[n]! }, cursor: { line, character }, eol: "\n", explicit: false,
      });

      // The cursor arrives at a new place; the user pauses; warm-up runs; then the first suggestion.
      await pipeline.warm(request(indent));
      samples.push(await measure(engine, pipeline, request(indent), file.path, "firstAfterIdle", false));

      for (let end = indent + 1; end <= target.length; end++) {
        lines[line] = target.slice(0, end);
        const started = performance.now();
        const sample = await measure(engine, pipeline, request(end), file.path, "keystroke", keystrokes++ % 8 === 0);
        samples.push(sample);
        if (process.env.BENCH_VERBOSE) console.log(JSON.stringify(sample));
        const spent = performance.now() - started;
        if (spent < KEY_INTERVAL_MS) await new Promise((r) => setTimeout(r, KEY_INTERVAL_MS - spent));
      }

      // Typing as suggested: the first characters of the suggestion shown come from the cache.
      const shown = await pipeline.complete(request(target.length));
      if (shown.kind === "suggestion" && shown.text.length > 2) {
        lines[line] = target + shown.text.slice(0, 2);
        samples.push(await measure(engine, pipeline, request(target.length + 2), file.path, "cacheHit", false));
      }
      process.stdout.write(`  ${file.path}:${line + 1} typed ${target.trim().length} chars\n`);
    }
  }
  loopDelay.disable();
  const idle = await idleCpu(pipeline, sources[0]!);
  await engine.dispose();
  const blocked = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  report(samples, blocked, idle, pressureBefore, readPressure());
}

/** One request through the pipeline, then the raw-engine baseline for the same tokens. */
async function measure(
  engine: LocalEngine,
  pipeline: CompletionPipeline,
  request: CompletionRequest,
  file: string,
  kind: KeystrokeSample["kind"],
  withPsm: boolean,
): Promise<KeystrokeSample> {
  const started = performance.now();
  const outcome: CompletionOutcome = await pipeline.complete(request);
  const latencyMs = performance.now() - started;
  const t = outcome.timings;
  const sample: KeystrokeSample = {
    file, kind, latencyMs,
    promptTokens: t?.promptTokens ?? 0, evaluatedTokens: t?.evaluatedTokens ?? 0, generatedTokens: t?.generatedTokens ?? 0,
    fromCache: outcome.kind === "suggestion" && outcome.fromCache,
  };
  if (!t || sample.fromCache) return sample;
  const prompt = [...pipeline.lastPromptTokens];
  const reused = t.promptTokens - t.evaluatedTokens;
  await engine.withSession("completion", undefined, async (session) => {
    sample.rawMs = await rawEngine(session, prompt, reused, t.generatedTokens);
    if (withPsm) {
      const psm = await prefixSuffixMiddleCost(session, prompt);
      sample.psmMs = psm.ms;
      sample.psmTokens = psm.tokens;
      // Put the sequence back the way the pipeline left it for the next keystroke.
      await session.sequence.adaptStateToTokens(prompt, false);
      if (session.sequence.nextTokenIndex < prompt.length) await session.sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(session.sequence.nextTokenIndex));
    }
  }, () => undefined);
  return sample;
}

/** node-llama-cpp alone: evaluate prompt[reused..] on top of the cached prefix, generate n tokens greedily. */
async function rawEngine(session: Session, prompt: Token[], reused: number, generate: number): Promise<number> {
  const { sequence } = session;
  await sequence.adaptStateToTokens(prompt.slice(0, reused), false);
  const started = performance.now();
  let count = 0;
  if (generate === 0) {
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(reused));
  } else {
    for await (const token of sequence.evaluate(prompt.slice(reused), { temperature: 0 })) {
      void token;
      if (++count >= generate) break;
    }
  }
  return performance.now() - started;
}

/**
 * What a PSM server re-evaluates per keystroke: everything after the cursor in the prompt, i.e.
 * the typed characters, the whole suffix and the middle token, then 16 tokens. Emulated on the
 * same sequence with the same model: evaluate [SUF] suffix [MID] on top of the shared prefix.
 */
async function prefixSuffixMiddleCost(session: Session, prompt: Token[]): Promise<{ ms: number; tokens: number }> {
  // Our prompt is [... PRE prefix SUF suffix MID middle]; PSM puts the middle before SUF instead.
  const { model, sequence } = session;
  const suf = model.tokenize("<|fim_suffix|>", true)[0]!;
  const sufAt = prompt.lastIndexOf(suf);
  const mid = model.tokenize("<|fim_middle|>", true)[0]!;
  const midAt = prompt.lastIndexOf(mid);
  const middle = prompt.slice(midAt + 1);
  const psm = [...prompt.slice(0, sufAt), ...middle, ...prompt.slice(sufAt, midAt + 1)];
  // The server's cache holds the previous keystroke's prompt: common prefix ends where the middle starts.
  await sequence.adaptStateToTokens(psm.slice(0, sufAt), false);
  const toEvaluate = psm.slice(sufAt);
  const started = performance.now();
  let count = 0;
  for await (const token of sequence.evaluate(toEvaluate, { temperature: 0 })) {
    void token;
    if (++count >= OUTPUT_TOKENS) break;
  }
  return { ms: performance.now() - started, tokens: toEvaluate.length };
}

/** Lines worth typing: inside the file (≥ 256 lines of prefix), short enough to type whole, code not comments. */
function pickLines(lines: string[]): number[] {
  const candidates: number[] = [];
  for (let i = 256; i < lines.length - 64; i++) {
    const text = lines[i]!.trim();
    if (text.length >= 8 && text.length <= MAX_LINE_CHARS && !/^(\/\/|#|\*|\/\*)/.test(text)) candidates.push(i);
  }
  const step = Math.max(1, Math.floor(candidates.length / POSITIONS_PER_FILE));
  return candidates.filter((_, i) => i % step === 0).slice(0, POSITIONS_PER_FILE);
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function readPressure(): string | undefined {
  try {
    return fs.readFileSync("/proc/pressure/cpu", "utf8").split("\n")[0];
  } catch {
    return undefined;
  }
}

/** CPU time this process uses in the 3 s after a warm-up at a new place, while the "user" is idle. */
async function idleCpu(pipeline: CompletionPipeline, file: { path: string; languageId: string; lines: string[] }): Promise<{ warmMs: number; idleCpuMs: number }> {
  const request: CompletionRequest = {
    documentKey: file.path, fileName: file.path, languageId: file.languageId,
    text: { lineCount: file.lines.length, lineAt: (n) => file.lines[n]! }, cursor: { line: 600, character: 0 }, eol: "\n", explicit: false,
  };
  const started = performance.now();
  await pipeline.warm(request);
  const warmMs = performance.now() - started;
  const before = process.cpuUsage();
  await new Promise((r) => setTimeout(r, 3_000));
  const used = process.cpuUsage(before);
  return { warmMs, idleCpuMs: (used.user + used.system) / 1000 };
}

function report(
  samples: KeystrokeSample[],
  blocked: { p99: number; max: number },
  idle: { warmMs: number; idleCpuMs: number },
  pressureBefore?: string,
  pressureAfter?: string,
): void {
  const keys = samples.filter((s) => s.kind === "keystroke" && !s.fromCache);
  const first = samples.filter((s) => s.kind === "firstAfterIdle");
  const hits = samples.filter((s) => s.kind === "cacheHit");
  const psm = keys.filter((s) => s.psmMs !== undefined);
  const ratios = keys.filter((s) => s.rawMs).map((s) => s.latencyMs / s.rawMs!);
  const evaluatedShare = keys.map((s) => (100 * s.evaluatedTokens) / Math.max(1, s.promptTokens));
  const result = {
    machine: { cpus: os.cpus()[0]?.model, cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    model: "Qwen2.5-Coder-0.5B shape, Q8_0, random weights (generated)",
    threads: 2, contextSize: 4096, outputTokens: OUTPUT_TOKENS, keyIntervalMs: KEY_INTERVAL_MS,
    positions: first.length, keystrokes: keys.length,
    latencyMs: { p50: percentile(keys.map((s) => s.latencyMs), 50), p95: percentile(keys.map((s) => s.latencyMs), 95) },
    rawEngineMs: { p50: percentile(keys.map((s) => s.rawMs ?? NaN).filter(Number.isFinite), 50), p95: percentile(keys.map((s) => s.rawMs ?? NaN).filter(Number.isFinite), 95) },
    latencyOverRaw: { median: median(ratios), p95: percentile(ratios, 95) },
    promptTokens: { median: median(keys.map((s) => s.promptTokens)) },
    evaluatedTokensPerKeystroke: { median: median(keys.map((s) => s.evaluatedTokens)), p95: percentile(keys.map((s) => s.evaluatedTokens), 95) },
    evaluatedShareOfPromptPercent: { median: median(evaluatedShare), p95: percentile(evaluatedShare, 95) },
    firstAfterIdleMs: { p50: percentile(first.map((s) => s.latencyMs), 50), p95: percentile(first.map((s) => s.latencyMs), 95) },
    firstAfterIdleOverWarmKeystroke: percentile(first.map((s) => s.latencyMs), 50) / percentile(keys.map((s) => s.latencyMs), 50),
    cacheHitMs: { p50: percentile(hits.map((s) => s.latencyMs), 50), max: Math.max(...hits.map((s) => s.latencyMs)), count: hits.length, allFromCache: hits.every((s) => s.fromCache) },
    emulatedPsmServerMs: { p50: percentile(psm.map((s) => s.psmMs!), 50), p95: percentile(psm.map((s) => s.psmMs!), 95), evaluatedTokensMedian: median(psm.map((s) => s.psmTokens!)), samples: psm.length },
    eventLoopBlockedMs: blocked,
    idleAfterWarmUp: idle,
    peerPublished: { llamaServerPsmP50: 2170, llamaServerSpmP50: 509, llamaServerSpmP95: 634 },
    cpuPressure: { before: pressureBefore, after: pressureAfter },
    samples,
  };
  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "completion.json"), JSON.stringify(result, null, 2));
  const row = (name: string, value: string) => console.log(`${name.padEnd(52)} ${value}`);
  console.log("\nCompletion benchmark (Qwen2.5-Coder-0.5B shape, Q8_0, 2 threads, 16 output tokens)");
  row("positions / keystrokes measured", `${result.positions} / ${result.keystrokes}`);
  row("prompt tokens (median)", `${result.promptTokens.median}`);
  row("latency keystroke → items, p50 / p95", `${result.latencyMs.p50.toFixed(0)} / ${result.latencyMs.p95.toFixed(0)} ms`);
  row("raw engine, same tokens, p50 / p95", `${result.rawEngineMs.p50.toFixed(0)} / ${result.rawEngineMs.p95.toFixed(0)} ms`);
  row("our latency ÷ raw engine (median / p95 of ratios)", `${result.latencyOverRaw.median.toFixed(3)} / ${result.latencyOverRaw.p95.toFixed(3)}`);
  row("tokens evaluated per keystroke, median / p95", `${result.evaluatedTokensPerKeystroke.median} / ${result.evaluatedTokensPerKeystroke.p95}`);
  row("… as % of the prompt, median / p95", `${result.evaluatedShareOfPromptPercent.median.toFixed(2)}% / ${result.evaluatedShareOfPromptPercent.p95.toFixed(2)}%`);
  row("first suggestion after idle at a new place, p50", `${result.firstAfterIdleMs.p50.toFixed(0)} ms (${result.firstAfterIdleOverWarmKeystroke.toFixed(2)}× a warm keystroke)`);
  row("cache hit (typing as suggested), p50 / max", `${result.cacheHitMs.p50.toFixed(2)} / ${result.cacheHitMs.max.toFixed(2)} ms, ${result.cacheHitMs.count} hits, all without a model call: ${result.cacheHitMs.allFromCache}`);
  row("PSM server emulated (re-evaluates the suffix), p50", `${result.emulatedPsmServerMs.p50.toFixed(0)} ms, ${result.emulatedPsmServerMs.evaluatedTokensMedian} tokens evaluated`);
  row("JS thread blocked (event-loop delay) p99 / max", `${blocked.p99.toFixed(1)} / ${blocked.max.toFixed(1)} ms`);
  row("CPU used in 3 s idle after a warm-up", `${idle.idleCpuMs.toFixed(1)} ms (warm-up took ${idle.warmMs.toFixed(0)} ms)`);
  row("llama-server published here: PSM p50 / SPM p50, p95", "2170 ms / 509 ms, 634 ms");
  row("CPU pressure before / after", `${pressureBefore ?? "?"} / ${pressureAfter ?? "?"}`);
  console.log("\nwritten: bench/out/completion.json");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
