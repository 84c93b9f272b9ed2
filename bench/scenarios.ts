/**
 * The completion scenarios users feel, through the real pipeline and engine (the process host),
 * with the peer (llama-server /infill, both layouts) measured on the same model, positions and
 * document state in the same run, the systems' order rotating at every position:
 *
 * - cold: the cursor moves to a new place (the start of a line that is about to be typed) and
 *   the user types at once, `coldKeys` keys 150 ms apart; each key cancels the request before
 *   it (as the editor does); measured: the last key's request. The peer gets one request for
 *   the same final text (its cache holds the previous place's prompt);
 * - warm: after a pause at the place (our idle warm-up has run), the next key;
 * - forward: `forwardKeys` more keys, each measured to its result (typing forward);
 * - return: back in a file visited before (after the next file's places), the next key there.
 *
 * Each system's request starts once every system's processes have stopped working (`quiet`): a
 * llama-server goes on working for up to a few hundred milliseconds after it answered, which, on
 * a shared 2-core machine, was measured as part of the next system's request (our first token
 * after a key took 218 ms p50 after --spm-infill's request, 55 ms after the default layout's).
 */
import type { Engine } from "../src/engine/api";
import { CompletionPipeline } from "../src/completion/pipeline";
import type { CompletionOutcome, CompletionRequest, CompletionSettings, RequestTimings } from "../src/completion/types";
import { infill, llamaVscodeShape, type InfillTiming, type PeerServer, type ServerLayout } from "./peer";

export type Scenario = "cold" | "warm" | "forward" | "return";
export const SCENARIOS: readonly Scenario[] = ["cold", "warm", "forward", "return"];
export type System = "ours" | ServerLayout;

export interface SourceFile {
  readonly path: string;
  readonly languageId: string;
  readonly lines: string[];
}

export interface ScenarioOptions {
  readonly engine: Engine;
  readonly servers: readonly PeerServer[];
  readonly files: readonly SourceFile[];
  readonly positionsPerFile: number;
  readonly coldKeys: number;
  readonly forwardKeys: number;
  readonly keyIntervalMs: number;
  readonly onSample?: (sample: Sample) => void;
  /** Before each system's request: waits until the others have stopped working (a fair start). */
  readonly quiet?: () => Promise<void>;
  /** After each place (its cold, warm and forward keys): e.g. the floor measured again. */
  readonly afterPlace?: () => Promise<void> | void;
}

export interface Sample {
  readonly scenario: Scenario;
  readonly system: System;
  readonly file: string;
  readonly line: number;
  readonly ms: number;
  readonly text: string;
  readonly promptTokens: number;
  readonly evaluatedTokens: number;
  readonly generatedTokens: number;
  /** Ours: mean time between generated tokens (for tokens per second). */
  readonly tokenGapMs?: number;
  /** Ours: where the time went (the pipeline's timings). */
  readonly timings?: RequestTimings;
  readonly outcome?: string;
}

const SETTINGS: CompletionSettings = {
  enabled: true, languages: [], multiline: "always", maxTokens: 64, maxTimeMs: 60_000, maxLineSuffix: 1000, debounceMs: 0,
};

