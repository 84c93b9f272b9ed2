import * as assert from "node:assert/strict";
import * as path from "node:path";
import { EndWatcher, postprocessCompletion, type PostprocessContext } from "../../src/completion/postprocess";
import { readGoldenCases, type GoldenCase } from "../support/goldenCases";

/** From out/test/unit to the sources' test/golden/postprocess. */
const GOLDEN_DIR = path.join(__dirname, "..", "..", "..", "test", "golden", "postprocess");
const cases = readGoldenCases(GOLDEN_DIR);

function shown(raw: string, ctx: PostprocessContext): string | undefined {
  const result = postprocessCompletion(raw, ctx);
  return result.text === "" ? undefined : result.text;
}

/** What the user sees when generation stops as soon as an end rule fires (the raw output streamed character by character). */
function shownWhenStreamed(c: GoldenCase): { text: string | undefined; rule?: string } {
  const watcher = new EndWatcher(c.ctx);
  for (const char of c.raw) {
    if (watcher.push(char)) break;
  }
  if (!watcher.rule) return { text: shown(c.raw, c.ctx) };
  return { text: shown(watcher.text, { ...c.ctx, cutOff: c.ctx.cutOff === true || watcher.rule === "repeatedLines" }), rule: watcher.rule };
}

describe("postprocess golden cases (test/golden/postprocess)", () => {
  it("has at least 150 cases in at least 8 languages", () => {
    assert.ok(cases.length >= 150, `${cases.length} cases`);
    const languages = new Set(cases.map((c) => c.languageId));
    assert.ok(languages.size >= 8, [...languages].join(", "));
  });

  for (const c of cases) {
    const expected = c.shown === undefined ? "dropped" : JSON.stringify(c.shown);
    it(`${c.file}: ${c.name}`, () => {
      assert.equal(shown(c.raw, c.ctx), c.shown, `expected ${expected}`);
      // Stopping generation the moment an end rule fires must show the same text.
      const streamed = shownWhenStreamed(c);
      assert.equal(streamed.text, c.shown, `streamed (stopped by ${streamed.rule ?? "nothing"}): expected ${expected}`);
    });
  }
});
