/**
 * npm run bench:tokengaps
 *
 * The time between generated tokens through node-llama-cpp alone (sequence.evaluate, greedy, as
 * the engine generates) after a prompt as deep as a completion's (BENCH_DEPTH, default 2,300
 * tokens), against llama-bench's decode speed at the same depth and threads, interleaved by round.
 * node-llama-cpp runs in a child process per measurement, once with Node's default libuv pool
 * (4 threads: what the in-process host gets) and once with one pool thread (what the engine
 * process gets, see processEngine.ts): llama.cpp's OpenMP keeps a team of threads per calling
 * thread, and the pool's threads take turns decoding. Also reported: the time inside the native
 * decode call, so the JavaScript side's share per token shows. Then the same generation through
 * our whole path: the engine process (ProcessEngine, as the extension runs it) serving a fill
 * request whose text streams back over IPC; measured are the gaps between streamed pieces as the
 * caller sees them and the engine's own generation time, so what our fill loop and the protocol
 * add per token beyond node-llama-cpp shows. Model: Qwen2.5-Coder-0.5B's shape,
 * Q8_0, random weights (never stops). BENCH_TOKENS (64) per measurement, BENCH_ROUNDS (3),
 * BENCH_THREADS (2; a list like "1,2" for both), context 4096, flash attention on. Prints the
 * per-round lines and the medians; writes bench/out/token-gaps.json. About 8 minutes on a quiet
 * 2-core machine; run it with `nice -n 10`.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { getSharedLlama } from "../src/engine/local/llamaRuntime";
import { qwen25Coder05BShape } from "../test/support/models";
import { benchMachine, cpuPressure, createProcessEngine, load, median, percentile } from "./hosts";
import { findLlamaBin, llamaBench } from "./peer";

const TOKENS = Number(process.env.BENCH_TOKENS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const DEPTH = Number(process.env.BENCH_DEPTH ?? 2300);
const THREADS = (process.env.BENCH_THREADS ?? "2").split(",").map(Number);
/** libuv pool sizes compared: Node's default (the in-process host) and the engine process's. */
const POOLS = [4, 1] as const;
/** What is measured in a round: node-llama-cpp alone at each pool size, and our engine process. */
type Variant = { readonly pool: (typeof POOLS)[number] } | { readonly engine: true };
const VARIANTS: readonly Variant[] = [...POOLS.map((pool) => ({ pool })), { engine: true }];
const PROMPT_LINE = "def compute(items):\n    total = 0\n    for item in items:\n";

interface Gaps {
  readonly meanMs: number;
  readonly p10: number;
  readonly p50: number;
  readonly p90: number;
  /** Median time inside node-llama-cpp's native decode call per generated token. */
  readonly decodeP50: number;
  /** Median time inside its native sampling call (greedy over the whole vocabulary; llama-bench does not sample). */
  readonly sampleP50?: number;
  /**
   * A keystroke after it: the generated tokens dropped, two new prompt tokens evaluated, time to
   * the first new token (median of KEYSTROKES). What a warm keystroke waits for before generating.
   */
  readonly keystrokeFirstTokenMs?: number;
}

/** Follow-up requests per measurement for keystrokeFirstTokenMs. */
const KEYSTROKES = 5;

/** One measurement, in a child process (the pool size is fixed when a process starts). */
async function measure(threads: number): Promise<Gaps> {
  const modelPath = await qwen25Coder05BShape();
  const llama = await getSharedLlama(false);
  llama.maxThreads = threads;
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const line = model.tokenize(PROMPT_LINE);
  const prompt = Array.from({ length: DEPTH }, (_, i) => line[i % line.length]!);
  const context = await model.createContext({ contextSize: 4096, threads, flashAttention: true });
  const { decodes, samples } = timeNativeCalls(context);
  const gaps: number[] = [];
  let last = 0;
  let count = 0;
  const sequence = context.getSequence();
  for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
    void token;
    const now = performance.now();
    if (count > 0) gaps.push(now - last);
    last = now;
    if (++count > TOKENS) break;
  }
  // Keystrokes: as the engine does for a warm keystroke, drop what was generated, evaluate the
  // two tokens typed, and wait for the first generated token.
  const firsts: number[] = [];
  for (let k = 0; k < KEYSTROKES; k++) {
    await sequence.eraseContextTokenRanges([{ start: DEPTH, end: sequence.nextTokenIndex }]);
    const started = performance.now();
    for await (const token of sequence.evaluate([line[k % line.length]!, line[(k + 1) % line.length]!], { temperature: 0 })) {
      void token;
      firsts.push(performance.now() - started);
      break;
    }
    await sequence.eraseContextTokenRanges([{ start: DEPTH, end: sequence.nextTokenIndex }]);
  }
  await context.dispose();
  await model.dispose();
  return { meanMs: gaps.reduce((a, b) => a + b, 0) / gaps.length, p10: percentile(gaps, 10), p50: percentile(gaps, 50), p90: percentile(gaps, 90), decodeP50: percentile(decodes.slice(1), 50), sampleP50: percentile(samples.slice(1), 50), keystrokeFirstTokenMs: median(firsts) };
}

