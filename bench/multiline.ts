/**
 * npm run bench:multiline
 *
 * What each multi-line policy costs and shows. At six typical places (after a signature with its
 * opener, after a signature without one, a Ruby `def` line, the end of a `key:` line, the middle
 * of a statement, an empty line in a body), a model that says a chosen, realistic text (the useful
 * part, then more code past it, as models write) runs through the real completion pipeline and
 * engine with `slm.completion.multiline` never, auto and always. The engine stops generating at a
 * line break for single-line positions, and as soon as an end rule decides the end otherwise.
 *
 * Reported per place and policy: tokens generated and the lines shown. The scripted model writes
 * one token per byte, so tokens here are bytes; a real code model writes about 3–4 characters per
 * token, so divide by that for its tokens, and multiply by its time per token (about 39 ms for
 * Qwen2.5-Coder-0.5B on 2 cores, README Speed) for the cost. Writes bench/out/multiline.json.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CompletionPipeline } from "../src/completion/pipeline";
import type { CompletionRequest, CompletionSettings } from "../src/completion/types";
import type { MultilineMode } from "../src/completion/postprocess";
import { readMachineFacts } from "../src/engine/settings";
import { scriptedModel } from "../test/support/models";
import { createLocalEngine } from "./hosts";

interface Place {
  readonly name: string;
  readonly languageId: string;
  /** The document, with `█` at the cursor. */
  readonly document: string;
  /** What the model writes there. */
  readonly output: string;
}

const PLACES: readonly Place[] = [
  {
    name: "after a signature with its opener",
    languageId: "typescript",
    document: "function area(r: number) {█\n",
    output: "\n  return Math.PI * r * r;\n}\n\nfunction perimeter(r: number) {\n  return 2 * Math.PI * r;\n}\n",
  },
  {
    name: "after a signature without its opener",
    languageId: "python",
    document: "def area(w, h)█\n",
    output: ":\n    return w * h\n\n\ndef perimeter(w, h):\n    return 2 * (w + h)\n",
  },
  {
    name: "end of a Ruby def line",
    languageId: "ruby",
    document: "def greet(name)█\n",
    output: "\n  puts \"Hello, #{name}\"\nend\n\ndef bye\n  puts \"bye\"\nend\n",
  },
  {
    name: "end of a key: line",
    languageId: "javascript",
    document: "const options = {\n  retries: █\n};\n",
    output: "3,\n  timeout: 1000,\n  verbose: false,\n};\n\nexport default options;\n",
  },
  {
    name: "middle of a statement",
    languageId: "typescript",
    document: "const total = █\n",
    output: "items.reduce((a, b) => a + b, 0);\nconsole.log(total);\nexport { total };\n",
  },
  {
    name: "empty line in a body",
    languageId: "go",
    document: "func area(w, h int) int {\n\t█\n",
    output: "return w * h\n}\n\nfunc perimeter(w, h int) int {\n\treturn 2 * (w + h)\n}\n",
  },
];

const POLICIES: readonly MultilineMode[] = ["never", "auto", "always"];

function requestAt(place: Place): CompletionRequest {
  const offset = place.document.indexOf("█");
  const text = place.document.replace("█", "");
  const before = text.slice(0, offset).split("\n");
  const lines = text.split("\n");
  return {
    documentKey: `file:///bench/${place.name}`,
    fileName: `place.${place.languageId}`,
    languageId: place.languageId,
    text: { lineCount: lines.length, lineAt: (n) => lines[n]! },
    cursor: { line: before.length - 1, character: before[before.length - 1]!.length },
    eol: "\n",
    explicit: true,
  };
}

async function main(): Promise<void> {
  const engine = createLocalEngine(readMachineFacts(), () => undefined);
  const rows: { place: string; policy: MultilineMode; generatedTokens: number; outputTokens: number; shownLines: number; shown: string }[] = [];
  try {
    for (const place of PLACES) {
      await engine.configure({ modelPath: await scriptedModel(place.output), threads: 1, contextSize: 2048, gpu: "off", flashAttention: true });
      for (const policy of POLICIES) {
        const settings: CompletionSettings = { enabled: true, languages: [], multiline: policy, maxTokens: 256, maxTimeMs: 30_000, maxLineSuffix: 8, debounceMs: 0 };
        const pipeline = new CompletionPipeline({ engine, settings: () => settings, log: () => undefined });
        const outcome = await pipeline.complete(requestAt(place));
        const shown = outcome.kind === "suggestion" ? outcome.text : "";
        rows.push({
          place: place.name,
          policy,
          generatedTokens: outcome.timings?.generatedTokens ?? 0,
          outputTokens: Buffer.byteLength(place.output),
          shownLines: shown ? shown.replace(/^\n/, "").split("\n").length : 0,
          shown,
        });
      }
    }
  } finally {
    await engine.dispose();
  }
  console.log("place | policy | tokens generated (of the model's whole text) | lines shown");
  for (const row of rows) console.log(`${row.place} | ${row.policy} | ${row.generatedTokens} (of ${row.outputTokens}) | ${row.shownLines}`);
  for (const policy of POLICIES) {
    const mine = rows.filter((r) => r.policy === policy);
    console.log(`${policy}: ${mine.reduce((s, r) => s + r.generatedTokens, 0)} tokens generated in all, ${mine.reduce((s, r) => s + r.shownLines, 0)} lines shown`);
  }
  fs.mkdirSync(path.join("bench", "out"), { recursive: true });
  fs.writeFileSync(path.join("bench", "out", "multiline.json"), JSON.stringify({ note: "scripted model: one token per byte", rows }, null, 2));
  console.log("\nwritten: bench/out/multiline.json");
}

void main();
