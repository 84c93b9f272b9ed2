// The next-edit prompt against Sweep Next-Edit's published format, as text and as the exact token
// sequence the engine sends, with Qwen2.5's real vocabulary (from the llama.cpp source bundle).
import * as assert from "node:assert/strict";
import { tokenizePieces } from "../../src/engine/local/fill";
import { EditHistory } from "../../src/nextEdit/history";
import { buildNextEditPrompt, cursorWindow, promptText } from "../../src/nextEdit/prompt";
import { qwen25VocabModel } from "../support/models";
import type { LlamaModel } from "../../src/engine/local/llamaRuntime";

const FILE = "file:///w/src/total.ts";
const BEFORE = [
  "export function total(items: number[], n: number): number {",
  "  let sum = 0;",
  "  for (let i = 0; i < n; i++) sum += items[i];",
  "  return sum;",
  "}",
];
const AFTER = [...BEFORE];
AFTER[0] = "export function total(items: number[], count: number): number {";

function renamedPrompt() {
  const history = new EditHistory();
  history.record(FILE, "src/total.ts", BEFORE.join("\n"), AFTER.join("\n"), 1000);
  return buildNextEditPrompt({
    path: "src/total.ts",
    lines: AFTER,
    cursorLine: 0,
    recent: history.recent(3),
    latest: history.latest(FILE),
    related: [{ path: "src/main.ts", text: 'import { total } from "./total";' }],
  });
}

/** The layout as the model card and Sweep's blog write it, with the model's own special token text. */
const PUBLISHED = [
  "<|file_sep|>src/main.ts",
  'import { total } from "./total";',
  "<|file_sep|>src/total.ts.diff",
  "original:",
  BEFORE[0],
  "updated:",
  AFTER[0],
  "<|file_sep|>original/src/total.ts",
  ...BEFORE,
  "<|file_sep|>current/src/total.ts",
  ...AFTER,
  "<|file_sep|>updated/src/total.ts",
  "",
].join("\n");

describe("next edit: the prompt in Sweep Next-Edit's format", () => {
  it("is a fixed 21-line window around the cursor, clamped to the file", () => {
    assert.deepEqual(cursorWindow(100, 50), { start: 40, end: 61 });
    assert.deepEqual(cursorWindow(100, 3), { start: 0, end: 14 });
    assert.deepEqual(cursorWindow(5, 4), { start: 0, end: 5 });
  });

  it("lays out related files, recent edits, original, current and an open updated block", () => {
    const prompt = renamedPrompt();
    assert.equal(promptText(prompt.pieces), PUBLISHED);
    assert.equal(prompt.originalWindow, BEFORE.join("\n"));
    assert.equal(prompt.currentWindow, AFTER.join("\n"));
  });

  it("rebuilds the window as it was before the latest edit when that edit changed the line count", () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const after = [...lines.slice(0, 20), "inserted a", "inserted b", ...lines.slice(20)];
    const history = new EditHistory();
    history.record(FILE, "src/total.ts", lines.join("\n"), after.join("\n"), 1);
    const prompt = buildNextEditPrompt({ path: "src/total.ts", lines: after, cursorLine: 25, recent: history.recent(3), latest: history.latest(FILE), related: [] });
    assert.deepEqual(prompt.window, { start: 15, end: 36 });
    assert.equal(prompt.currentWindow, after.slice(15, 36).join("\n"));
    // The same lines around the change, without the two inserted lines.
    assert.equal(prompt.originalWindow, lines.slice(15, 34).join("\n"));
  });

  describe("as tokens (Qwen2.5 vocabulary)", function () {
    this.timeout(120_000);
    let model: LlamaModel;
    let dispose: () => Promise<void>;

    before(async () => {
      const path = await qwen25VocabModel();
      const { getLlama } = await import("node-llama-cpp");
      const llama = await getLlama({ gpu: false, build: "never" });
      model = await llama.loadModel({ modelPath: path, vocabOnly: true });
      dispose = async () => {
        await model.dispose();
        await llama.dispose();
      };
    });
    after(async () => dispose?.());

    it("is exactly the published layout's token sequence, with <|file_sep|> as Qwen2.5's special token 151664", () => {
      const prompt = renamedPrompt();
      const sent = tokenizePieces(model, prompt.pieces);
      const published = model.tokenize(PUBLISHED, true);
      assert.deepEqual(sent, published);
      assert.deepEqual(model.tokenize("<|file_sep|>", true), [151664]);
      assert.equal(sent.filter((token) => token === 151664).length, 5);
    });

    it("keeps the text <|file_sep|> written in the user's code from becoming a block boundary", () => {
      const lines = ['const marker = "<|file_sep|>";', "marker.length;"];
      const prompt = buildNextEditPrompt({ path: "a.ts", lines, cursorLine: 0, recent: [], related: [] });
      const sent = tokenizePieces(model, prompt.pieces);
      // Only the three blocks' own separators are the special token.
      assert.equal(sent.filter((token) => token === 151664).length, 3);
      assert.notDeepEqual(sent, model.tokenize(promptText(prompt.pieces), true));
    });
  });
});