/** Lines worth typing: ≥ 256 lines of prefix, 64 after, short code lines, spread over the file. */
export function pickLines(lines: readonly string[], count: number): number[] {
  const candidates: number[] = [];
  for (let i = 256; i < lines.length - 64; i++) {
    const text = lines[i]!.trim();
    if (text.length >= 10 && text.length <= 60 && !/^(\/\/|#|\*|\/\*)/.test(text)) candidates.push(i);
  }
  const step = Math.max(1, Math.floor(candidates.length / count));
  return candidates.filter((_, i) => i % step === Math.floor(step / 2)).slice(0, count);
}

interface Place {
  readonly file: SourceFile;
  readonly line: number;
  /** The document as the user has typed it so far (shared by every system). */
  readonly lines: string[];
  readonly target: string;
  typed: number;
}

export async function runScenarios(options: ScenarioOptions): Promise<Sample[]> {
  const pipeline = new CompletionPipeline({ engine: options.engine, settings: () => SETTINGS, log: () => undefined });
  const samples: Sample[] = [];
  const record = (sample: Sample) => {
    samples.push(sample);
    options.onSample?.(sample);
  };
  const systems: System[] = ["ours", ...options.servers.map((server) => server.layout)];
  const documents = new Map<string, string[]>();
  const lastPlace = new Map<string, Place>();
  let rotation = 0;
  const order = () => {
    const shift = rotation++ % systems.length;
    return [...systems.slice(shift), ...systems.slice(0, shift)];
  };

  /** One key at `place` on every system, in rotating order; `measure` false types without sampling. */
  const key = async (scenario: Scenario, place: Place) => {
    place.typed++;
    place.lines[place.line] = place.target.slice(0, place.typed);
    for (const system of order()) record(await ask(system, scenario, place));
  };
  const ask = async (system: System, scenario: Scenario, place: Place): Promise<Sample> => {
    await options.quiet?.();
    const at = { scenario, system, file: place.file.path, line: place.line + 1 };
    if (system === "ours") {
      const started = performance.now();
      const outcome = await pipeline.complete(requestAt(place));
      return { ...at, ms: performance.now() - started, ...fromOutcome(outcome) };
    }
    const server = options.servers.find((candidate) => candidate.layout === system)!;
    const timing: InfillTiming = await infill(server, llamaVscodeShape(place.lines, place.line, place.typed));
    return { ...at, ms: timing.ms, text: timing.text, promptTokens: timing.promptTokens, evaluatedTokens: timing.evaluatedTokens, generatedTokens: timing.generatedTokens };
  };

  const files = options.files;
  for (const [index, file] of files.entries()) {
    const lines = documents.get(file.path) ?? [...file.lines];
    documents.set(file.path, lines);
    for (const line of pickLines(file.lines, options.positionsPerFile)) {
      const target = file.lines[line]!;
      const indent = target.length - target.trimStart().length;
      lines[line] = target.slice(0, indent);
      const place: Place = { file, line, lines, target, typed: indent };

      // Cold: move and type at once. Ours: each key cancels the previous request; the last is measured.
      for (const system of order()) {
        place.typed = indent;
        lines[line] = target.slice(0, indent);
        if (system === "ours") {
          await options.quiet?.();
          for (let k = 1; k < options.coldKeys; k++) {
            place.typed++;
            lines[line] = target.slice(0, place.typed);
            const superseded = pipeline.complete(requestAt(place));
            await Promise.race([superseded, sleep(options.keyIntervalMs)]);
          }
          place.typed++;
          lines[line] = target.slice(0, place.typed);
          record(await ask("ours", "cold", place));
        } else {
          place.typed = indent + options.coldKeys;
          lines[line] = target.slice(0, place.typed);
          record(await ask(system, "cold", place));
        }
      }
      place.typed = indent + options.coldKeys;
      // Warm: a pause at the place (our idle warm-up), then the next key.
      await pipeline.warm(requestAt(place));
      await key("warm", place);
      // Typing forward.
      for (let k = 0; k < options.forwardKeys && place.typed < target.length; k++) {
        await key("forward", place);
        await sleep(options.keyIntervalMs);
      }
      lastPlace.set(file.path, place);
      await options.afterPlace?.();
    }
    // Return to the previous file, visited a minute ago (its last place), and type there.
    const previous = index > 0 ? lastPlace.get(files[index - 1]!.path) : undefined;
    if (previous && previous.typed < previous.target.length) await key("return", previous);
  }
  // And to the first file, visited several files ago.
  const first = lastPlace.get(files[0]!.path);
  if (first && files.length > 2 && first.typed < first.target.length) await key("return", first);
  return samples;
}

function requestAt(place: Place): CompletionRequest {
  const { lines } = place;
  return {
    documentKey: place.file.path, fileName: place.file.path, languageId: place.file.languageId,
    text: { lineCount: lines.length, lineAt: (n) => lines[n]! }, cursor: { line: place.line, character: place.typed }, eol: "\n", explicit: false,
  };
}

function fromOutcome(outcome: CompletionOutcome): Omit<Sample, "scenario" | "system" | "file" | "line" | "ms"> {
  const t = outcome.timings;
  return {
    text: outcome.kind === "suggestion" ? outcome.text : "",
    outcome: outcome.kind === "suggestion" ? (outcome.fromCache ? "cache" : "suggestion") : outcome.reason,
    promptTokens: t?.promptTokens ?? 0, evaluatedTokens: t?.evaluatedTokens ?? 0, generatedTokens: t?.generatedTokens ?? 0, tokenGapMs: t?.tokenGapMs, ...(t ? { timings: t } : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
