/**
 * npm run bench:chat
 *
 * 1. Engine, both hosts: time to first token and time per token of a chat answer through the
 *    extension's chat service (history, prompt trimming with the model's template, the engine's
 *    chat lane, delta batching) on the engine's two hosts holding the same model with the same
 *    settings: `process` (ProcessEngine, the default: the engine in a forked child over the IPC
 *    protocol) and `inProcess` (LocalEngine in this process). Interleaved, the order rotating
 *    each round (process, inProcess, then inProcess, process, …); ratios process ÷ in-process per
 *    round, then their median. Measured in this process: first token = the first answerDelta the
 *    view would get; time per token = (answer received − first text received) ÷ (tokens − 1).
 *    Optional arms in the same rotation: BENCH_CHAT_RENICED=1 adds `processNice0` (a second
 *    engine process whose threads are reniced from the engine's own PRIORITY_BELOW_NORMAL to 0,
 *    this process's priority: shows what the engine process's lower priority costs on a busy
 *    machine; with BENCH_BUSY_LOOPS=n, n busy loops at this process's priority run while the rounds
 *    are measured); BENCH_CHAT_ALONE=1 adds `nodeLlamaCpp` (LlamaChat alone, same template, system
 *    prompt and question, in this process).
 *    Settings: the model is Qwen2.5-Coder-0.5B's exact shape (Q8_0, random weights, real
 *    vocabulary; generated, cached outside the repository), 2 threads (always set; BENCH_THREADS), context 4096,
 *    flash attention on, CPU only, temperature 0; a cold KV cache for every answer (a new first
 *    line in the system prompt each round); random weights never stop, so every answer is 64
 *    tokens. BENCH_CHAT_PAIRS rounds (default 7) after one warm-up round.
 *    Also: VmRSS of this process and of the engine process after the load (before the
 *    in-process host exists), the engine process's mappings of the .gguf file, and the IPC
 *    round trip (laneFacts and a short tokenize on both hosts, 200 each, interleaved).
 *    BENCH_ENGINE_SCRIPT picks the engine script (default out/src/engine/host/child.js);
 *    BENCH_MODEL=<file.gguf> runs another model (a tiny one for a quick check that it works).
 * 2. Webview: a 2,000-token Markdown answer with code blocks (tokenized with the real Qwen
 *    vocabulary) streamed into the real webview bundle (dist/media/chat.js, under the view's CSP)
 *    in headless Chromium, at 60 and at 1,000 tokens/s, with the host's 16 ms delta batching.
 *    Reports the longest frame and frames over 50 ms (long-animation-frame entries and rAF gaps).
 *    Skipped when there is no Chromium (CHROMIUM or /usr/bin/chromium).
 *
 * BENCH_CHAT_PART=engine|webview runs one part. About 2–3 minutes for part 1 on an idle 2-core
 * machine. Prints a summary and writes bench/out/chat.json. Never fails on speed: it reports.
 */
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { ChatService, type ChatEngine } from "../src/chat/chatService";
import { ChatHistory, type KeyValueStore } from "../src/chat/history";
import { chatHtml, newNonce } from "../src/chat/editor/html";
import type { HostMessage } from "../src/chat/protocol";
import { buildQuote } from "../src/chat/quote";
import type { ChatResult, Engine } from "../src/engine/api";
import { SYSTEM_PROMPT } from "../src/engine/chatPrompt";
import { importLlamaModule } from "../src/engine/local/llamaRuntime";
import { qwen25Coder05BShape } from "../test/support/models";
import {
  benchMachine, cpuPressure, createLocalEngine, createProcessEngine, fileMappings, load, measureRoundTrip, median, orderBalanced,
  processMemory, reniceThreads, startBusyLoops, stopBusyLoops, threadNiceness, type Hosts,
} from "./hosts";

const ANSWER_TOKENS = 64;
const PAIRS = Number(process.env.BENCH_CHAT_PAIRS ?? 7);
/** Always set: 2 (one per core of the 2-core machines these run on); BENCH_THREADS to change it. */
const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const MODEL_LABEL = process.env.BENCH_MODEL ? path.basename(process.env.BENCH_MODEL) : "Qwen2.5-Coder-0.5B shape, Q8_0, random weights (generated)";
const CONTEXT = 4096;
const ROUND_TRIPS = 200;
/** Busy loops (other programs at this process's priority) running while the rounds are measured. */
const BUSY_LOOPS = Number(process.env.BENCH_BUSY_LOOPS ?? 0);
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

type Arm = "process" | "inProcess" | "processNice0" | "nodeLlamaCpp";

