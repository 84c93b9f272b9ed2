/**
 * npm run bench:nextedit
 *
 * Time from the pause to the shown next-edit proposal, with cost-faithful scripted models of
 * Sweep Next-Edit's two shapes (Qwen2.5-Coder-0.5B and -1.5B: exact layer counts, widths and the
 * real 151,936-token vocabulary, zero layer weights, Q8_0; a bigram head writing a realistic
 * predicted window, then <|endoftext|>; see test/support/gguf/windowScript.ts). Every token costs
 * what it costs in the real model; the output is a real window, parsed and diffed as in the editor.
 *
 * The scene: a 60-line TypeScript file where a parameter was just renamed; the model's window
 * (21 lines around the cursor) carries the rename to its next use. Each request after the pause
 * has a new latest edit (a different earlier edit in the history), so the prompt differs from the
 * previous one from the edit blocks on, as it does between two pauses: the KV cache keeps only the
 * related files before them ("warm"). The first request of each configuration (cold) is reported
 * apart.
 *
 * Prompt-lookup decoding off and on, at each draft length in BENCH_DRAFT_TOKENS (default "8,16,32":
 * the most tokens drafted at once): one engine per configuration, all holding the same model
 * (weights mapped once); requests rotate between them, the order shifting every round. The
 * current window's unchanged parts are written in the prompt with the model's own pieces, so the
 * lookup finds the output in the prompt as it finds a real model's copied tokens.
 *
 * Settings (in the JSON): threads 2 (BENCH_THREADS), context 4096, CPU only, flash attention on,
 * BENCH_ROUNDS (default 6) requests per configuration, BENCH_SHAPES (default "0.5B,1.5B").
 * Writes the models once (~0.7 GB and ~1.9 GB, cached outside the repository). Run it with
 * `nice -n 10`; on a shared machine compare only within one run. Prints a table and writes
 * bench/out/nextedit.json.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Engine, FillResult } from "../src/engine/api";
import { LocalEngine } from "../src/engine/local/localEngine";
import { DEFAULT_DRAFT_TOKENS } from "../src/engine/settings";
import { EditHistory } from "../src/nextEdit/history";
import { buildNextEditPrompt, NEXT_EDIT_STOP_TOKENS } from "../src/nextEdit/prompt";
import { interpretPrediction } from "../src/nextEdit/proposal";
import { stripWindowTags, windowPiece } from "../test/support/gguf/windowScript";
import { windowTokenTexts, withScriptPieces } from "../test/support/nextEditScript";
import { windowScriptModel } from "../test/support/models";
import { cpuPressure, median, percentile } from "./hosts";

const THREADS = Number(process.env.BENCH_THREADS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
const SHAPES = (process.env.BENCH_SHAPES ?? "0.5B,1.5B").split(",").map((s) => s.trim()) as ("0.5B" | "1.5B")[];
const DRAFTS = (process.env.BENCH_DRAFT_TOKENS ?? "8,16,32").split(",").map(Number);
const FILE = "file:///bench/src/cart.ts";
const PATH = "src/cart.ts";

/** A realistic file: the parameter `items` of `subtotal` was renamed to `lines` on line 20. */
function scene(): { before: string[]; after: string[]; predicted: string[]; cursorLine: number } {
  const before: string[] = [
    'import { formatMoney, roundCents } from "./money";',
    'import type { Discount, LineItem, TaxRule } from "./types";',
    "",
    "export interface CartTotals {",
    "  readonly subtotal: number;",
    "  readonly discount: number;",
    "  readonly tax: number;",
    "  readonly total: number;",
    "}",
    "",
    "const FREE_SHIPPING_FROM = 50;",
    "const SHIPPING_FLAT = 4.95;",
    "",
    "/** The cart's totals, in the currency's smallest unit rounded once at the end. */",
    "export function cartTotals(items: readonly LineItem[], discounts: readonly Discount[], tax: TaxRule): CartTotals {",
    "  const sub = subtotal(items);",
    "  const off = discountFor(sub, discounts);",
    "  return { subtotal: sub, discount: off, tax: taxOn(sub - off, tax), total: sub - off + taxOn(sub - off, tax) + shipping(sub - off) };",
    "}",
    "",
    "export function subtotal(items: readonly LineItem[]): number {",
    "  let sum = 0;",
    "  for (const item of items) {",
    "    if (item.quantity <= 0) continue;",
    "    sum += item.unitPrice * item.quantity;",
    "  }",
    "  return roundCents(sum);",
    "}",
    "",
    "function discountFor(amount: number, discounts: readonly Discount[]): number {",
    "  let best = 0;",
    "  for (const discount of discounts) {",
    '    const value = discount.kind === "percent" ? (amount * discount.value) / 100 : discount.value;',
    "    if (value > best && amount >= discount.minimum) best = value;",
    "  }",
    "  return Math.min(best, amount);",
    "}",
    "",
    "function taxOn(amount: number, rule: TaxRule): number {",
    "  return rule.included ? 0 : roundCents((amount * rule.rate) / 100);",
    "}",
    "",
    "function shipping(amount: number): number {",
    "  return amount >= FREE_SHIPPING_FROM ? 0 : SHIPPING_FLAT;",
    "}",
    "",
    "export function describeTotals(totals: CartTotals): string {",
    "  const parts = [`Subtotal ${formatMoney(totals.subtotal)}`];",
    "  if (totals.discount > 0) parts.push(`Discount −${formatMoney(totals.discount)}`);",
    "  if (totals.tax > 0) parts.push(`Tax ${formatMoney(totals.tax)}`);",
    "  parts.push(`Total ${formatMoney(totals.total)}`);",
    '  return parts.join(" · ");',
    "}",
  ];
  const after = [...before];
  after[20] = "export function subtotal(lines: readonly LineItem[]): number {";
  const predicted = [...after];
  predicted[22] = "  for (const item of lines) {";
  return { before, after, predicted, cursorLine: 20 };
}