/** Records how long each native decode and sampling call takes (the first ones are the prompt's). */
function timeNativeCalls(context: object): { decodes: number[]; samples: number[] } {
  const times: Record<string, number[]> = { decodeBatch: [], sampleToken: [] };
  // node-llama-cpp's native context is a private field; its methods cannot be redefined, so the
  // field is wrapped instead. Benchmark-only.
  const holder = context as { _ctx: Record<string, unknown> };
  const native = holder._ctx;
  holder._ctx = new Proxy(native, {
    get(target, property) {
      const value = target[property as string];
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      const list = times[property as string];
      if (!list) return method.bind(target);
      return async (...args: unknown[]) => {
        const started = performance.now();
        const result: unknown = await method.apply(target, args);
        list.push(performance.now() - started);
        return result;
      };
    },
  });
  return { decodes: times.decodeBatch!, samples: times.sampleToken! };
}

/**
 * The same generation through our path: a fill request to the engine process (fresh, as a child
 * per measurement is above), its text streamed back. The prompt is the same line repeated as
 * text, cut to DEPTH tokens by the engine's own tokenizer count. Gaps are taken where the caller
 * receives streamed text; `decodeP50` here is the engine's own time per generated token.
 */
async function measureEngine(threads: number): Promise<Gaps> {
  const modelPath = await qwen25Coder05BShape();
  const engine = createProcessEngine(benchMachine(threads), () => undefined);
  try {
    await load(engine, { modelPath, threads, contextSize: 4096, gpu: "off", flashAttention: true }, "process");
    const perLine = (await engine.tokenize("completion", PROMPT_LINE)).length;
    const text = PROMPT_LINE.repeat(Math.max(1, Math.round(DEPTH / perLine)));
    const gaps: number[] = [];
    let last = 0;
    const result = await engine.fill(
      { lane: "completion", pieces: [{ text }], maxTokens: TOKENS + 1, maxTimeMs: 600_000, stopTokens: [], stopStrings: [], stopAtNewline: false },
      {
        onText: () => {
          const now = performance.now();
          if (last > 0) gaps.push(now - last);
          last = now;
        },
      },
    );
    const perToken = result.tokenGapMs ?? NaN;
    // Keystrokes: the same text with two more characters typed each time (one or two tokens).
    const firsts: number[] = [];
    let typed = text;
    for (let k = 0; k < KEYSTROKES; k++) {
      typed += "ab";
      const next = await engine.fill({ lane: "completion", pieces: [{ text: typed }], maxTokens: 2, maxTimeMs: 60_000, stopTokens: [], stopStrings: [], stopAtNewline: false });
      firsts.push(next.evalMs);
    }
    return { meanMs: gaps.reduce((a, b) => a + b, 0) / gaps.length, p10: percentile(gaps, 10), p50: percentile(gaps, 50), p90: percentile(gaps, 90), decodeP50: perToken, keystrokeFirstTokenMs: median(firsts) };
  } finally {
    await engine.dispose();
  }
}

