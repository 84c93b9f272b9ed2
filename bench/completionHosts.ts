/**
 * npm run bench:completion:hosts: the engine hosts compared (`npm run bench:completion` runs the
 * scenarios, bench/completion.ts, and then this; `npm run bench:completion:scenarios` only those)
 *
 * Settings (all recorded in the JSON):
 * - model: generated, Qwen2.5-Coder-0.5B's exact shape and real vocabulary, Q8_0, random weights
 *   (~531 MB, cached outside the repository); threads 2 (always set; BENCH_THREADS), context 4096, flash
 *   attention on, CPU only. Random weights never stop, so every suggestion is 16 tokens.
 * - a scripted typing session: BENCH_POSITIONS_PER_FILE (default 1) lines in each of 4 real
 *   source files (Python, C++, TypeScript, JavaScript from the llama.cpp source node-llama-cpp
 *   ships), each line typed again character by character through the real completion pipeline
 *   (multiline always, no debounce, 150 ms between keystrokes at most).
 * - both engine hosts hold the same model with the same settings: `process` (ProcessEngine, the
 *   default: the engine in a forked child over the IPC protocol) and `inProcess` (LocalEngine).
 *   Every keystroke goes to both hosts' pipelines one after the other, the order alternating
 *   (process, inProcess, then inProcess, process, …), and the per-keystroke ratio process ÷
 *   in-process is taken when both did the same work (same tokens evaluated and generated).
 *   Reported: the median of those ratios, the medians by which host went first, and their
 *   geometric mean (order-balanced: the host that goes second in a pair was seen to pay ~15%
 *   whichever it is, which the plain median only half cancels).
 * - baselines on the in-process host only (through LocalEngine.withSession, the one place that
 *   needs node-llama-cpp itself): every BENCH_RAW_EVERY-th keystroke (default 4) node-llama-cpp
 *   alone evaluates exactly the tokens the pipeline evaluated and generates as many; every
 *   BENCH_PSM_EVERY-th (default 8, 0 = off) what a prefix-suffix-middle server (llama-server
 *   /infill's default) must do: re-evaluate from the cursor on, i.e. the typed tokens plus the
 *   whole suffix.
 * - memory: after the process host has loaded (before the in-process host exists) the VmRSS of
 *   this process and of the engine process, and the engine process's mappings of the .gguf file
 *   (/proc/<pid>/smaps); then this process's VmRSS once the in-process host has loaded too.
 * - the IPC round trip: laneFacts and a short tokenize on both hosts, interleaved, 200 each.
 * - BENCH_CHILD_NICE=n renices every thread of the engine process to n after the load (the
 *   engine process puts itself at PRIORITY_BELOW_NORMAL, nice 10); BENCH_ENGINE_SCRIPT picks
 *   the engine script (default out/src/engine/host/child.js, e.g. dist/engineHost.js);
 *   BENCH_MODEL=<file.gguf> runs another model (a tiny one for a quick check that it works).
 *
 * Takes about 5 minutes on a quiet 2-core machine (~70 keystrokes; BENCH_POSITIONS_PER_FILE=2:
 * ~135 keystrokes, about 10 minutes). On a busy one it takes much longer: 2 threads on 2 shared
 * cores slow llama.cpp 20–40× here. Check /proc/pressure/cpu (printed): on a busy
 * machine only the ratios mean something. Prints a table and writes bench/out/completion-hosts.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PromptPiece } from "../src/engine/api";
import type { Session } from "../src/engine/local/localEngine";
import type { LlamaModel, Token } from "../src/engine/local/llamaRuntime";
import { CompletionPipeline } from "../src/completion/pipeline";
import type { CompletionOutcome, CompletionRequest, CompletionSettings } from "../src/completion/types";
import { qwen25Coder05BShape } from "../test/support/models";
import { readLlamaSourceFile } from "../test/support/gguf/llamaSource";
import {
  HOST_KINDS, LoopLag, benchMachine, cpuPressure, createLocalEngine, createProcessEngine, fileMappings, load, measureRoundTrip, median, percentile,
  orderBalanced, processCpuMs, processMemory, reniceThreads, threadNiceness, type HostKind, type Hosts,
} from "./hosts";

/** Always set: 2 (one per core of the 2-core machines these run on); BENCH_THREADS to change it. */
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const MODEL_LABEL = process.env.BENCH_MODEL ? path.basename(process.env.BENCH_MODEL) : "Qwen2.5-Coder-0.5B shape, Q8_0, random weights (generated)";
const CONTEXT = 4096;
const OUTPUT_TOKENS = 16;
const KEY_INTERVAL_MS = 150;
const POSITIONS_PER_FILE = Number(process.env.BENCH_POSITIONS_PER_FILE ?? 1);
const RAW_EVERY = Number(process.env.BENCH_RAW_EVERY ?? 4);
const PSM_EVERY = Number(process.env.BENCH_PSM_EVERY ?? 8);
const ROUND_TRIPS = 200;
const MAX_LINE_CHARS = 24;
/** fill.ts keeps this many tokens free beyond the generation cap. */
const CONTEXT_MARGIN = 8;