interface Run {
  /** Question asked → first answerDelta posted to the view (this process's clock). */
  readonly ttftMs: number;
  /** (answer received − first text received) ÷ (tokens − 1), this process's clock. */
  readonly msPerToken: number;
  readonly tokens: number;
  /** What the engine itself measured (inside the engine process for the process host). */
  readonly engineTtftMs?: number;
  readonly engineTokensPerSecond?: number;
  /** Text chunks received (one IPC message each on the process host). */
  readonly textMessages?: number;
  readonly text?: string;
}

async function question(): Promise<string> {
  const file = path.join("src", "engine", "chatPrompt.ts");
  const code = fs.readFileSync(path.join(root, file), "utf8").split("\n").slice(0, 60).join("\n");
  const quote = await buildQuote("explain", { fileLabel: file, languageId: "typescript", startLine: 1, endLine: 60, code }, () => true);
  return quote.question;
}

/** A different first line of the system prompt each round: every answer starts on a cold KV cache. */
const systemPrompt = (round: number) => `Session ${round}.\n${SYSTEM_PROMPT}`;

/** One answer through the chat service on `engine`, timed in this process. */
async function askThrough(engine: Engine, ask: string, round: number): Promise<Run> {
  let firstText: number | undefined;
  let textMessages = 0;
  let received: { at: number; result: ChatResult } | undefined;
  const timed: ChatEngine = {
    get state() {
      return engine.state;
    },
    onDidChangeState: engine.onDidChangeState,
    chat: async (request, options) => {
      const result = await engine.chat({ ...request, system: systemPrompt(round) }, {
        ...options,
        onText: (text) => {
          firstText ??= performance.now();
          textMessages++;
          options?.onText?.(text);
        },
      });
      received = { at: performance.now(), result };
      return result;
    },
  };
  const service = new ChatService(timed, new ChatHistory(new MemoryStore()), () => ({ maxAnswerTokens: ANSWER_TOKENS, temperature: 0 }));
  let firstDelta: number | undefined;
  service.attach({
    post: (message: HostMessage) => {
      if (message.type === "answerDelta") firstDelta ??= performance.now();
    },
  });
  const started = performance.now();
  const turn = await service.ask(ask);
  await service.dispose();
  if (!received || !turn.stats) throw new Error(`no answer: ${turn.notes?.join(" ")}`);
  const { result, at } = received;
  return {
    ttftMs: (firstDelta ?? at) - started,
    msPerToken: (at - (firstText ?? at)) / Math.max(1, result.generatedTokens - 1),
    tokens: result.generatedTokens,
    engineTtftMs: result.timeToFirstTokenMs,
    engineTokensPerSecond: result.tokensPerSecond,
    textMessages,
    text: result.text,
  };
}

