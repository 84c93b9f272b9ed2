import * as assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { headerCheckEnabled, readModelInfo, UNSAFE_SKIP_HEADER_CHECK_ENV } from "../../src/models/modelInfo";
import { FAMILY_MODELS } from "../support/gguf/families";
import { GgmlType, GgufValue } from "../support/gguf/types";
import { str, strArray, u32, u32Array } from "../support/gguf/values";
import { writeGguf } from "../support/gguf/writer";
import {
  BadHyperparameterKind, badHyperparameterModel, familyModel, HUGE_ARRAY_KEY, hugeArrayModel, oversizedModel, tinyLoraAdapter, tinyModel,
} from "../support/models";
import { problemOf } from "../support/problems";


const CRASH = /; llama\.cpp would crash on it, so it is not loaded\. The file is damaged or not a real model\.$/;
const CANNOT = /; llama\.cpp would refuse it, so it is not loaded\. The file is damaged or not a real model\.$/;

/** What each generated file's refusal must say: the value and the key it came from. */
const EXPECTED: Readonly<Record<BadHyperparameterKind, RegExp>> = {
  blockCount0: /says it has 0 layers \(llama\.block_count\)/,
  blockCount600: /says it has 600 layers \(llama\.block_count\)/,
  headCount0: /says it has 0 attention heads \(llama\.attention\.head_count\)/,
  embeddingLength0: /says its embeddings are 0 wide \(llama\.embedding_length\)/,
  expertCount: /says it has 4,096 experts \(llama\.expert_count\)/,
  expertUsed: /says it routes each token to 8 experts \(llama\.expert_used_count\) but has only 4 \(llama\.expert_count\)/,
};

/** A header-only model: a llama's hyper-parameters, a vocabulary of `vocab` tokens and its token embedding. */
async function writeModel(path: string, edits: readonly (readonly [string, GgufValue | undefined])[], embedding: readonly number[] = [64, 10]): Promise<string> {
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", str("llama")],
    ["llama.context_length", u32(4096)],
    ["llama.embedding_length", u32(64)],
    ["llama.block_count", u32(2)],
    ["llama.feed_forward_length", u32(256)],
    ["llama.attention.head_count", u32(4)],
    ["llama.attention.head_count_kv", u32(2)],
    ["tokenizer.ggml.tokens", strArray(Array.from({ length: 10 }, (_, i) => `t${i}`))],
  ]);
  for (const [key, value] of edits) {
    if (value === undefined) metadata.delete(key);
    else metadata.set(key, value);
  }
  await writeGguf(path, { metadata, tensors: [{ name: "token_embd.weight", dims: embedding, type: GgmlType.F16, data: { kind: "constant", value: 0 } }] });
  return path;
}

