/**
 * npm run bench:tokengaps
 *
 * The time between generated tokens through node-llama-cpp alone (sequence.evaluate, greedy, as
 * the engine generates), with 1 and with 2 llama.cpp threads, against llama-bench's decode speed
 * with the same thread counts, interleaved: where does generation lose time to llama.cpp's own
 * speed? Model: Qwen2.5-Coder-0.5B's shape, Q8_0, random weights (never stops). BENCH_TOKENS
 * (default 64) tokens per round, BENCH_ROUNDS (3) rounds per thread count, context 4096, flash
 * attention on. Prints p10/p50/p90 of the gaps and writes bench/out/token-gaps.json. About 2
 * minutes on a quiet 2-core machine; run it with `nice -n 10`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { getSharedLlama } from "../src/engine/local/llamaRuntime";
import { qwen25Coder05BShape } from "../test/support/models";
import { benchMachine, cpuPressure, percentile } from "./hosts";
import { findLlamaBin, llamaBench } from "./peer";

const TOKENS = Number(process.env.BENCH_TOKENS ?? 64);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const THREADS = [1, 2];

async function main(): Promise<void> {
  const modelPath = await qwen25Coder05BShape();
  const llama = await getSharedLlama(false);
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const prompt = model.tokenize("def compute(items):\n    total = 0\n    for item in items:\n");
  const bin = findLlamaBin();
  const results: Record<string, unknown>[] = [];
  console.log(`bench:tokengaps: ${TOKENS} tokens × ${ROUNDS} rounds per thread count; CPU pressure before: ${cpuPressure() ?? "n/a"}`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const threads of THREADS) {
      const context = await model.createContext({ contextSize: 4096, threads, flashAttention: true });
      llama.maxThreads = threads;
      const sequence = context.getSequence();
      const gaps: number[] = [];
      let last = 0;
      let count = 0;
      for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
        void token;
        const now = performance.now();
        if (count > 0) gaps.push(now - last);
        last = now;
        if (++count >= TOKENS) break;
      }
      await context.dispose();
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const floor = bin.dir ? llamaBench(bin.dir, modelPath, threads, false).decodeTokensPerSecond : undefined;
      const row = { round, threads, meanMs: mean, p10: percentile(gaps, 10), p50: percentile(gaps, 50), p90: percentile(gaps, 90), over30ms: gaps.filter((g) => g > 30).length, llamaBenchMs: floor ? 1000 / floor : undefined };
      results.push(row);
      console.log(
        `  ${threads} thread${threads === 1 ? " " : "s"} round ${round}: mean ${mean.toFixed(1)} ms, p10 ${row.p10.toFixed(1)}, p50 ${row.p50.toFixed(1)}, p90 ${row.p90.toFixed(1)}, ${row.over30ms} gaps over 30 ms; llama-bench ${row.llamaBenchMs?.toFixed(1) ?? `n/a (${bin.why ?? "no llama-bench"})`} ms per token`,
      );
    }
  }
  await model.dispose();
  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "token-gaps.json"), JSON.stringify({ machine: benchMachine(2), tokens: TOKENS, rounds: ROUNDS, cpuPressureAfter: cpuPressure(), results }, null, 2));
  console.log("written: bench/out/token-gaps.json");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