async function engineBench(modelPath: string) {
  const machine = benchMachine(THREADS);
  const log = (level: string, message: string) => level === "error" && console.error(message);
  const settings = { modelPath, threads: THREADS, contextSize: CONTEXT, gpu: "off", flashAttention: true };
  const withReniced = process.env.BENCH_CHAT_RENICED === "1";
  const withAlone = process.env.BENCH_CHAT_ALONE === "1";

  // Memory: the process host alone first, so this process holds no model of its own yet.
  const parentBeforeLoad = processMemory(process.pid);
  const processEngine = createProcessEngine(machine, log);
  const processLoadMs = await load(processEngine, settings, "process");
  const childPid = processEngine.pid!;
  const memory = {
    processHost: {
      parentBeforeLoad,
      parent: processMemory(process.pid),
      child: processMemory(childPid),
      childModelMappings: fileMappings(childPid, modelPath),
      parentModelMappings: fileMappings(process.pid, modelPath),
      childThreadsNiceness: threadNiceness(childPid),
    },
    inProcessHost: {} as { parent?: ReturnType<typeof processMemory>; parentModelMappings?: ReturnType<typeof fileMappings> },
  };
  const inProcessEngine = createLocalEngine(machine, log);
  const inProcessLoadMs = await load(inProcessEngine, settings, "inProcess");
  memory.inProcessHost = { parent: processMemory(process.pid), parentModelMappings: fileMappings(process.pid, modelPath) };
  const flashAttention = inProcessEngine.state.flashAttention ?? false;
  const hosts: Hosts = { process: processEngine, inProcess: inProcessEngine };
  const roundTrip = await measureRoundTrip(hosts, ROUND_TRIPS);
  console.log(`   loaded: process ${processLoadMs.toFixed(0)} ms (engine pid ${childPid}), in-process ${inProcessLoadMs.toFixed(0)} ms; round trip added p50: laneFacts ${roundTrip.addedP50Ms.laneFacts!.toFixed(3)} ms, tokenize ${roundTrip.addedP50Ms.tokenize!.toFixed(3)} ms`);
  const ask = await question();

  const arms: { name: Arm; run: (round: number) => Promise<Run>; dispose: () => Promise<void> }[] = [
    { name: "process", run: (round) => askThrough(processEngine, ask, round), dispose: () => processEngine.dispose() },
    { name: "inProcess", run: (round) => askThrough(inProcessEngine, ask, round), dispose: () => inProcessEngine.dispose() },
  ];
  let reniced: { pid: number; ok: boolean; niceness: Record<string, number> } | undefined;
  if (withReniced) {
    const second = createProcessEngine(machine, log);
    await load(second, settings, "processNice0");
    const ok = reniceThreads(second.pid!, os.getPriority());
    reniced = { pid: second.pid!, ok, niceness: threadNiceness(second.pid!) };
    arms.push({ name: "processNice0", run: (round) => askThrough(second, ask, round), dispose: () => second.dispose() });
  }
  if (withAlone) arms.push(await aloneArm(modelPath, flashAttention, ask));

  const runs = new Map<Arm, Run[]>(arms.map((arm) => [arm.name, []]));
  /** Per round, each arm's place in that round's order. */
  const places = new Map<Arm, number[]>(arms.map((arm) => [arm.name, []]));
  for (const arm of arms) await arm.run(-1); // warm every path once
  const loops = startBusyLoops(BUSY_LOOPS);
  try {
    for (let round = 0; round < PAIRS; round++) {
      // Rotate the order: each arm goes first equally often.
      const order = arms.map((_, i) => arms[(i + round) % arms.length]!);
      order.forEach((arm, place) => places.get(arm.name)!.push(place));
      for (const arm of order) runs.get(arm.name)!.push(await arm.run(round));
      process.stdout.write(`   round ${round + 1}/${PAIRS}: ${order.map((arm) => `${arm.name} ${runs.get(arm.name)!.at(-1)!.ttftMs.toFixed(0)} ms + ${runs.get(arm.name)!.at(-1)!.msPerToken.toFixed(1)} ms/token`).join(", ")}\n`);
    }
  } finally {
    await stopBusyLoops(loops);
  }
  const niceness = { process: threadNiceness(childPid), processNice0: reniced ? threadNiceness(reniced.pid) : undefined };
  for (const arm of arms) await arm.dispose();

  const summary = (list: Run[]) => ({
    ttftMsMedian: median(list.map((r) => r.ttftMs)),
    msPerTokenMedian: median(list.map((r) => r.msPerToken)),
    engineTtftMsMedian: median(list.map((r) => r.engineTtftMs ?? NaN)),
    engineTokensPerSecondMedian: median(list.map((r) => r.engineTokensPerSecond ?? NaN)),
    textMessagesMedian: median(list.map((r) => r.textMessages ?? NaN)),
    tokens: list[0]!.tokens,
  });
  /** Median of per-round ratios over inProcess, and the same balanced for the order (see orderBalanced). */
  const perRound = (arm: Arm, pick: (run: Run) => number) => {
    const mine = runs.get(arm)!;
    const base = runs.get("inProcess")!;
    const ratio = mine.map((run, i) => pick(run) / pick(base[i]!));
    const before = (i: number) => places.get(arm)![i]! < places.get("inProcess")![i]!;
    const whenFirst = median(ratio.filter((_, i) => before(i)));
    const whenSecond = median(ratio.filter((_, i) => !before(i)));
    return { median: median(ratio), whenFirst, whenSecond, orderBalanced: orderBalanced(whenFirst, whenSecond) };
  };
  const ratios = (arm: Arm) => ({ ttft: perRound(arm, (r) => r.ttftMs), timePerToken: perRound(arm, (r) => r.msPerToken) });
  const sameText = runs.get("process")!.every((run, i) => run.text === runs.get("inProcess")![i]!.text);
  return {
    settings: { model: MODEL_LABEL, threads: THREADS, contextSize: CONTEXT, flashAttention, gpu: "off", answerTokens: ANSWER_TOKENS, rounds: PAIRS, temperature: 0, busyLoops: BUSY_LOOPS },
    loadMs: { process: processLoadMs, inProcess: inProcessLoadMs },
    memory,
    roundTrip: { ...roundTrip, targetP50Ms: 1 },
    engineThreadsNiceness: niceness,
    renicedArm: reniced,
    summary: Object.fromEntries(arms.map((arm) => [arm.name, summary(runs.get(arm.name)!)])) as Partial<Record<Arm, ReturnType<typeof summary>>>,
    /** Medians of per-round ratios over inProcess (target ≤ 1.03 for process). */
    ratiosOverInProcess: Object.fromEntries(arms.filter((arm) => arm.name !== "inProcess").map((arm) => [arm.name, ratios(arm.name)])) as Partial<Record<Arm, ReturnType<typeof ratios>>>,
    sameAnswerOnBothHosts: sameText,
    runs: Object.fromEntries([...runs].map(([name, list]) => [name, list.map(({ text, ...rest }, i) => ({ ...rest, place: places.get(name)![i], textChars: text?.length }))])),
  };
}