const FILES: ReadonlyArray<{ path: string; languageId: string }> = [
  { path: "gguf-py/gguf/gguf_writer.py", languageId: "python" },
  { path: "src/llama-vocab.cpp", languageId: "cpp" },
  { path: "tools/ui/src/lib/services/chat.service.ts", languageId: "typescript" },
  { path: "tools/ui/src/lib/vendors/big-integer/BigInteger.js", languageId: "javascript" },
];

const settings: CompletionSettings = {
  enabled: true, languages: [], multiline: "always", maxTokens: OUTPUT_TOKENS, maxTimeMs: 60_000, maxLineSuffix: 1000, debounceMs: 0,
};

interface HostSample {
  latencyMs: number;
  outcome: CompletionOutcome["kind"];
  promptTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  fromCache: boolean;
}

interface KeystrokeSample {
  file: string;
  line: number;
  kind: "keystroke" | "firstAfterIdle";
  /** The host measured first for this keystroke. */
  first: HostKind;
  process: HostSample;
  inProcess: HostSample;
  /** process ÷ inProcess, when both ran the model with the same work. */
  ratio?: number;
  sameOutput: boolean;
  rawMs?: number;
  psmMs?: number;
  psmTokens?: number;
}

interface CacheHit {
  file: string;
  line: number;
  host: HostKind;
  latencyMs: number;
  fromCache: boolean;
}

interface Bench {
  readonly hosts: Hosts;
  readonly pipelines: Record<HostKind, CompletionPipeline>;
  /** Event-loop lag of this process while each host serves a request. */
  readonly loopLag: LoopLag;
}