describe("header check: hyper-parameters llama.cpp would abort on (modelInfo)", function () {
  this.timeout(120_000);
  let scratch: string;
  let saved: string | undefined;
  before(() => {
    scratch = mkdtempSync(join(tmpdir(), "slm-headercheck-"));
    saved = process.env[UNSAFE_SKIP_HEADER_CHECK_ENV];
    delete process.env[UNSAFE_SKIP_HEADER_CHECK_ENV];
  });
  afterEach(() => {
    delete process.env[UNSAFE_SKIP_HEADER_CHECK_ENV];
  });
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
    if (saved !== undefined) process.env[UNSAFE_SKIP_HEADER_CHECK_ENV] = saved;
  });

  for (const kind of Object.keys(EXPECTED) as BadHyperparameterKind[]) {
    it(`refuses ${kind}, naming the value and its key`, async () => {
      const path = await badHyperparameterModel(kind);
      const problem = await problemOf(readModelInfo(path));
      assert.equal(problem.code, "badHeader", problem.message);
      assert.ok(problem.message.startsWith(`The model file "${path}" says `), problem.message);
      assert.match(problem.message, EXPECTED[kind]);
      assert.match(problem.message, CRASH);
    });
  }

  it("refuses a 5,000,000-entry array before reading its entries", async () => {
    const path = await hugeArrayModel();
    const started = performance.now();
    const problem = await problemOf(readModelInfo(path));
    assert.equal(problem.code, "badHeader", problem.message);
    assert.match(problem.message, new RegExp(`says it has a list of 5,000,000 entries in its header \\(${HUGE_ARRAY_KEY.replace(/\./g, "\\.")}\\); reading it would run out of memory`));
    // Refused at the array's length, with the header's first megabyte read: not after 50 MB of entries.
    assert.ok(performance.now() - started < 2_000, `${performance.now() - started} ms`);
  });

  it("refuses a text over 1 MB in the header", async () => {
    const path = await writeModel(join(scratch, "long-text.gguf"), [["tokenizer.chat_template", str("x".repeat(2 * 1024 * 1024))]]);
    const problem = await problemOf(readModelInfo(path));
    assert.equal(problem.code, "badHeader");
    assert.match(problem.message, /says it has a text of 2 MB in its header \(tokenizer\.chat_template\)/);
  });

  it(`${UNSAFE_SKIP_HEADER_CHECK_ENV}=1 (test only) switches the hyper-parameter check off, not the size limits or the truncation checks`, async () => {
    process.env[UNSAFE_SKIP_HEADER_CHECK_ENV] = "1";
    assert.equal(headerCheckEnabled(), false);
    for (const kind of Object.keys(EXPECTED) as BadHyperparameterKind[]) {
      const info = await readModelInfo(await badHyperparameterModel(kind));
      assert.equal(info.architecture, "llama", kind);
    }
    assert.equal((await problemOf(readModelInfo(await hugeArrayModel()))).code, "badHeader");

    const cut = join(scratch, "cut.gguf");
    writeFileSync(cut, readFileSync(await badHyperparameterModel("blockCount600")).subarray(0, 5_000));
    assert.equal((await problemOf(readModelInfo(cut))).code, "truncated");
    const lying = join(scratch, "lying.gguf");
    writeFileSync(lying, readFileSync(await tinyModel()));
    const fd = openSync(lying, "r+");
    const count = Buffer.alloc(8);
    count.writeBigUInt64LE(2n ** 60n);
    writeSync(fd, count, 0, 8, 16);
    closeSync(fd);
    assert.equal((await problemOf(readModelInfo(lying))).code, "truncated");

    process.env[UNSAFE_SKIP_HEADER_CHECK_ENV] = "0";
    assert.equal(headerCheckEnabled(), true);
    assert.equal((await problemOf(readModelInfo(await badHyperparameterModel("blockCount600")))).code, "badHeader");
  });

  it("accepts every family model, the tiny model, a LoRA adapter and a 116-layer 8192-wide header", async () => {
    for (const family of FAMILY_MODELS) {
      const info = await readModelInfo(await familyModel(family.id));
      assert.equal(info.architecture, family.architecture, family.id);
    }
    assert.equal((await readModelInfo(await tinyModel())).architecture, "llama");
    assert.equal((await readModelInfo(await tinyLoraAdapter())).fileType, "adapter");
    assert.equal((await readModelInfo(await oversizedModel())).architecture, "llama");
  });

  it("checks key/value heads against heads, per layer when the file gives one per layer", async () => {
    const more = await problemOf(readModelInfo(await writeModel(join(scratch, "kv-more.gguf"), [["llama.attention.head_count_kv", u32(8)]])));
    assert.equal(more.code, "badHeader");
    assert.match(more.message, /says it has 8 key\/value heads \(llama\.attention\.head_count_kv\) but only 4 attention heads \(llama\.attention\.head_count\)/);
    const zero = await problemOf(readModelInfo(await writeModel(join(scratch, "kv-zero.gguf"), [["llama.attention.head_count_kv", u32(0)]])));
    assert.match(zero.message, /says it has 0 key\/value heads \(llama\.attention\.head_count_kv\)/);

    // DeciLM-style per-layer arrays: a layer without attention has 0 heads, a linear one 0 KV heads.
    const perLayer = await writeModel(join(scratch, "kv-per-layer.gguf"), [
      ["llama.attention.head_count", u32Array([4, 0])],
      ["llama.attention.head_count_kv", u32Array([0, 0])],
    ]);
    assert.equal((await readModelInfo(perLayer)).architecture, "llama");
    const layerOne = await problemOf(readModelInfo(await writeModel(join(scratch, "kv-layer1.gguf"), [["llama.attention.head_count_kv", u32Array([2, 6])]])));
    assert.match(layerOne.message, /says it has 6 key\/value heads in layer 1 \(llama\.attention\.head_count_kv\) but only 4 attention heads/);
    const noHeads = await problemOf(readModelInfo(await writeModel(join(scratch, "heads-none.gguf"), [["llama.attention.head_count", u32Array([0, 0])]])));
    assert.match(noHeads.message, /says it has 0 attention heads/);
  });

  it("checks the vocabulary and embedding width against the token embedding tensor", async () => {
    const vocab = await problemOf(readModelInfo(await writeModel(join(scratch, "vocab.gguf"), [], [64, 12])));
    assert.equal(vocab.code, "badHeader");
    assert.match(vocab.message, /says it has 10 tokens \(tokenizer\.ggml\.tokens\) but its token embedding tensor has 12/);
    assert.match(vocab.message, CANNOT);
    const width = await problemOf(readModelInfo(await writeModel(join(scratch, "width.gguf"), [], [32, 10])));
    assert.match(width.message, /says its embeddings are 64 wide \(llama\.embedding_length\) but its token embedding tensor is 32 wide/);
  });

  it("checks context length, feed-forward width, expert groups and RoPE scaling", async () => {
    const cases: [string, (readonly [string, GgufValue])[], RegExp][] = [
      ["context0", [["llama.context_length", u32(0)]], /trained on a context of 0 tokens \(llama\.context_length\)/],
      ["context-huge", [["llama.context_length", u32(2 ** 30)]], /trained on a context of 1,073,741,824 tokens/],
      ["ffn0", [["llama.feed_forward_length", u32(0)]], /its feed-forward layers are 0 wide \(llama\.feed_forward_length\)/],
      ["embd-huge", [["llama.embedding_length", u32(1_000_000)]], /its embeddings are 1,000,000 wide/],
      ["experts-unused", [["llama.expert_count", u32(8)], ["llama.expert_used_count", u32(0)]], /routes each token to none of its 8 experts/],
      ["groups", [["llama.expert_count", u32(8)], ["llama.expert_used_count", u32(2)], ["llama.expert_group_count", u32(3)], ["llama.expert_group_used_count", u32(1)]], /its 8 experts form 3 groups of which 1 are used/],
      ["rope", [["llama.rope.scaling.type", str("sideways")]], /its RoPE scaling is "sideways" \(llama\.rope\.scaling\.type\)/],
    ];
    for (const [name, edits, expected] of cases) {
      const problem = await problemOf(readModelInfo(await writeModel(join(scratch, `${name}.gguf`), edits)));
      assert.equal(problem.code, "badHeader", name);
      assert.match(problem.message, expected, name);
    }
  });

  it("accepts what real files of other kinds hold: absent keys, another architecture's keys, recurrent models, adapters", async () => {
    const absent = await writeModel(join(scratch, "absent.gguf"), [
      ["llama.attention.head_count_kv", undefined],
      ["llama.feed_forward_length", undefined],
      ["llama.context_length", undefined],
      ["qwen2.block_count", u32(0)],
    ]);
    assert.equal((await readModelInfo(absent)).architecture, "llama");
    // Mamba's conversions write head_count 0 and feed_forward_length 0.
    const mamba = await writeModel(join(scratch, "mamba.gguf"), [
      ["general.architecture", str("mamba")],
      ["mamba.embedding_length", u32(64)],
      ["mamba.block_count", u32(2)],
      ["mamba.attention.head_count", u32(0)],
      ["mamba.feed_forward_length", u32(0)],
    ]);
    assert.equal((await readModelInfo(mamba)).architecture, "mamba");
    const adapter = await writeModel(join(scratch, "adapter.gguf"), [["general.type", str("adapter")], ["llama.block_count", u32(0)]]);
    assert.equal((await readModelInfo(adapter)).fileType, "adapter");
  });
});