/** node-llama-cpp alone in this process: its own model and context with the same settings. */
async function aloneArm(modelPath: string, flashAttention: boolean, ask: string) {
  const module = await importLlamaModule();
  const llama = await module.getLlama({ gpu: false, build: "never", logLevel: module.LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const context = await model.createContext({ contextSize: CONTEXT, threads: THREADS, flashAttention, sequences: 1 });
  const sequence = context.getSequence();
  const template = model.fileInfo.metadata?.tokenizer?.chat_template as string;
  const chat = new module.LlamaChat({ contextSequence: sequence, chatWrapper: new module.JinjaTemplateChatWrapper({ template, tokenizer: model.tokenizer }) });
  const run = async (round: number): Promise<Run> => {
    await sequence.clearHistory();
    const started = performance.now();
    let first: number | undefined;
    let tokens = 0;
    await chat.generateResponse(
      [{ type: "system", text: systemPrompt(round) }, { type: "user", text: ask }, { type: "model", response: [] }],
      {
        maxTokens: ANSWER_TOKENS,
        temperature: 0,
        onToken: (t) => {
          first ??= performance.now();
          tokens += t.length;
        },
      },
    );
    const ended = performance.now();
    return { ttftMs: (first ?? ended) - started, msPerToken: (ended - (first ?? ended)) / Math.max(1, tokens - 1), tokens };
  };
  const dispose = async () => {
    chat.dispose();
    await context.dispose();
    await model.dispose();
  };
  return { name: "nodeLlamaCpp" as const, run, dispose };
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

interface PageStats {
  streamMs: number;
  rafGaps: number[];
  loaf: { duration: number; scriptMs: number; blockingMs: number }[];
  rafMs: number[];
  own?: { longestFrameMs: number; framesOver50Ms: number; frames: number };
  codeBlocks: number;
  textLength: number;
}

interface FrameResult {
  renderMsP50: number;
  renderMsP95: number;
  renderMsMax: number;
  tokensPerSecond: number;
  tokens: number;
  streamMs: number;
  frames: number;
  longestFrameGapMs: number;
  p95FrameGapMs: number;
  framesOver50Ms: number;
  longAnimationFrames: number;
  longestAnimationFrameMs: number;
  longestScriptInLongFrameMs: number;
  viewReported?: PageStats["own"];
  codeBlocksRendered: number;
  renderedTextChars: number;
}

async function webviewBench(chunks: readonly string[], executablePath: string): Promise<FrameResult[]> {
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
    executablePath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--disable-background-networking"],
  });
  const results: FrameResult[] = [];
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
      const stats = await page.evaluate<PageStats>(
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
      );
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
  const pressureBefore = cpuPressure();
  console.log(`bench:chat — ${os.cpus().length} CPUs, CPU pressure before: ${pressureBefore ?? "n/a"}`);
  const modelPath = process.env.BENCH_MODEL || (await qwen25Coder05BShape());
  console.log(`model: ${path.basename(modelPath)} (${MODEL_LABEL}), ${THREADS} threads, context ${CONTEXT}`);

  const part = process.env.BENCH_CHAT_PART; // "engine" or "webview" runs only that part
  console.log(`\n1. Chat answer on both engine hosts, ${ANSWER_TOKENS} tokens, cold KV cache, ${PAIRS} interleaved rounds`);
  const engine = part === "webview" ? undefined : await engineBench(modelPath);
  if (engine) printEngine(engine);

  console.log("\n2. Webview rendering of a 2,000-token answer with code blocks");
  const browser = process.env.CHROMIUM || "/usr/bin/chromium";
  let frames: FrameResult[] = [];
  let webviewSkipped: string | undefined;
  if (part === "engine") webviewSkipped = "BENCH_CHAT_PART=engine";
  else if (!fs.existsSync(browser)) webviewSkipped = `no Chromium at ${browser} (set CHROMIUM)`;
  if (webviewSkipped) console.log(`   skipped: ${webviewSkipped}`);
  else frames = await webviewBench(await tokenChunks(modelPath, longAnswer(), 2000), browser);
  for (const r of frames) {
    console.log(
      `   ${String(r.tokensPerSecond).padStart(4)} tokens/s: ${r.frames} frames in ${r.streamMs} ms, longest frame gap ${r.longestFrameGapMs} ms (p95 ${r.p95FrameGapMs}), ` +
        `frames over 50 ms: ${r.framesOver50Ms}; render per frame p50 ${r.renderMsP50} ms, p95 ${r.renderMsP95} ms, max ${r.renderMsMax} ms;`,
        `\n                     long animation frames: ${r.longAnimationFrames} (longest ${r.longestAnimationFrameMs} ms, of which script at most ${r.longestScriptInLongFrameMs} ms), ${r.codeBlocksRendered} code blocks`,
    );
  }
  const pressureAfter = cpuPressure();
  console.log(`\nCPU pressure before / after: ${pressureBefore ?? "n/a"} / ${pressureAfter ?? "n/a"}`);
  const out = path.join(root, "bench", "out");
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, "chat.json"), JSON.stringify({ when: new Date().toISOString(), cpuPressure: { before: pressureBefore, after: pressureAfter }, engine, frames, webviewSkipped }, null, 2));
  console.log(`wrote ${path.relative(root, path.join(out, "chat.json"))}`);
}