function inChild(pool: number, threads: number): Gaps {
  const out = execFileSync(process.execPath, [__filename], {
    encoding: "utf8",
    env: { ...process.env, UV_THREADPOOL_SIZE: String(pool), TOKENGAPS_CHILD_THREADS: String(threads) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return JSON.parse(out.trim().split("\n").pop()!) as Gaps;
}

async function main(): Promise<void> {
  const childThreads = process.env.TOKENGAPS_CHILD_THREADS;
  if (childThreads) {
    console.log(JSON.stringify(await measure(Number(childThreads))));
    return;
  }
  const modelPath = await qwen25Coder05BShape();
  const bin = findLlamaBin();
  const rows: Record<string, unknown>[] = [];
  console.log(`bench:tokengaps: ${TOKENS} tokens after ${DEPTH} prompt tokens, ${ROUNDS} rounds, threads ${THREADS.join(",")}; CPU pressure before: ${cpuPressure() ?? "n/a"}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of THREADS) {
      // The order alternates by round, so no variant always runs on a machine warmed by another.
      const variants = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const variant of variants) {
        if ("engine" in variant) {
          const gaps = await measureEngine(threads);
          rows.push({ round, threads, engine: true, ...gaps });
          console.log(`  round ${round}, ${threads} thread(s), our engine process (fill, streamed): mean ${gaps.meanMs.toFixed(1)} ms between streamed pieces, p10 ${gaps.p10.toFixed(1)}, p50 ${gaps.p50.toFixed(1)}, p90 ${gaps.p90.toFixed(1)}; engine's own ${gaps.decodeP50.toFixed(1)} ms per token; keystroke's first token ${gaps.keystrokeFirstTokenMs?.toFixed(1) ?? "?"} ms`);
          continue;
        }
        const gaps = inChild(variant.pool, threads);
        rows.push({ round, threads, pool: variant.pool, ...gaps });
        console.log(`  round ${round}, ${threads} thread(s), libuv pool ${variant.pool}: mean ${gaps.meanMs.toFixed(1)} ms, p10 ${gaps.p10.toFixed(1)}, p50 ${gaps.p50.toFixed(1)}, p90 ${gaps.p90.toFixed(1)}; native decode p50 ${gaps.decodeP50.toFixed(1)} ms, sampling p50 ${gaps.sampleP50?.toFixed(2) ?? "?"} ms; keystroke's first token ${gaps.keystrokeFirstTokenMs?.toFixed(1) ?? "?"} ms`);
      }
      if (bin.dir) {
        const speeds = llamaBench(bin.dir, modelPath, threads, false, DEPTH);
        const meanMs = 1000 / speeds.decodeTokensPerSecond;
        rows.push({ round, threads, llamaBench: true, meanMs });
        console.log(`  round ${round}, ${threads} thread(s), llama-bench at depth ${DEPTH}: ${meanMs.toFixed(1)} ms per token`);
      } else console.log(`  llama-bench: n/a (${bin.why ?? "not built"})`);
    }
  }
  // The speed ratio is taken per round (llama-bench's time ÷ ours, measured minutes apart in the
  // same round) and its median reported: the machine's speed drifts between rounds more than the
  // difference measured. The medians of the means are printed beside it.
  const summary: Record<string, unknown>[] = [];
  for (const threads of THREADS) {
    const of = (pick: (row: Record<string, unknown>) => boolean, round?: number) =>
      rows.filter((row) => row.threads === threads && (round === undefined || row.round === round) && pick(row)).map((row) => row.meanMs as number);
    const isFloor = (row: Record<string, unknown>) => row.llamaBench === true;
    const floor = of(isFloor);
    for (const variant of VARIANTS) {
      const label = "engine" in variant ? "our engine process" : `libuv pool ${variant.pool}`;
      const pick = (row: Record<string, unknown>) => ("engine" in variant ? row.engine === true : row.pool === variant.pool);
      const ratios: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const [bench] = of(isFloor, round);
        const [ours] = of(pick, round);
        if (bench && ours) ratios.push(bench / ours);
      }
      const ours = of(pick);
      const ratio = ratios.length ? median(ratios) : undefined;
      summary.push({ threads, ...variant, medianMeanMs: median(ours), llamaBenchMs: floor.length ? median(floor) : undefined, speedVsLlamaBenchPerRound: ratios, speedVsLlamaBench: ratio });
      console.log(`${threads} thread(s), ${label}: median ${median(ours).toFixed(1)} ms per token (llama-bench ${floor.length ? median(floor).toFixed(1) : "n/a"} ms); speed ÷ llama-bench per round ${ratios.map((r) => r.toFixed(2)).join(" / ") || "n/a"}, median ${ratio?.toFixed(2) ?? "n/a"}`);
    }
  }
  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "token-gaps.json"), JSON.stringify({ machine: benchMachine(THREADS[THREADS.length - 1] ?? 2), tokens: TOKENS, depth: DEPTH, rounds: ROUNDS, cpuPressureAfter: cpuPressure(), rows, summary }, null, 2));
  console.log("written: bench/out/token-gaps.json");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