/** One engine configuration: prompt lookup off, or on with a draft length. */
interface Config {
  readonly label: string;
  readonly draftTokens?: number;
}
const CONFIGS: readonly Config[] = [{ label: "off" }, ...DRAFTS.map((draftTokens) => ({ label: `lookup ${draftTokens}`, draftTokens }))];

interface Sample {
  readonly config: string;
  readonly round: number;
  readonly ms: number;
  readonly shown: boolean;
  readonly result: FillResult;
}

async function main(): Promise<void> {
  const pressureBefore = cpuPressure();
  console.log(`bench:nextedit: ${os.cpus().length} CPUs, threads ${THREADS}, CPU pressure before: ${pressureBefore ?? "n/a"}`);
  const { before, after, predicted, cursorLine } = scene();
  const window = { start: Math.max(0, cursorLine - 10), end: Math.min(after.length, cursorLine + 11) };
  const segments = await windowTokenTexts(predicted.slice(window.start, window.end).join("\n") + "\n");
  const pieces = segments.map((text, i) => windowPiece(text, i));
  const results: Record<string, unknown> = {};
  for (const shape of SHAPES) {
    const written = performance.now();
    const model = await windowScriptModel(shape, pieces);
    console.log(`${shape}: model ${model} ready in ${((performance.now() - written) / 1000).toFixed(1)} s (${segments.length} pieces)`);
    const engines = new Map<string, Engine>();
    const samples: Sample[] = [];
    try {
      for (const config of CONFIGS) engines.set(config.label, await engineFor(model, config.draftTokens));
      for (let round = 0; round < ROUNDS; round++) {
        // The order rotates by round, so no configuration always follows the same one.
        const order = CONFIGS.map((_, i) => CONFIGS[(i + round) % CONFIGS.length]!);
        for (const config of order) {
          const sample = await request(engines.get(config.label)!, { before, after, cursorLine, window, pieces, segments, round });
          samples.push({ ...sample, config: config.label, round });
          console.log(`${shape} round ${round} ${config.label}: ${sample.ms.toFixed(0)} ms, ${sample.shown ? "proposal shown" : "NOTHING SHOWN"}, prompt ${sample.result.promptTokens} (evaluated ${sample.result.evaluatedTokens} in ${sample.result.evalMs.toFixed(0)} ms), generated ${sample.result.generatedTokens} in ${sample.result.generateMs.toFixed(0)} ms${sample.result.draftTokens ? `, drafts accepted ${sample.result.draftTokens.accepted} refuted ${sample.result.draftTokens.refuted}` : ""}`);
        }
      }
    } finally {
      for (const engine of engines.values()) await engine.dispose();
    }
    results[shape] = summarize(samples);
  }
  const out = { settings: { threads: THREADS, rounds: ROUNDS, contextSize: 4096, gpu: "off", shapes: SHAPES, pieces: segments.length, draftTokens: DRAFTS, defaultDraftTokens: DEFAULT_DRAFT_TOKENS }, results, cpuPressure: { before: pressureBefore, after: cpuPressure() }, cpus: os.cpus().length };
  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "nextedit.json"), JSON.stringify(out, null, 2));
  console.log(JSON.stringify(results, null, 2));
  console.log(`CPU pressure before / after: ${pressureBefore ?? "?"} / ${out.cpuPressure.after ?? "?"}; wrote bench/out/nextedit.json`);
}