async function main(): Promise<void> {
  const pressureBefore = cpuPressure();
  const modelPath = process.env.BENCH_MODEL || (await qwen25Coder05BShape());
  const machine = benchMachine(THREADS);
  const log = (level: string, message: string) => level === "error" && console.error(message);
  const engineSettings = { modelPath, threads: THREADS, contextSize: CONTEXT, gpu: "off", flashAttention: true };
  console.log(`bench:completion:hosts: ${os.cpus().length} CPUs, CPU pressure before: ${pressureBefore ?? "n/a"}`);

  // 1. Memory: the process host alone first, so this process holds no model of its own yet.
  const parentBeforeLoad = processMemory(process.pid);
  const processEngine = createProcessEngine(machine, log);
  const processLoadMs = await load(processEngine, engineSettings, "process");
  const childPid = processEngine.pid!;
  const childNiceAtLoad = threadNiceness(childPid);
  const reniceTo = process.env.BENCH_CHILD_NICE;
  const reniced = reniceTo !== undefined ? reniceThreads(childPid, Number(reniceTo)) : undefined;
  const memory = {
    processHost: {
      parent: processMemory(process.pid),
      parentBeforeLoad,
      child: processMemory(childPid),
      childModelMappings: fileMappings(childPid, modelPath),
      parentModelMappings: fileMappings(process.pid, modelPath),
    },
    inProcessHost: {} as Record<string, unknown>,
  };
  const inProcessEngine = createLocalEngine(machine, log);
  const inProcessLoadMs = await load(inProcessEngine, engineSettings, "inProcess");
  memory.inProcessHost = { parent: processMemory(process.pid), parentModelMappings: fileMappings(process.pid, modelPath) };
  const hosts: Hosts = { process: processEngine, inProcess: inProcessEngine };
  console.log(`  loaded: process ${processLoadMs.toFixed(0)} ms (engine pid ${childPid}, threads' niceness ${JSON.stringify(childNiceAtLoad)}${reniced === undefined ? "" : `, reniced to ${reniceTo}: ${reniced}`}), in-process ${inProcessLoadMs.toFixed(0)} ms`);

  // 2. The IPC round trip.
  const roundTrip = await measureRoundTrip(hosts, ROUND_TRIPS);
  console.log(`  round trip added by the process host, p50: laneFacts ${roundTrip.addedP50Ms.laneFacts!.toFixed(3)} ms, tokenize ${roundTrip.addedP50Ms.tokenize!.toFixed(3)} ms`);

  // 3. The typing session.
  const bench: Bench = {
    hosts,
    pipelines: {
      process: new CompletionPipeline({ engine: processEngine, settings: () => settings, log: () => undefined }),
      inProcess: new CompletionPipeline({ engine: inProcessEngine, settings: () => settings, log: () => undefined }),
    },
    loopLag: new LoopLag(),
  };
  // Read up front (git show is synchronous) so the event-loop measurement sees only the session.
  const sources = FILES.map((file) => {
    const source = readLlamaSourceFile(file.path)?.toString("utf8");
    if (!source) throw new Error(`missing ${file.path} in the llama.cpp source bundle`);
    return { ...file, lines: source.replace(/\r\n/g, "\n").split("\n") };
  });
  const samples: KeystrokeSample[] = [];
  const cacheHits: CacheHit[] = [];
  let keystrokes = 0;
  let places = 0;
  const sessionStarted = performance.now();
  bench.loopLag.start();
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
      const at = { file: file.path, line: line + 1 };

      // The cursor arrives at a new place; the user pauses; warm-up runs; then the first suggestion.
      const firstHost = places++ % 2 === 0 ? HOST_KINDS : [...HOST_KINDS].reverse();
      for (const kind of firstHost) await bench.pipelines[kind].warm(request(indent));
      samples.push(await measure(bench, request(indent), at, "firstAfterIdle", firstHost[0]!, {}));

      for (let end = indent + 1; end <= target.length; end++) {
        lines[line] = target.slice(0, end);
        const started = performance.now();
        const n = keystrokes++;
        const sample = await measure(bench, request(end), at, "keystroke", n % 2 === 0 ? "process" : "inProcess", {
          raw: RAW_EVERY > 0 && n % RAW_EVERY === 0,
          psm: PSM_EVERY > 0 && n % PSM_EVERY === 0,
        });
        samples.push(sample);
        if (process.env.BENCH_VERBOSE) console.log(JSON.stringify(sample));
        const spent = performance.now() - started;
        if (spent < KEY_INTERVAL_MS) await new Promise((r) => setTimeout(r, KEY_INTERVAL_MS - spent));
      }

      // Typing as suggested: the first characters of the suggestion each host showed come from its cache.
      for (const host of HOST_KINDS) {
        lines[line] = target;
        const shown = await bench.pipelines[host].complete(request(target.length));
        if (shown.kind !== "suggestion" || shown.text.length <= 2) continue;
        lines[line] = target + shown.text.slice(0, 2);
        const started = performance.now();
        const hit = await bench.pipelines[host].complete(request(target.length + 2));
        cacheHits.push({ ...at, host, latencyMs: performance.now() - started, fromCache: hit.kind === "suggestion" && hit.fromCache });
      }
      const typed = samples.filter((s) => s.file === at.file && s.line === at.line && s.kind === "keystroke" && s.ratio !== undefined);
      process.stdout.write(
        `  ${at.file}:${at.line} typed ${target.trim().length} chars, keystroke p50 process ${median(typed.map((s) => s.process.latencyMs)).toFixed(0)} ms / in-process ${median(typed.map((s) => s.inProcess.latencyMs)).toFixed(0)} ms, ratio ${median(typed.map((s) => s.ratio!)).toFixed(3)}\n`,
      );
    }
  }
  const sessionMs = performance.now() - sessionStarted;
  bench.loopLag.stop();
  const idle = {
    process: await idleCpu(bench.pipelines.process, sources[0]!, childPid),
    inProcess: await idleCpu(bench.pipelines.inProcess, sources[0]!, undefined),
  };
  const childNiceAtEnd = threadNiceness(childPid);
  await processEngine.dispose();
  await inProcessEngine.dispose();
  report({
    samples, cacheHits, idle, memory, roundTrip, sessionMs, pressureBefore, pressureAfter: cpuPressure(),
    loads: { processMs: processLoadMs, inProcessMs: inProcessLoadMs },
    child: { pid: childPid, nicenessAtLoad: childNiceAtLoad, nicenessAtEnd: childNiceAtEnd, renicedTo: reniceTo === undefined ? undefined : Number(reniceTo), reniced },
    blocked: { process: bench.loopLag.summary("process"), inProcess: bench.loopLag.summary("inProcess") },
  });
}

