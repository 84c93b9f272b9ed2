// A 10 MB single-line document (a minified bundle): what a suggestion costs the extension host.
import * as assert from "node:assert/strict";
import * as os from "node:os";
import { clipLongLines, MAX_LINE_CHARS } from "../../src/completion/clip";
import { CompletionPipeline } from "../../src/completion/pipeline";
import type { CompletionRequest, RequestTimings } from "../../src/completion/types";
import { scriptedModel } from "../support/models";
import { createTestEngine } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

function hostMs(timings: RequestTimings | undefined): number {
  assert.ok(timings, "the outcome has timings");
  return timings.totalMs - timings.queueMs - timings.evalMs - timings.generateMs;
}

describe("completion in a 10 MB single-line document (real engine, inProcess)", function () {
  this.timeout(120_000);

  it("reads at most MAX_LINE_CHARS of the line and suggests; host time per suggestion printed", async () => {
    // Generated minified JavaScript: one line, 10 MB, with surrogate pairs sprinkled in.
    const unit = "var a𝒜=function(b){return b*2+1},c=[1,2,3].map(a𝒜);";
    const line = unit.repeat(Math.ceil(10_000_000 / unit.length));
    const engine = createTestEngine("inProcess", { machine });
    try {
      await engine.configure({ modelPath: await scriptedModel("x=1;"), threads: 1, contextSize: 4096, gpu: "off", flashAttention: true });
      assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
      const pipeline = new CompletionPipeline({
        engine,
        settings: () => ({ enabled: true, languages: [], multiline: "never", maxTokens: 8, maxTimeMs: 10_000, maxLineSuffix: 8, debounceMs: 0 }),
        log: () => undefined,
      });
      let longestRead = 0;
      const request = (character: number, clip: boolean): CompletionRequest => {
        const raw: CompletionRequest = {
          documentKey: `file:///bundle.min.js#${clip}`,
          fileName: "bundle.min.js",
          languageId: "javascript",
          text: { lineCount: 1, lineAt: () => line },
          cursor: { line: 0, character },
          eol: "\n",
          explicit: true,
        };
        if (!clip) return raw;
        const clipped = clipLongLines(raw);
        return { ...clipped, text: { lineCount: 1, lineAt: (n) => { const text = clipped.text.lineAt(n); longestRead = Math.max(longestRead, text.length); return text; } } };
      };
      const measure = async (clip: boolean): Promise<number[]> => {
        const times: number[] = [];
        // Typing forward in the middle of the line, then a jump elsewhere.
        for (const character of [5_000_000, 5_000_001, 5_000_002, 5_000_003, 9_999_000]) {
          const outcome = await pipeline.complete(request(character, clip), new AbortController().signal);
          assert.notEqual(outcome.kind === "dropped" ? outcome.reason : "", "error", JSON.stringify(outcome));
          times.push(hostMs(outcome.timings));
        }
        return times;
      };
      const raw = await measure(false);
      const clipped = await measure(true);
      const fmt = (times: number[]) => times.map((ms) => ms.toFixed(1)).join(", ");
      console.log(`      host time per suggestion (ms), whole 10 MB line: ${fmt(raw)}`);
      console.log(`      host time per suggestion (ms), clipped to ${MAX_LINE_CHARS} chars: ${fmt(clipped)}`);
      assert.ok(longestRead <= MAX_LINE_CHARS, `read a ${longestRead}-character line`);
    } finally {
      await engine.dispose();
    }
  });
});
