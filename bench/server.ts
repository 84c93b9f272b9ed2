/**
 * npm run bench:server
 *
 * The same typing session through a team server and through our local engine, on the same
 * machine, interleaved keystroke by keystroke (A B, then B A):
 * - server: llama.cpp's own llama-server (scripts/build-llama-server.sh: the same llama.cpp
 *   commit and the same CPU backend libraries as node-llama-cpp), on 127.0.0.1, one slot, the
 *   model below, BENCH_THREADS threads (default 2), context 4096; reached through RoutedEngine
 *   exactly as the extension does (slm.engine.server, kind llama-server: our FIM prompt as
 *   tokens to /completion, cache_prompt, the slot pinned).
 * - local: LocalEngine (in this process) on the same file with the same settings.
 * - model: Qwen2.5-Coder-0.5B's exact shape and vocabulary, Q8_0, random weights (generated;
 *   BENCH_MODEL=<file.gguf> for another). Random weights never stop: 16 tokens every time.
 * - typing: BENCH_POSITIONS_PER_FILE (default 1) lines in each of 4 source files from the llama.cpp
 *   source, typed character by character through the real completion pipeline; each place is
 *   warmed first (as the idle warm-up does).
 * - the HTTP round trip: before each server keystroke, a POST /tokenize of one character on the
 *   same keep-alive connection pool (what one request costs besides the model's work).
 * Per keystroke where both evaluated the same number of tokens and generated 16:
 *   server ÷ (local + round trip)   goal ≤ 1.10
 *   tokens evaluated on the server (timings.prompt_n) − tokens evaluated locally   goal within 1
 *   (this one over every keystroke where both sides asked their model, comparable or not)
 * Two llama.cpp instances share the machine's cores one request at a time (never concurrently).
 * Writes bench/out/server.json. Run it with nice on a shared machine and say so with the numbers.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CompletionPipeline } from "../src/completion/pipeline";
import type { CompletionRequest, CompletionSettings } from "../src/completion/types";
import { LocalEngine } from "../src/engine/local/localEngine";
import { ServerConnection } from "../src/engine/remote/connection";
import { RoutedEngine } from "../src/engine/remote/routedEngine";
import { readLlamaSourceFile } from "../test/support/gguf/llamaSource";
import { startLlamaServer } from "../test/support/llamaServer";
import { qwen25Coder05BShape } from "../test/support/models";
import { benchMachine, cpuPressure, load, median, orderBalanced, percentile, round3 } from "./hosts";

const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const CONTEXT = 4096;
const OUTPUT_TOKENS = 16;
const POSITIONS_PER_FILE = Number(process.env.BENCH_POSITIONS_PER_FILE ?? 1);
const MAX_LINE_CHARS = 24;
const FILES: ReadonlyArray<{ path: string; languageId: string }> = [
  { path: "gguf-py/gguf/gguf_writer.py", languageId: "python" },
  { path: "src/llama-vocab.cpp", languageId: "cpp" },
  { path: "tools/ui/src/lib/services/chat.service.ts", languageId: "typescript" },
  { path: "tools/ui/src/lib/vendors/big-integer/BigInteger.js", languageId: "javascript" },
];
const settings: CompletionSettings = { enabled: true, languages: [], multiline: "always", maxTokens: OUTPUT_TOKENS, maxTimeMs: 60_000, maxLineSuffix: 1000, debounceMs: 0 };

interface Sample {
  readonly file: string;
  readonly line: number;
  readonly first: "server" | "local";
  readonly serverMs: number;
  readonly localMs: number;
  readonly roundTripMs: number;
  readonly serverEvaluated: number;
  readonly localEvaluated: number;
  readonly serverGenerated: number;
  readonly localGenerated: number;
  readonly promptTokens: number;
}

async function main(): Promise<void> {
  const pressureBefore = cpuPressure();
  const modelPath = process.env.BENCH_MODEL || (await qwen25Coder05BShape());
  console.log(`bench:server: ${os.cpus().length} CPUs, ${THREADS} threads each, CPU pressure before: ${pressureBefore ?? "n/a"}`);
  const server = await startLlamaServer({ model: modelPath, threads: THREADS, contextSize: CONTEXT, slots: 1, extraArgs: ["-fa", "on"] });
  const log = (level: string, message: string): void => void (level === "error" && console.error(message));
  const machine = benchMachine(THREADS);
  try {
    const local = new LocalEngine({ machine, log });
    const localLoadMs = await load(local, { modelPath, threads: THREADS, contextSize: CONTEXT, gpu: "off", flashAttention: true }, "local");
    const remote = new RoutedEngine(new LocalEngine({ machine, log }), { log, apiKey: () => Promise.resolve(undefined), refuseModel: () => undefined });
    await remote.configure({ modelPath: "", threads: THREADS, contextSize: CONTEXT, gpu: "off", flashAttention: true, remote: { server: server.url, allowNetwork: true } });
    const facts = await remote.laneFacts("completion");
    console.log(`  server ${server.url} serves ${facts.name} (context ${facts.contextSize}); local loaded in ${localLoadMs.toFixed(0)} ms`);
    const probe = new ServerConnection({ url: server.url, origin: server.url, kind: "llama-server" }, { pins: [] }, () => Promise.resolve(undefined));
    const roundTrip = async (): Promise<number> => {
      const started = performance.now();
      await probe.json({ method: "POST", path: "/tokenize", body: { content: "x" }, timeoutMs: 10_000 });
      return performance.now() - started;
    };
    const pipelines = {
      server: new CompletionPipeline({ engine: remote, settings: () => settings, log: () => undefined }),
      local: new CompletionPipeline({ engine: local, settings: () => settings, log: () => undefined }),
    };

    const samples: Sample[] = [];
    let keystrokes = 0;
    for (const file of FILES) {
      const source = readLlamaSourceFile(file.path)?.toString("utf8");
      if (!source) throw new Error(`missing ${file.path} in the llama.cpp source bundle`);
      const original = source.replace(/\r\n/g, "\n").split("\n");
      for (const line of pickLines(original)) {
        const target = original[line]!;
        const indent = target.length - target.trimStart().length;
        const lines = [...original];
        lines[line] = target.slice(0, indent);
        const request = (character: number): CompletionRequest => ({
          documentKey: file.path, fileName: file.path, languageId: file.languageId,
          text: { lineCount: lines.length, lineAt: (n) => lines[n]! }, cursor: { line, character }, eol: "\n", explicit: false,
        });
        await pipelines.server.warm(request(indent));
        await pipelines.local.warm(request(indent));
        for (let end = indent + 1; end <= target.length; end++) {
          lines[line] = target.slice(0, end);
          const first = keystrokes++ % 2 === 0 ? "server" : "local";
          const order = first === "server" ? (["server", "local"] as const) : (["local", "server"] as const);
          const results: Record<string, { ms: number; evaluated: number; generated: number; prompt: number }> = {};
          let rtt = 0;
          for (const which of order) {
            if (which === "server") rtt = await roundTrip();
            const started = performance.now();
            const outcome = await pipelines[which].complete(request(end));
            const ms = performance.now() - started;
            const timings = outcome.kind === "suggestion" || outcome.kind === "dropped" ? outcome.timings : undefined;
            results[which] = { ms, evaluated: timings?.evaluatedTokens ?? -1, generated: timings?.generatedTokens ?? -1, prompt: timings?.promptTokens ?? 0 };
          }
          const s = results.server!;
          const l = results.local!;
          samples.push({
            file: file.path, line: line + 1, first, serverMs: s.ms, localMs: l.ms, roundTripMs: rtt,
            serverEvaluated: s.evaluated, localEvaluated: l.evaluated, serverGenerated: s.generated, localGenerated: l.generated, promptTokens: s.prompt,
          });
          process.stdout.write(`\r  ${samples.length} keystrokes (last: server ${s.ms.toFixed(0)} ms, local ${l.ms.toFixed(0)} ms, evaluated ${s.evaluated}/${l.evaluated})   `);
        }
      }
    }
    console.log("");
    report(samples, { pressureBefore, pressureAfter: cpuPressure(), model: modelPath, server: facts.name });
    probe.dispose();
    await remote.dispose();
    await local.dispose();
  } finally {
    await server.kill();
  }
}

function report(samples: readonly Sample[], meta: { pressureBefore?: string; pressureAfter?: string; model: string; server: string }): void {
  const comparable = samples.filter((s) => s.serverGenerated === OUTPUT_TOKENS && s.localGenerated === OUTPUT_TOKENS && s.serverEvaluated === s.localEvaluated);
  const ratio = (s: Sample): number => s.serverMs / (s.localMs + s.roundTripMs);
  const serverFirst = comparable.filter((s) => s.first === "server").map(ratio);
  const localFirst = comparable.filter((s) => s.first === "local").map(ratio);
  // Tokens evaluated are compared where both sides asked their model. A keystroke one side served
  // from its suggestion cache (no model call, -1) says nothing about the server's KV reuse: the two
  // engines' greedy outputs can differ on random weights, so their caches hold different texts.
  const bothCalled = samples.filter((s) => s.serverEvaluated >= 0 && s.localEvaluated >= 0);
  const evaluatedDiff = bothCalled.map((s) => s.serverEvaluated - s.localEvaluated);
  const result = {
    settings: { threads: THREADS, contextSize: CONTEXT, outputTokens: OUTPUT_TOKENS, positionsPerFile: POSITIONS_PER_FILE, model: path.basename(meta.model), serverModel: meta.server },
    keystrokes: samples.length,
    comparable: comparable.length,
    latencyMs: {
      serverP50: round3(median(samples.map((s) => s.serverMs))), serverP95: round3(percentile(samples.map((s) => s.serverMs), 95)),
      localP50: round3(median(samples.map((s) => s.localMs))), localP95: round3(percentile(samples.map((s) => s.localMs), 95)),
      roundTripP50: round3(median(samples.map((s) => s.roundTripMs))), roundTripP95: round3(percentile(samples.map((s) => s.roundTripMs), 95)),
    },
    serverOverLocalPlusRoundTrip: {
      median: round3(median(comparable.map(ratio))),
      serverFirst: round3(median(serverFirst)),
      localFirst: round3(median(localFirst)),
      orderBalanced: round3(orderBalanced(median(serverFirst), median(localFirst))),
      goal: 1.1,
    },
    evaluatedPerKeystroke: {
      serverMedian: median(samples.map((s) => s.serverEvaluated)), serverP95: percentile(samples.map((s) => s.serverEvaluated), 95), serverMax: Math.max(...samples.map((s) => s.serverEvaluated)),
      localMedian: median(samples.map((s) => s.localEvaluated)), localMax: Math.max(...samples.map((s) => s.localEvaluated)),
      largestDifference: Math.max(...evaluatedDiff.map(Math.abs)),
      keystrokesBothCalled: bothCalled.length,
      servedFromCacheOnOneSideOnly: samples.filter((s) => (s.serverEvaluated < 0) !== (s.localEvaluated < 0)).length,
      goal: "within 1 of local",
    },
    promptTokensMedian: median(samples.map((s) => s.promptTokens)),
    cpuPressure: { before: meta.pressureBefore, after: meta.pressureAfter },
    samples,
  };
  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "server.json"), JSON.stringify(result, null, 2));
  const l = result.latencyMs;
  console.log(`keystrokes: ${samples.length} (${comparable.length} comparable: same tokens evaluated, ${OUTPUT_TOKENS} generated by both)`);
  console.log(`latency p50 / p95: server ${l.serverP50.toFixed(0)} / ${l.serverP95.toFixed(0)} ms, local ${l.localP50.toFixed(0)} / ${l.localP95.toFixed(0)} ms, HTTP round trip ${l.roundTripP50.toFixed(2)} / ${l.roundTripP95.toFixed(2)} ms`);
  const r = result.serverOverLocalPlusRoundTrip;
  console.log(`server ÷ (local + round trip): median ${r.median}, server first ${r.serverFirst}, local first ${r.localFirst}, order-balanced ${r.orderBalanced} (goal ≤ 1.10)`);
  const e = result.evaluatedPerKeystroke;
  console.log(`tokens evaluated per keystroke: server median ${e.serverMedian}, p95 ${e.serverP95}, max ${e.serverMax}; local median ${e.localMedian}, max ${e.localMax}; largest difference ${e.largestDifference} over the ${e.keystrokesBothCalled} keystrokes where both asked their model (goal within 1); ${e.servedFromCacheOnOneSideOnly} served from the suggestion cache on one side only`);
  console.log(`prompt tokens (median): ${result.promptTokensMedian}; CPU pressure before / after: ${meta.pressureBefore ?? "?"} / ${meta.pressureAfter ?? "?"}`);
  console.log("written: bench/out/server.json");
}

function pickLines(lines: string[]): number[] {
  const candidates: number[] = [];
  for (let i = 256; i < lines.length - 64; i++) {
    const text = lines[i]!.trim();
    if (text.length >= 8 && text.length <= MAX_LINE_CHARS && !/^(\/\/|#|\*|\/\*)/.test(text)) candidates.push(i);
  }
  const step = Math.max(1, Math.floor(candidates.length / POSITIONS_PER_FILE));
  return candidates.filter((_, i) => i % step === 0).slice(0, POSITIONS_PER_FILE);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
