/**
 * npm run bench:chat
 *
 * 1. Engine: time to first token and tokens/s of a chat answer through the extension's chat
 *    service (history, prompt trimming with the model's template, the engine's chat lane, delta
 *    batching), against node-llama-cpp alone (LlamaChat with the same Jinja template, system
 *    prompt and question) on the same model in the same run, interleaved A B / B A. The model is
 *    Qwen2.5-Coder-0.5B's exact shape (Q8_0, random weights, real vocabulary), 2 threads, a cold
 *    KV cache for every answer; random weights never stop, so every answer is 64 tokens.
 * 2. Webview: a 2,000-token Markdown answer with code blocks (tokenized with the real Qwen
 *    vocabulary) streamed into the real webview bundle (dist/media/chat.js, under the view's CSP)
 *    in headless Chromium, at 60 and at 1,000 tokens/s, with the host's 16 ms delta batching.
 *    Reports the longest frame and frames over 50 ms (long-animation-frame entries and rAF gaps).
 *
 * Prints a summary and writes bench/out/chat.json. Never fails on speed: it reports.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { ChatService } from "../src/chat/chatService";
import { SYSTEM_PROMPT } from "../src/chat/chatTemplate";
import { ChatHistory, type KeyValueStore } from "../src/chat/history";
import { chatHtml, newNonce } from "../src/chat/html";
import type { HostMessage } from "../src/chat/protocol";
import { buildQuote } from "../src/chat/quote";
import { LocalEngine } from "../src/engine/engine";
import { importLlamaModule } from "../src/engine/local/llamaRuntime";
import { qwen25Coder05BShape } from "../test/support/models";

const ANSWER_TOKENS = 64;
const PAIRS = Number(process.env.BENCH_CHAT_PAIRS ?? 7);
const THREADS = 2;
const CONTEXT = 4096;
const root = path.resolve(__dirname, "..", "..");

class MemoryStore implements KeyValueStore {
  private readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.values.set(key, value);
  }
}

interface Run {
  readonly ttftMs: number;
  readonly tokensPerSecond: number;
  readonly tokens: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function cpuPressure(): string {
  try {
    return fs.readFileSync("/proc/pressure/cpu", "utf8").split("\n")[0];
  } catch {
    return "n/a";
  }
}

async function question(): Promise<string> {
  const code = fs.readFileSync(path.join(root, "src", "chat", "prompt.ts"), "utf8").split("\n").slice(0, 60).join("\n");
  const quote = await buildQuote("explain", { fileLabel: "src/chat/prompt.ts", languageId: "typescript", startLine: 1, endLine: 60, code }, () => true);
  return quote.question;
}

async function engineBench(modelPath: string) {
  const engine = new LocalEngine({ machine: { logicalCores: os.availableParallelism(), physicalCores: THREADS, homeDir: os.homedir() }, log: () => undefined });
  await engine.configure({ modelPath, threads: THREADS, contextSize: CONTEXT, gpu: "off", flashAttention: true });
  if (engine.state.kind !== "ready") throw new Error(`engine: ${JSON.stringify(engine.state.error)}`);
  const flashAttention = engine.state.flashAttention ?? false;
  const ask = await question();

  // node-llama-cpp alone: its own model and context with the same settings.
  const module = await importLlamaModule();
  const llama = await module.getLlama({ gpu: false, build: "never", logLevel: module.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: CONTEXT, threads: THREADS, flashAttention, sequences: 1 });
  const sequence = context.getSequence();
  const template = model.fileInfo.metadata?.tokenizer?.chat_template as string;
  const chat = new module.LlamaChat({ contextSequence: sequence, chatWrapper: new module.JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer }) });

  const baseline = async (): Promise<Run> => {
    sequence.clearHistory();
    const started = performance.now();
    let first: number | undefined;
    let last = started;
    let tokens = 0;
    await chat.generateResponse(
      [{ type: "system", text: SYSTEM_PROMPT }, { type: "user", text: ask }, { type: "model", response: [] }],
      {
        maxTokens: ANSWER_TOKENS,
        temperature: 0,
        onToken: (t) => {
          first ??= performance.now();
          last = performance.now();
          tokens += t.length;
        },
      },
    );
    return { ttftMs: (first ?? last) - started, tokensPerSecond: ((tokens - 1) * 1000) / (last - (first ?? last)), tokens };
  };

  const ours = async (): Promise<Run> => {
    await engine.withSession("chat", undefined, async ({ sequence: own }) => own.clearHistory(), () => undefined);
    const service = new ChatService(engine, new ChatHistory(new MemoryStore()), () => ({ maxAnswerTokens: ANSWER_TOKENS, temperature: 0 }));
    let firstDelta: number | undefined;
    service.attach({
      post: (message: HostMessage) => {
        if (message.type === "answerDelta") firstDelta ??= performance.now();
      },
    });
    const started = performance.now();
    const turn = await service.ask(ask);
    await service.dispose();
    if (!turn.stats) throw new Error(`no answer: ${turn.notes?.join(" ")}`);
    return { ttftMs: (firstDelta ?? performance.now()) - started, tokensPerSecond: turn.stats.tokensPerSecond, tokens: turn.stats.generatedTokens };
  };

  await baseline(); // warm both paths once
  await ours();
  const a: Run[] = [];
  const b: Run[] = [];
  for (let i = 0; i < PAIRS; i++) {
    if (i % 2 === 0) {
      a.push(await ours());
      b.push(await baseline());
    } else {
      b.push(await baseline());
      a.push(await ours());
    }
    process.stdout.write(`  pair ${i + 1}/${PAIRS}: ours ${a.at(-1)!.ttftMs.toFixed(0)} ms / ${a.at(-1)!.tokensPerSecond.toFixed(1)} tok/s, node-llama-cpp ${b.at(-1)!.ttftMs.toFixed(0)} ms / ${b.at(-1)!.tokensPerSecond.toFixed(1)} tok/s\n`);
  }
  chat.dispose();
  await context.dispose();
  await model.dispose();
  await engine.dispose();

  const summary = (runs: Run[]) => ({
    ttftMsMedian: median(runs.map((r) => r.ttftMs)),
    tokensPerSecondMedian: median(runs.map((r) => r.tokensPerSecond)),
    tokens: runs[0].tokens,
  });
  const oursSummary = summary(a);
  const baseSummary = summary(b);
  return {
    ours: oursSummary,
    nodeLlamaCpp: baseSummary,
    ttftRatio: oursSummary.ttftMsMedian / baseSummary.ttftMsMedian,
    // > 1 means ours is slower: baseline speed / our speed.
    tokensPerSecondRatio: baseSummary.tokensPerSecondMedian / oursSummary.tokensPerSecondMedian,
    runs: { ours: a, nodeLlamaCpp: b },
  };
}

// ---- webview frames ------------------------------------------------------------------------------

function longAnswer(): string {
  const parts: string[] = ["## How the chat pipeline works\n", "The answer below mixes prose, lists and code, like a real explanation.\n"];
  for (let i = 1; parts.join("\n").length < 9000; i++) {
    parts.push(
      `### Step ${i}: **${["Prompt", "Template", "Engine", "Stream", "Render"][i % 5]}**`,
      `This step takes the output of step ${i - 1} and passes it on. It keeps \`state\` small, and each call is *cancellable*: an \`AbortSignal\` ends it at once.`,
      `- first, it checks the input (\`validate${i}\`)\n- then it transforms it\n- finally it reports what it did`,
      "```typescript",
      `export async function step${i}(input: readonly string[], signal: AbortSignal): Promise<string[]> {\n  const out: string[] = [];\n  for (const line of input) {\n    if (signal.aborted) break;\n    out.push(line.trim().replace(/\\s+/g, " ")); // normalise\n  }\n  return out.filter((l) => l.length > 0 && !l.startsWith("#"));\n}`,
      "```",
      `| name | value |\n| --- | --- |\n| step | ${i} |\n| lines | ${i * 7} |`,
    );
  }
  return parts.join("\n\n");
}

async function tokenChunks(modelPath: string, text: string, count: number): Promise<string[]> {
  const module = await importLlamaModule();
  const llama = await module.getLlama({ gpu: false, build: "never", logLevel: module.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0, vocabOnly: true });
  const tokens = model.tokenize(text).slice(0, count);
  const chunks: string[] = [];
  let previous = "";
  for (let i = 1; i <= tokens.length; i++) {
    // Detokenize prefixes so multi-byte characters split across tokens come out whole, as in the chat.
    const current = i % 50 === 0 || i === tokens.length ? model.detokenize(tokens.slice(0, i)) : previous + model.detokenize(tokens.slice(i - 1, i));
    chunks.push(current.slice(previous.length));
    previous = current;
  }
  await model.dispose();
  return chunks;
}

async function webviewBench(chunks: readonly string[]) {
  const media = path.join(root, "dist", "media");
  if (!fs.existsSync(path.join(media, "chat.js"))) throw new Error("dist/media/chat.js is missing: run npm run build");
  const server = http.createServer((req, res) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    if (req.url === "/") {
      res.setHeader("content-type", "text/html");
      res.end(chatHtml({ cspSource: origin, nonce: newNonce(), scriptUri: `${origin}/chat.js`, styleUri: `${origin}/chat.css` }));
      return;
    }
    const file = path.join(media, path.basename(req.url ?? ""));
    if (!fs.existsSync(file)) {
      res.statusCode = 404;
      res.end();
      return;
    }
    res.setHeader("content-type", file.endsWith(".css") ? "text/css" : "text/javascript");
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"],
  });
  const results: Record<string, unknown>[] = [];
  try {
    for (const tokensPerSecond of [60, 1000]) {
      const page = await browser.newPage({ viewport: { width: 420, height: 900 } });
      await page.addInitScript(`
        window.__posted = [];
        window.acquireVsCodeApi = () => ({ postMessage: (m) => window.__posted.push(m), getState: () => undefined, setState: () => undefined });
        window.__loaf = [];
        // Times every animation-frame callback: the view renders streamed Markdown in one.
        window.__rafMs = [];
        const raf = window.requestAnimationFrame.bind(window);
        window.requestAnimationFrame = (cb) => raf((t) => { const s = performance.now(); cb(t); window.__rafMs.push(performance.now() - s); });
        if (PerformanceObserver.supportedEntryTypes.includes("long-animation-frame")) {
          new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__loaf.push({ start: e.startTime, duration: e.duration, scriptMs: (e.scripts || []).reduce((sum, s) => sum + s.duration, 0), blockingMs: e.blockingDuration }); }).observe({ type: "long-animation-frame" });
        }
      `);
      await page.goto(url);
      await page.waitForFunction("window.__posted.some((m) => m.type === 'ready')");
      const stats = (await page.evaluate(
        `new Promise((resolve) => {
          const chunks = ${JSON.stringify(chunks)};
          const rate = ${tokensPerSecond};
          const post = (m) => window.postMessage(m, "*");
          post({ type: "init", turns: [], model: { kind: "ready", modelName: "bench" } });
          post({ type: "turnAdded", turn: { id: "q", role: "user", text: "Explain the pipeline." } });
          post({ type: "turnAdded", turn: { id: "a", role: "assistant", text: "" } });
          const gaps = [];
          let last = performance.now();
          let running = true;
          const tick = (now) => { gaps.push(now - last); last = now; if (running) requestAnimationFrame(tick); };
          requestAnimationFrame(tick);
          const started = performance.now();
          const rafBefore = window.__rafMs.length;
          let sent = 0;
          const timer = setInterval(() => {
            const due = Math.min(chunks.length, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
            if (due > sent) { post({ type: "answerDelta", id: "a", text: chunks.slice(sent, due).join("") }); sent = due; }
            if (sent >= chunks.length) {
              clearInterval(timer);
              post({ type: "answerEnded", turn: { id: "a", role: "assistant", text: chunks.join(""), end: "done",
                stats: { model: "bench", generatedTokens: chunks.length, tokensPerSecond: rate, timeToFirstTokenMs: 0, durationMs: 0 } } });
              setTimeout(() => {
                running = false;
                const own = window.__posted.find((m) => m.type === "renderStats");
                resolve({ streamMs: performance.now() - started, rafGaps: gaps, loaf: window.__loaf.filter((e) => e.start >= started), own, rafMs: window.__rafMs.slice(rafBefore),
                  codeBlocks: document.querySelectorAll(".code-block").length, textLength: document.querySelector(".turn.assistant .turn-body").innerText.length });
              }, 300);
            }
          }, 16);
        })`,
      )) as { streamMs: number; rafGaps: number[]; loaf: { duration: number; scriptMs: number; blockingMs: number }[]; rafMs: number[]; own?: { longestFrameMs: number; framesOver50Ms: number; frames: number }; codeBlocks: number; textLength: number };
      const gaps = stats.rafGaps.slice(1);
      const sortedGaps = [...gaps].sort((x, y) => x - y);
      const render = [...stats.rafMs].sort((x, y) => x - y);
      results.push({
        renderMsP50: Number((render[Math.floor(render.length / 2)] ?? 0).toFixed(2)),
        renderMsP95: Number((render[Math.floor(render.length * 0.95)] ?? 0).toFixed(2)),
        renderMsMax: Number((render.at(-1) ?? 0).toFixed(1)),
        tokensPerSecond,
        tokens: chunks.length,
        streamMs: Math.round(stats.streamMs),
        frames: gaps.length,
        longestFrameGapMs: Math.round(sortedGaps.at(-1) ?? 0),
        p95FrameGapMs: Math.round(sortedGaps[Math.floor(sortedGaps.length * 0.95)] ?? 0),
        framesOver50Ms: gaps.filter((g) => g > 50).length,
        longAnimationFrames: stats.loaf.length,
        longestAnimationFrameMs: Math.round(Math.max(0, ...stats.loaf.map((e) => e.duration))),
        // Script time inside long frames: our rendering's share (the rest is the browser and the machine).
        longestScriptInLongFrameMs: Math.round(Math.max(0, ...stats.loaf.map((e) => e.scriptMs))),
        viewReported: stats.own,
        codeBlocksRendered: stats.codeBlocks,
        renderedTextChars: stats.textLength,
      });
      await page.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  return results;
}

async function main(): Promise<void> {
  console.log(`bench:chat — ${os.cpus().length} CPUs, CPU pressure before: ${cpuPressure()}`);
  const modelPath = await qwen25Coder05BShape();
  console.log(`model: ${path.basename(modelPath)} (Qwen2.5-Coder-0.5B shape, Q8_0, random weights), ${THREADS} threads, context ${CONTEXT}`);

  const part = process.env.BENCH_CHAT_PART; // "engine" or "webview" runs only that part
  console.log(`\n1. Chat answer, ${ANSWER_TOKENS} tokens, cold KV cache, ${PAIRS} interleaved pairs`);
  const engine = part === "webview" ? undefined : await engineBench(modelPath);
  if (engine) console.log(
    `   ours:           first token ${engine.ours.ttftMsMedian.toFixed(0)} ms, ${engine.ours.tokensPerSecondMedian.toFixed(1)} tokens/s (median)\n` +
      `   node-llama-cpp: first token ${engine.nodeLlamaCpp.ttftMsMedian.toFixed(0)} ms, ${engine.nodeLlamaCpp.tokensPerSecondMedian.toFixed(1)} tokens/s (median)\n` +
      `   ratio (ours / alone, ≤ 1.10 wanted): first token ${engine.ttftRatio.toFixed(3)}, time per token ${engine.tokensPerSecondRatio.toFixed(3)}`,
  );

  console.log("\n2. Webview rendering of a 2,000-token answer with code blocks");
  const chunks = await tokenChunks(modelPath, longAnswer(), 2000);
  const frames = part === "engine" ? [] : await webviewBench(chunks);
  for (const r of frames) {
    console.log(
      `   ${String(r.tokensPerSecond).padStart(4)} tokens/s: ${r.frames} frames in ${r.streamMs} ms, longest frame gap ${r.longestFrameGapMs} ms (p95 ${r.p95FrameGapMs}), ` +
        `frames over 50 ms: ${r.framesOver50Ms}; render per frame p50 ${r.renderMsP50} ms, p95 ${r.renderMsP95} ms, max ${r.renderMsMax} ms;`,
        `\n                     long animation frames: ${r.longAnimationFrames} (longest ${r.longestAnimationFrameMs} ms, of which script at most ${r.longestScriptInLongFrameMs} ms), ${r.codeBlocksRendered} code blocks`,
    );
  }
  console.log(`\nCPU pressure after: ${cpuPressure()}`);
  const out = path.join(root, "bench", "out");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "chat.json"), JSON.stringify({ when: new Date().toISOString(), engine, frames }, null, 2));
  console.log(`wrote ${path.relative(root, path.join(out, "chat.json"))}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
