import * as assert from "node:assert/strict";
import * as os from "node:os";
import type { Engine, FillResult } from "../../src/engine/api";
import { buildFimPrompt } from "../../src/completion/prompt/fimPrompt";
import { tinyModel, tinyModelAtTrickyPath } from "../support/models";
import { createTestEngine, HOSTS, whenIdle } from "./hosts";

const machine = { logicalCores: os.availableParallelism(), physicalCores: 1, homeDir: os.homedir() };

/** A file's text around a place: each file is different from its first line, as real files are. */
function fileText(name: string): { prefix: string; suffix: string } {
  const lines = Array.from({ length: 120 }, (_, i) => `export const ${name}Value${i} = ${name}Compute(${i}, "${name}");`);
  return { prefix: `${lines.slice(0, 100).join("\n")}\n`, suffix: `\n${lines.slice(100).join("\n")}` };
}

/** A fill for `name`'s place, tagged with the file as its state key, as the completion pipeline sends it. */
async function fillAt(engine: Engine, name: string, maxTokens = 2): Promise<FillResult> {
  const facts = await engine.laneFacts("completion");
  const format = facts.fim.format!;
  const prompt = buildFimPrompt(format, fileText(name), { includeBos: true });
  return engine.fill({
    pieces: prompt.pieces, maxTokens, maxTimeMs: 10_000, stopTokens: prompt.stopTokens, stopStrings: prompt.stopStrings,
    stopAtNewline: false, stateKey: `file:///${name}.ts`,
  });
}

for (const host of HOSTS) describe(`completion KV states (${host})`, function () {
  this.timeout(120_000);
  let engine: Engine;
  /** The tiny model's KV cache at 4096 tokens is about 1 MiB per sequence. */
  const configure = async (modelPath: string, completionStatesMiB: number) => {
    await whenIdle(engine);
    await engine.configure({ modelPath, threads: 1, contextSize: 4096, gpu: "off", flashAttention: true, completionStatesMiB });
    assert.equal(engine.state.kind, "ready", JSON.stringify(engine.state.error));
  };

  before(() => {
    engine = createTestEngine(host, { machine });
  });
  after(() => engine.dispose());

  it("going back to a file visited before finds its prompt still evaluated", async () => {
    await configure(await tinyModel(), 8);
    assert.ok((await engine.laneFacts("completion")).kvStates! >= 3, "several states within 8 MiB");
    const first = await fillAt(engine, "alpha");
    assert.ok(first.evaluatedTokens > 500, `a new place evaluates its prompt: ${first.evaluatedTokens}`);
    const other = await fillAt(engine, "beta");
    assert.equal(other.stateUse, "new");
    assert.ok(other.evaluatedTokens > 500);
    const back = await fillAt(engine, "alpha");
    assert.equal(back.stateUse, "continued");
    assert.ok(back.evaluatedTokens <= 1, `the return evaluates ${back.evaluatedTokens} of ${back.promptTokens} tokens`);
    assert.equal(back.text, first.text, "the same place gives the same answer");
    const chat = await engine.laneFacts("chat");
    assert.equal(chat.kvStates, 1);
  });

  it("keeps as many states as the memory budget allows and evicts the least recently used", async () => {
    await configure(await tinyModel(), 2);
    assert.equal((await engine.laneFacts("completion")).kvStates, 2);
    await fillAt(engine, "alpha");
    await fillAt(engine, "beta");
    const third = await fillAt(engine, "gamma");
    assert.equal(third.stateUse, "evicted");
    const beta = await fillAt(engine, "beta");
    assert.ok(beta.evaluatedTokens <= 1, `beta was kept: ${beta.evaluatedTokens} evaluated`);
    const alpha = await fillAt(engine, "alpha");
    assert.equal(alpha.stateUse, "evicted");
    assert.ok(alpha.evaluatedTokens > 500, `alpha was evicted: ${alpha.evaluatedTokens} evaluated`);

    await configure(await tinyModel(), 0);
    assert.equal((await engine.laneFacts("completion")).kvStates, 1, "a budget of 0 keeps one state");
  });

  it("a model change clears the states", async () => {
    await configure(await tinyModel(), 8);
    await fillAt(engine, "alpha");
    assert.ok((await fillAt(engine, "alpha")).evaluatedTokens <= 1);
    await configure(await tinyModelAtTrickyPath(), 8);
    const onOther = await fillAt(engine, "alpha");
    assert.ok(onOther.evaluatedTokens > 500, `the other model starts empty: ${onOther.evaluatedTokens}`);
    await configure(await tinyModel(), 8);
    const back = await fillAt(engine, "alpha");
    assert.ok(back.evaluatedTokens > 500, `back on the first model, nothing is left from before: ${back.evaluatedTokens}`);
    assert.notEqual(back.stateUse, "continued");
  });
});
