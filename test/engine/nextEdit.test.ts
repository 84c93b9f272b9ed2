// The next-edit lane on both engine hosts, with models constructed to write a chosen window.
import * as assert from "node:assert/strict";
import * as os from "node:os";
import type { Engine } from "../../src/engine/api";
import { EditHistory } from "../../src/nextEdit/history";
import { DEFAULT_NEXT_EDIT_SETTINGS, NextEditPredictor, type NextEditQuery } from "../../src/nextEdit/predictor";
import { buildNextEditPrompt, NEXT_EDIT_STOP_TOKENS } from "../../src/nextEdit/prompt";
import { stripWindowTags, windowPiece } from "../support/gguf/windowScript";
import { scriptedModel, tinyModel, windowScriptModel } from "../support/models";
import { windowTokenTexts, withScriptPieces } from "../support/nextEditScript";
import { createTestEngine, HOSTS, infill, whenIdle } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };
const FILE = "file:///w/total.ts";
const BEFORE = ["function total(items, n) {", "  let sum = 0;", "  for (let i = 0; i < n; i++) sum += items[i];", "  return sum;", "}"];
const AFTER = [...BEFORE];
AFTER[0] = "function total(items, count) {";
const RENAMED_USE = AFTER.join("\n").replace("i < n;", "i < count;");

function renamed(): { history: EditHistory; query: NextEditQuery } {
  const history = new EditHistory();
  history.record(FILE, "total.ts", BEFORE.join("\n"), AFTER.join("\n"), Date.now());
  return { history, query: { file: FILE, path: "total.ts", lines: AFTER, cursor: { line: 0, character: 28 }, related: [] } };
}

for (const host of HOSTS) {
  describe(`next edit lane (${host})`, function () {
    this.timeout(180_000);
    let engine: Engine;
    let tiny: string;

    before(async () => {
      tiny = await tinyModel();
      engine = createTestEngine(host, { machine });
    });
    after(async () => engine.dispose());

    async function useNextEditModel(window: string): Promise<void> {
      await whenIdle(engine);
      await engine.configure({ modelPath: tiny, nextEditModelPath: await scriptedModel(`${window}\n`), nextEditPromptLookup: true, threads: 1, contextSize: 4096, gpu: "off", flashAttention: true });
    }

    it("is off until a next-edit model is chosen, and says how to choose one", async () => {
      await engine.configure({ modelPath: tiny, threads: 1, contextSize: 4096, gpu: "off", flashAttention: true });
      const { history, query } = renamed();
      const outcome = await new NextEditPredictor(engine, history, () => DEFAULT_NEXT_EDIT_SETTINGS).predict(query);
      assert.equal(outcome.kind, "error");
      assert.match((outcome as { message: string }).message, /No next-edit model is set.*slm\.nextEdit\.modelPath/);
      assert.equal(engine.state.lanes?.nextEdit, undefined);
    });

    it("proposes the renamed parameter's next use from the model's window, beside a working completion lane", async () => {
      await useNextEditModel(RENAMED_USE);
      assert.ok(engine.state.lanes?.nextEdit, "the next-edit lane has its model");
      const { history, query } = renamed();
      const outcome = await new NextEditPredictor(engine, history, () => DEFAULT_NEXT_EDIT_SETTINGS).predict(query);
      assert.equal(outcome.kind, "proposal", JSON.stringify(outcome));
      if (outcome.kind !== "proposal") return;
      assert.equal(outcome.proposal.kind, "jump");
      assert.deepEqual(outcome.proposal.edit, { range: { start: { line: 2, character: 22 }, end: { line: 2, character: 23 } }, text: "count", removed: "n" });
      assert.ok(outcome.result.generatedTokens < DEFAULT_NEXT_EDIT_SETTINGS.maxTokens, "the model ended the window itself");
      assert.ok(outcome.result.promptTokens > 40, `prompt of ${outcome.result.promptTokens} tokens`);
      assert.ok(outcome.result.draftTokens, "prompt-lookup decoding reports its drafts");
      // The completion lane runs its own model on its own sequence.
      const completion = await infill(engine, "const x = ", ";", 4);
      assert.equal(completion.promptTokens > 0, true);
    });

    it("drafts the copied window from the prompt and accepts the drafts in runs (the node-llama-cpp patch)", async () => {
      // A model writing the window token by token as Qwen2.5 tokenizes it, and a prompt whose
      // current window holds those tokens where it matches: what a real next-edit model copies.
      const segments = await windowTokenTexts(`${RENAMED_USE}\n`);
      const pieces = segments.map((text, i) => windowPiece(text, i));
      await whenIdle(engine);
      await engine.configure({ modelPath: tiny, nextEditModelPath: await windowScriptModel("test", pieces), nextEditPromptLookup: true, threads: 1, contextSize: 4096, gpu: "off", flashAttention: true });
      const { history, query } = renamed();
      const prompt = buildNextEditPrompt({ path: query.path, lines: query.lines, cursorLine: query.cursor.line, recent: history.recent(3), latest: history.latest(FILE), related: [] });
      const result = await engine.fill({
        lane: "nextEdit", pieces: withScriptPieces(prompt.pieces, prompt.currentWindow, segments, pieces), maxTokens: 256, maxTimeMs: 60_000,
        stopTokens: NEXT_EDIT_STOP_TOKENS, stopStrings: [], stopAtNewline: false,
      });
      assert.equal(stripWindowTags(result.text), `${RENAMED_USE}\n`);
      // Unpatched, node-llama-cpp 3.22.1 refuted every draft token after a batch's first, so at
      // most one token in two came from a draft (patches/node-llama-cpp+3.22.1.patch).
      const drafts = result.draftTokens;
      assert.ok(drafts && drafts.accepted > result.generatedTokens / 2, `drafts ${JSON.stringify(drafts)} of ${result.generatedTokens} generated tokens`);
    });

    it("drops a window that changes nothing, and one that undoes the last edit", async () => {
      await useNextEditModel(AFTER.join("\n"));
      let { history, query } = renamed();
      const same = await new NextEditPredictor(engine, history, () => DEFAULT_NEXT_EDIT_SETTINGS).predict(query);
      assert.equal(same.kind === "none" && same.reason, "noChange", JSON.stringify(same));

      await useNextEditModel(BEFORE.join("\n"));
      ({ history, query } = renamed());
      const undo = await new NextEditPredictor(engine, history, () => DEFAULT_NEXT_EDIT_SETTINGS).predict(query);
      assert.equal(undo.kind === "none" && undo.reason, "undoesLastEdit", JSON.stringify(undo));
    });

    it("drops a window cut off by the token budget, and a request overtaken by a newer one is cancelled", async () => {
      await useNextEditModel(RENAMED_USE);
      const { history, query } = renamed();
      const short = await new NextEditPredictor(engine, history, () => ({ ...DEFAULT_NEXT_EDIT_SETTINGS, maxTokens: 5 })).predict(query);
      assert.equal(short.kind === "none" && short.reason, "unparsable", JSON.stringify(short));

      const predictor = new NextEditPredictor(engine, history, () => DEFAULT_NEXT_EDIT_SETTINGS);
      const first = predictor.predict(query);
      const second = predictor.predict(query);
      assert.equal((await first).kind, "cancelled");
      assert.equal((await second).kind, "proposal");
    });
  });
}