/** One request through both hosts' pipelines (`first` first), then the in-process baselines asked for. */
async function measure(
  bench: Bench,
  request: CompletionRequest,
  at: { file: string; line: number },
  kind: KeystrokeSample["kind"],
  first: HostKind,
  baselines: { raw?: boolean; psm?: boolean },
): Promise<KeystrokeSample> {
  const order: HostKind[] = first === "process" ? ["process", "inProcess"] : ["inProcess", "process"];
  const result: Partial<Record<HostKind, { sample: HostSample; outcome: CompletionOutcome }>> = {};
  for (const host of order) {
    const started = performance.now();
    const outcome = await bench.loopLag.during(host, () => bench.pipelines[host].complete(request));
    const latencyMs = performance.now() - started;
    const t = outcome.timings;
    result[host] = {
      outcome,
      sample: {
        latencyMs, outcome: outcome.kind,
        promptTokens: t?.promptTokens ?? 0, evaluatedTokens: t?.evaluatedTokens ?? 0, generatedTokens: t?.generatedTokens ?? 0,
        fromCache: outcome.kind === "suggestion" && outcome.fromCache,
      },
    };
  }
  const p = result.process!;
  const l = result.inProcess!;
  const sameWork = !p.sample.fromCache && !l.sample.fromCache && p.outcome.timings !== undefined &&
    p.sample.evaluatedTokens === l.sample.evaluatedTokens && p.sample.generatedTokens === l.sample.generatedTokens && p.sample.promptTokens === l.sample.promptTokens;
  const text = (outcome: CompletionOutcome) => (outcome.kind === "suggestion" ? outcome.text : `(${outcome.reason})`);
  const sample: KeystrokeSample = {
    ...at, kind, first, process: p.sample, inProcess: l.sample,
    ratio: sameWork ? p.sample.latencyMs / l.sample.latencyMs : undefined,
    sameOutput: text(p.outcome) === text(l.outcome),
  };
  const t = l.outcome.timings;
  if (!t || l.sample.fromCache || (!baselines.raw && !baselines.psm)) return sample;
  const pieces = bench.pipelines.inProcess.lastPrompt;
  const reused = t.promptTokens - t.evaluatedTokens;
  await bench.hosts.inProcess.withSession("completion", undefined, async (session) => {
    const prompt = promptTokens(session.model, pieces, session.sequence.context.contextSize);
    if (prompt.length !== t.promptTokens) return;
    if (baselines.raw) sample.rawMs = await rawEngine(session, prompt, reused, t.generatedTokens);
    if (baselines.psm) {
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

/** The prompt's tokens as the engine's fill tokenizes the pieces and fits them to the context (src/engine/local/fill.ts). */
function promptTokens(model: LlamaModel, pieces: readonly PromptPiece[], contextSize: number): Token[] {
  const tokens: Token[] = [];
  for (const piece of pieces) {
    if ("special" in piece) tokens.push(...model.tokenize(piece.special, true));
    else tokens.push(...model.tokenize(piece.text, false, piece.trimLeadingSpace === true ? "trimLeadingSpace" : undefined));
  }
  const limit = contextSize - OUTPUT_TOKENS - CONTEXT_MARGIN;
  return tokens.length <= limit ? tokens : [tokens[0]!, ...tokens.slice(tokens.length - limit + 1)];
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

/**
 * CPU time the host uses in the 3 s after a warm-up at a new place, while the "user" is idle:
 * this process's, plus the engine process's for the process host.
 */
async function idleCpu(pipeline: CompletionPipeline, file: { path: string; languageId: string; lines: string[] }, childPid: number | undefined): Promise<{ warmMs: number; idleCpuMs: number }> {
  const request: CompletionRequest = {
    documentKey: file.path, fileName: file.path, languageId: file.languageId,
    text: { lineCount: file.lines.length, lineAt: (n) => file.lines[n]! }, cursor: { line: 600, character: 0 }, eol: "\n", explicit: false,
  };
  const started = performance.now();
  await pipeline.warm(request);
  const warmMs = performance.now() - started;
  const before = process.cpuUsage();
  const childBefore = childPid ? processCpuMs(childPid) : 0;
  await new Promise((r) => setTimeout(r, 3_000));
  const used = process.cpuUsage(before);
  const child = childPid ? processCpuMs(childPid) - childBefore : 0;
  return { warmMs, idleCpuMs: (used.user + used.system) / 1000 + child };
}

interface ReportInput {
  samples: KeystrokeSample[];
  cacheHits: CacheHit[];
  idle: Record<HostKind, { warmMs: number; idleCpuMs: number }>;
  memory: unknown;
  roundTrip: Awaited<ReturnType<typeof measureRoundTrip>>;
  sessionMs: number;
  pressureBefore?: string;
  pressureAfter?: string;
  loads: { processMs: number; inProcessMs: number };
  child: { pid: number; nicenessAtLoad: Record<string, number>; nicenessAtEnd: Record<string, number>; renicedTo?: number; reniced?: boolean };
  blocked: Record<HostKind, { p99: number; max: number; samples: number }>;
}

function report(input: ReportInput): void {
  const { samples, idle, roundTrip, blocked } = input;
  const memory = input.memory as {
    processHost: { parent: { vmRssMiB: number }; parentBeforeLoad: { vmRssMiB: number }; child: { vmRssMiB: number; rssAnonMiB: number; rssFileMiB: number }; childModelMappings: { areas: number; ranges: number; mappedMiB: number; rssMiB: number; fileMiB: number }; parentModelMappings: { areas: number } };
    inProcessHost: { parent: { vmRssMiB: number; rssAnonMiB: number; rssFileMiB: number }; parentModelMappings: { areas: number } };
  };
  const keys = samples.filter((s) => s.kind === "keystroke");
  const compared = keys.filter((s) => s.ratio !== undefined);
  const first = samples.filter((s) => s.kind === "firstAfterIdle");
  const hits = (host: HostKind) => input.cacheHits.filter((hit) => hit.host === host);
  const psm = keys.filter((s) => s.psmMs !== undefined);
  const raw = keys.filter((s) => s.rawMs !== undefined);
  const stats = (values: number[]) => ({ p50: percentile(values, 50), p95: percentile(values, 95) });
  const ratios = compared.map((s) => s.ratio!);
  const byFirst = (host: HostKind) => median(compared.filter((s) => s.first === host).map((s) => s.ratio!));
  const perHost = (pick: (s: KeystrokeSample) => HostSample, list: KeystrokeSample[]) => stats(list.map((s) => pick(s).latencyMs));
  const result = {
    machine: { cpus: os.cpus()[0]?.model, cores: os.availableParallelism(), memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    settings: {
      model: MODEL_LABEL, threads: THREADS, contextSize: CONTEXT, flashAttention: true, gpu: "off",
      outputTokens: OUTPUT_TOKENS, keyIntervalMs: KEY_INTERVAL_MS, positionsPerFile: POSITIONS_PER_FILE, rawEvery: RAW_EVERY, psmEvery: PSM_EVERY,
      engineScript: process.env.BENCH_ENGINE_SCRIPT ?? "out/src/engine/host/child.js", order: "alternating per keystroke (process first, then in-process first)",
    },
    sessionSeconds: Math.round(input.sessionMs / 1000),
    loadMs: input.loads,
    engineProcess: input.child,
    positions: first.length, keystrokes: keys.length, keystrokesCompared: compared.length,
    sameOutputShare: keys.filter((s) => s.sameOutput).length / Math.max(1, keys.length),
    keystrokeLatencyMs: { process: perHost((s) => s.process, compared), inProcess: perHost((s) => s.inProcess, compared) },
    processOverInProcess: {
      medianOfRatios: median(ratios), p95OfRatios: percentile(ratios, 95), target: 1.03,
      medianWhenProcessFirst: byFirst("process"), medianWhenInProcessFirst: byFirst("inProcess"),
      orderBalanced: orderBalanced(byFirst("process"), byFirst("inProcess")),
    },
    firstAfterIdleMs: { process: perHost((s) => s.process, first), inProcess: perHost((s) => s.inProcess, first) },
    cacheHitMs: Object.fromEntries(HOST_KINDS.map((host) => [host, {
      ...stats(hits(host).map((hit) => hit.latencyMs)), count: hits(host).length, allFromCache: hits(host).every((hit) => hit.fromCache),
    }])) as Record<HostKind, { p50: number; p95: number; count: number; allFromCache: boolean }>,
    roundTrip: { ...roundTrip, targetP50Ms: 1 },
    memory,
    eventLoopBlockedMs: blocked,
    idleAfterWarmUp: idle,
    inProcessBaselines: {
      rawEngineMs: { ...stats(raw.map((s) => s.rawMs!)), samples: raw.length },
      pipelineOverRaw: median(raw.map((s) => s.inProcess.latencyMs / s.rawMs!)),
      emulatedPsmServerMs: { ...stats(psm.map((s) => s.psmMs!)), evaluatedTokensMedian: median(psm.map((s) => s.psmTokens!)), samples: psm.length },
    },
    promptTokensMedian: median(keys.map((s) => s.inProcess.promptTokens)),
    evaluatedTokensPerKeystroke: { median: median(keys.map((s) => s.inProcess.evaluatedTokens)), p95: percentile(keys.map((s) => s.inProcess.evaluatedTokens), 95) },
    peerPublished: { llamaServerPsmP50: 2170, llamaServerSpmP50: 509, llamaServerSpmP95: 634 },
    cpuPressure: { before: input.pressureBefore, after: input.pressureAfter },
    samples,
  };
  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "completion-hosts.json"), JSON.stringify(result, null, 2));

  const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : "–");
  const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : "–");
  const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : "–");
  const row = (name: string, process: string, inProcess: string, ratio = "") => console.log(`| ${name.padEnd(44)} | ${process.padEnd(18)} | ${inProcess.padEnd(18)} | ${ratio.padEnd(22)} |`);
  const lat = result.keystrokeLatencyMs;
  console.log(`\nCompletion benchmark, both hosts interleaved (${MODEL_LABEL}, ${THREADS} threads, context ${CONTEXT}, ${OUTPUT_TOKENS} output tokens)`);
  console.log(`positions ${result.positions}, keystrokes ${result.keystrokes} (${result.keystrokesCompared} with the same work on both hosts, same suggestion on ${(result.sameOutputShare * 100).toFixed(0)}%), session ${result.sessionSeconds} s, prompt ${result.promptTokensMedian} tokens (median), ${result.evaluatedTokensPerKeystroke.median} evaluated per keystroke (median)\n`);
  row("", "process", "inProcess", "process ÷ inProcess");
  console.log(`|${"-".repeat(46)}|${"-".repeat(20)}|${"-".repeat(20)}|${"-".repeat(24)}|`);
  row("keystroke → items, p50 / p95 (ms)", `${f0(lat.process.p50)} / ${f0(lat.process.p95)}`, `${f0(lat.inProcess.p50)} / ${f0(lat.inProcess.p95)}`,
    `${f3(result.processOverInProcess.medianOfRatios)} median (≤ 1.03)`);
  row("… median when process / in-process ran first", "", "", `${f3(result.processOverInProcess.medianWhenProcessFirst)} / ${f3(result.processOverInProcess.medianWhenInProcessFirst)}`);
  row("… order-balanced (geometric mean of those)", "", "", f3(result.processOverInProcess.orderBalanced));
  row("first suggestion after idle, p50 (ms)", f0(result.firstAfterIdleMs.process.p50), f0(result.firstAfterIdleMs.inProcess.p50), f3(result.firstAfterIdleMs.process.p50 / result.firstAfterIdleMs.inProcess.p50));
  const hit = result.cacheHitMs;
  row("cache hit (typing as suggested), p50 (ms)", `${hit.process.p50.toFixed(2)} (${hit.process.count})`, `${hit.inProcess.p50.toFixed(2)} (${hit.inProcess.count})`, `no model call: ${hit.process.allFromCache && hit.inProcess.allFromCache}`);
  row("round trip laneFacts, p50 (ms)", f3(roundTrip.ms.laneFacts!.process.p50), f3(roundTrip.ms.laneFacts!.inProcess.p50), `+${f3(roundTrip.addedP50Ms.laneFacts!)} ms (≤ 1 ms)`);
  row("round trip tokenize (short text), p50 (ms)", f3(roundTrip.ms.tokenize!.process.p50), f3(roundTrip.ms.tokenize!.inProcess.p50), `+${f3(roundTrip.addedP50Ms.tokenize!)} ms`);
  row("VmRSS this process after load (MiB)", f1(memory.processHost.parent.vmRssMiB), f1(memory.inProcessHost.parent.vmRssMiB), `before load ${f1(memory.processHost.parentBeforeLoad.vmRssMiB)}`);
  row("VmRSS engine process (anon + file) (MiB)", `${f1(memory.processHost.child.vmRssMiB)} (${f1(memory.processHost.child.rssAnonMiB)} + ${f1(memory.processHost.child.rssFileMiB)})`, "–", "");
  row(".gguf mappings: engine process / this process", `${memory.processHost.childModelMappings.ranges} / ${memory.processHost.parentModelMappings.areas}`, `– / ${memory.inProcessHost.parentModelMappings.areas}`,
    `${f1(memory.processHost.childModelMappings.mappedMiB)} of ${f1(memory.processHost.childModelMappings.fileMiB)} MiB mapped`);
  row("JS thread blocked (5 ms timer lag) p99 / max", `${f1(blocked.process.p99)} / ${f1(blocked.process.max)}`, `${f1(blocked.inProcess.p99)} / ${f1(blocked.inProcess.max)}`, "ms");
  row("CPU in 3 s idle after a warm-up (ms)", f1(idle.process.idleCpuMs), f1(idle.inProcess.idleCpuMs), "incl. the engine process");
  row("engine threads' niceness (count by value)", JSON.stringify(input.child.nicenessAtEnd), `${os.getPriority()} (this process)`, input.child.renicedTo === undefined ? "as the engine sets it" : `reniced to ${input.child.renicedTo}`);
  console.log(`\nIn-process baselines: raw node-llama-cpp p50 ${f0(result.inProcessBaselines.rawEngineMs.p50)} ms (pipeline ÷ raw ${f3(result.inProcessBaselines.pipelineOverRaw)}, ${raw.length} samples); PSM server emulated p50 ${f0(result.inProcessBaselines.emulatedPsmServerMs.p50)} ms, ${result.inProcessBaselines.emulatedPsmServerMs.evaluatedTokensMedian} tokens evaluated (llama-server published here: PSM p50 2170 ms, SPM p50 509 ms)`);
  console.log(`CPU pressure before / after: ${input.pressureBefore ?? "?"} / ${input.pressureAfter ?? "?"}`);
  console.log("written: bench/out/completion-hosts.json");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