function printEngine(engine: Awaited<ReturnType<typeof engineBench>>): void {
  const f0 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(0) : "–");
  const f1 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(1) : "–");
  const f3 = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v.toFixed(3) : "–");
  const row = (cells: string[]) => console.log(`   | ${cells[0]!.padEnd(16)} | ${cells.slice(1).map((c) => c.padEnd(14)).join(" | ")} |`);
  row(["", "first token ms", "ms per token", "÷ in-proc TTFT", "÷ in-proc /tok", "engine's TTFT", "engine's tok/s", "text msgs"]);
  const ratioText = (ratio: { median: number; orderBalanced: number } | undefined) => (ratio ? `${f3(ratio.median)} (${f3(ratio.orderBalanced)})` : "1");
  for (const [name, s] of Object.entries(engine.summary)) {
    if (!s) continue;
    const ratio = engine.ratiosOverInProcess[name as Arm];
    row([name, f0(s.ttftMsMedian), f1(s.msPerTokenMedian), ratioText(ratio?.ttft), ratioText(ratio?.timePerToken), f0(s.engineTtftMsMedian), f1(s.engineTokensPerSecondMedian), f0(s.textMessagesMedian)]);
  }
  console.log("   (medians; ratios: median of per-round ratios (order-balanced in brackets); target for process ≤ 1.03)");
  const m = engine.memory;
  const rt = engine.roundTrip;
  console.log(`   IPC round trip p50: laneFacts ${f3(rt.ms.laneFacts!.process.p50)} vs ${f3(rt.ms.laneFacts!.inProcess.p50)} ms in-process (+${f3(rt.addedP50Ms.laneFacts)} ms), tokenize +${f3(rt.addedP50Ms.tokenize)} ms (target ≤ 1 ms)`);
  console.log(`   VmRSS after load, process host: this process ${f1(m.processHost.parent.vmRssMiB)} MiB (before load ${f1(m.processHost.parentBeforeLoad.vmRssMiB)}), engine process ${f1(m.processHost.child.vmRssMiB)} MiB (anon ${f1(m.processHost.child.rssAnonMiB)}, file ${f1(m.processHost.child.rssFileMiB)})`);
  console.log(`   VmRSS of this process once the in-process host loaded too: ${f1(m.inProcessHost.parent?.vmRssMiB)} MiB`);
  console.log(`   .gguf mapped: engine process ${m.processHost.childModelMappings.ranges} range(s), ${f1(m.processHost.childModelMappings.mappedMiB)} of ${f1(m.processHost.childModelMappings.fileMiB)} MiB; this process ${m.processHost.parentModelMappings.areas} mappings before the in-process host loaded`);
  console.log(`   engine threads' niceness: ${JSON.stringify(engine.engineThreadsNiceness.process)}${engine.renicedArm ? `; processNice0 arm: ${JSON.stringify(engine.engineThreadsNiceness.processNice0)}` : ""}; same answer text on both hosts: ${engine.sameAnswerOnBothHosts}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