async function engineFor(modelPath: string, draftTokens: number | undefined): Promise<Engine> {
  const engine = new LocalEngine({ machine: { logicalCores: os.cpus().length, physicalCores: THREADS, homeDir: os.homedir() }, log: () => undefined });
  const lookup = draftTokens === undefined ? { nextEditPromptLookup: false } : { nextEditPromptLookup: true, nextEditDraftTokens: draftTokens };
  await engine.configure({ modelPath: "", nextEditModelPath: modelPath, ...lookup, threads: THREADS, contextSize: 4096, gpu: "off", flashAttention: true });
  if (engine.state.kind !== "ready") throw new Error(`the engine did not load ${modelPath}: ${engine.state.error?.message ?? engine.state.kind}`);
  return engine;
}

interface Scene {
  readonly before: string[];
  readonly after: string[];
  readonly cursorLine: number;
  readonly window: { start: number; end: number };
  readonly pieces: string[];
  readonly segments: string[];
  readonly round: number;
}

/** One pause: history → prompt → engine → parse and diff, timed from the pause to the proposal. */
async function request(engine: Engine, s: Scene): Promise<{ ms: number; shown: boolean; result: FillResult }> {
  const history = new EditHistory();
  const t0 = Date.now() - 60_000;
  // An earlier edit elsewhere, different every round: the prompt changes from the edit blocks on.
  const earlier = [...s.before];
  earlier[47] = `  const parts = [\`Subtotal ${"#".repeat(s.round + 1)} \${formatMoney(totals.subtotal)}\`];`;
  history.record(FILE, PATH, s.before.join("\n"), earlier.join("\n"), t0);
  const current = [...s.after];
  current[47] = earlier[47]!;
  const renamedFrom = [...earlier];
  history.record(FILE, PATH, renamedFrom.join("\n"), current.join("\n"), t0 + 40_000);
  const started = performance.now();
  const prompt = buildNextEditPrompt({
    path: PATH,
    lines: current,
    cursorLine: s.cursorLine,
    recent: history.recent(3),
    latest: history.latest(FILE),
    related: [{ path: "src/types.ts", text: TYPES }],
  });
  const result = await engine.fill({
    lane: "nextEdit",
    pieces: withScriptPieces(prompt.pieces, prompt.currentWindow, s.segments, s.pieces),
    maxTokens: 768,
    // No time cap: the benchmark measures the whole window however slow the machine is.
    maxTimeMs: 3_600_000,
    stopTokens: NEXT_EDIT_STOP_TOKENS,
    stopStrings: [],
    stopAtNewline: false,
  });
  const interpretation = interpretPrediction({
    output: stripWindowTags(result.text),
    complete: result.generatedTokens < 768,
    window: prompt.window,
    currentWindow: prompt.currentWindow,
    originalWindow: prompt.originalWindow,
    cursor: { line: s.cursorLine, character: 30 },
  });
  return { ms: performance.now() - started, shown: "proposal" in interpretation, result };
}

function summarize(samples: readonly Sample[]): Record<string, unknown> {
  const of = (config: string) => {
    const all = samples.filter((s) => s.config === config);
    const warm = all.slice(1);
    const ms = warm.map((s) => s.ms);
    return {
      coldMs: round(all[0]?.ms ?? NaN),
      warmP50Ms: round(median(ms)),
      warmP95Ms: round(percentile(ms, 95)),
      shown: `${all.filter((s) => s.shown).length}/${all.length}`,
      promptTokens: all[0]?.result.promptTokens,
      evaluatedTokensWarmMedian: median(warm.map((s) => s.result.evaluatedTokens)),
      generatedTokens: all[0]?.result.generatedTokens,
      generateMsWarmMedian: round(median(warm.map((s) => s.result.generateMs))),
      evalMsWarmMedian: round(median(warm.map((s) => s.result.evalMs))),
      draftTokens: all.at(-1)?.result.draftTokens,
    };
  };
  const off = of("off");
  const configs: Record<string, unknown> = { off };
  for (const config of CONFIGS.slice(1)) {
    const on = of(config.label);
    configs[config.label] = { ...on, speedUpWarmP50: round(off.warmP50Ms / on.warmP50Ms, 2), generationSpeedUp: round(off.generateMsWarmMedian / on.generateMsWarmMedian, 2) };
  }
  return configs;
}

function round(value: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const TYPES = [
  "export interface LineItem {",
  "  readonly sku: string;",
  "  readonly unitPrice: number;",
  "  readonly quantity: number;",
  "}",
  "",
  'export type Discount = { readonly kind: "percent" | "amount"; readonly value: number; readonly minimum: number };',
  "export interface TaxRule {",
  "  readonly rate: number;",
  "  readonly included: boolean;",
  "}",
].join("\n");

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
