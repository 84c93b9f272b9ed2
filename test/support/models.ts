// Generated GGUF models for tests and benchmarks. Model weights cannot be downloaded here, so
// every model is written by test/support/gguf and cached outside the repository by a hash of
// what produced it; repeated runs reuse the files.
import { copyFile, open, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { cachedFile, cacheKey, modelCacheDir } from "./gguf/cache";
import { qwenChatTemplate } from "./gguf/chatTemplate";
import { FAMILY_MODELS, FamilyId, specFingerprint } from "./gguf/families";
import { llamaSourceCommit } from "./gguf/llamaSource";
import { ScriptMode, scriptedModelSpec } from "./gguf/scripted";
import { costFaithfulSpec } from "./gguf/costFaithful";
import {
  OVERSIZED_SHAPE, oversizedModelSpec, QWEN25_CODER_05B_SHAPE, QWEN25_CODER_15B_SHAPE, qwen25Coder05BSpec, qwen25VocabModelSpec, TINY_SHAPE, tinyModelSpec,
  UNKNOWN_ARCHITECTURE, unknownArchitectureSpec,
} from "./gguf/shapes";
import { loraAdapterSpec } from "./gguf/lora";
import { windowScriptSpec } from "./gguf/windowScript";
import { GgufModelSpec, GgufValue } from "./gguf/types";
import { strArray, u32 } from "./gguf/values";
import { writeGguf } from "./gguf/writer";

export { modelCacheDir };

export interface ScriptedModelOptions {
  /** "completion" ends the text with <|endoftext|>, "chat" with <|im_end|>. Default "completion". */
  readonly mode?: ScriptMode;
}

/**
 * A few-MB llama (2 layers, 64 wide, random weights) with a 4,009-token cut of Qwen2's byte-level
 * BPE vocabulary that tokenizes any text, Qwen2.5-Coder's special, FIM and ChatML tokens and
 * its chat template, and a 4096-token context. For unit, engine and editor tests.
 */
export function tinyModel(): Promise<string> {
  return cachedModel("tiny", { shape: TINY_SHAPE }, (path) => writeGguf(path, tinyModelSpec()));
}

/** The tiny model again, at `<cache>/dir with spaces/modèle ünï-<hash>.gguf`, for path-handling tests. */
export async function tinyModelAtTrickyPath(): Promise<string> {
  const source = await tinyModel();
  const path = join(modelCacheDir(), "dir with spaces", `modèle ünï-${sourceKey({ shape: TINY_SHAPE })}.gguf`);
  return cachedFile(path, (temporary) => copyFile(source, temporary));
}

/**
 * Qwen2.5-Coder-0.5B's exact shape and real 151,936-token vocabulary with random Q8_0 weights
 * (about 531 MB): costs what the real model costs to load and run, says nothing useful.
 * Random weights never end a text, so give benchmarks fixed output lengths.
 */
export function qwen25Coder05BShape(): Promise<string> {
  return cachedModel("qwen2.5-coder-0.5b-shape-q8_0", { shape: QWEN25_CODER_05B_SHAPE }, (path) => writeGguf(path, qwen25Coder05BSpec()));
}

export type CostFaithfulShape = "0.5b" | "1.5b";

/**
 * Qwen2.5-Coder-0.5B's (or 1.5B's) exact shape, vocabulary and Q8_0 encoding, with every layer
 * weight zero and a bigram head: each token costs what it costs in the real model, and every
 * infill writes exactly `text` (one token per byte) and then <|endoftext|>. About 680 MB (0.5B)
 * or 1.9 GB (1.5B); see test/support/gguf/costFaithful.ts.
 */
export function costFaithfulModel(size: CostFaithfulShape, text: string): Promise<string> {
  const base = size === "0.5b" ? QWEN25_CODER_05B_SHAPE : QWEN25_CODER_15B_SHAPE;
  const shape = { ...base, name: `SLM cost-faithful scripted model (Qwen2.5-Coder-${size.toUpperCase()} shape, zero layers)` };
  return cachedModel(`cost-faithful-qwen2.5-coder-${size}`, { shape, text, costFaithful: 1 }, (path) => writeGguf(path, costFaithfulSpec(shape, text, qwenChatTemplate())));
}

/** Qwen2.5's full vocabulary on the tiny model's body (about 40 MB): real token ids for every text. */
export function qwen25VocabModel(): Promise<string> {
  return cachedModel("qwen2.5-vocab", { shape: TINY_SHAPE, vocab: "qwen2.5" }, (path) => writeGguf(path, qwen25VocabModelSpec()));
}

/** A small Qwen2 (2 layers, 128 wide) for scripted next-edit windows of up to 255 tokens in tests. */
const WINDOW_SCRIPT_TEST_SHAPE = { ...TINY_SHAPE, architecture: "qwen2", name: "Small Qwen2 next-edit test model", embedding: 128, qkvBias: true };

/**
 * A next-edit model writing `pieces` (see gguf/windowScript.ts) and then <|endoftext|>, with zero
 * layer weights and Qwen2.5's vocabulary. "0.5B" and "1.5B" are cost-faithful: the published
 * shapes, about 0.7 GB and 1.9 GB, for benchmarks; "test" is a small shape (~40 MB) for tests.
 */
export function windowScriptModel(size: "0.5B" | "1.5B" | "test", pieces: readonly string[]): Promise<string> {
  const shape = size === "test" ? WINDOW_SCRIPT_TEST_SHAPE : size === "0.5B" ? { ...QWEN25_CODER_05B_SHAPE, name: "Qwen2.5-Coder-0.5B shape" } : QWEN25_CODER_15B_SHAPE;
  return cachedModel(`next-edit-window-${size}`, { shape, pieces }, (path) => writeGguf(path, windowScriptSpec(shape, pieces, qwenChatTemplate())));
}

/**
 * A model that emits exactly `text` for any prompt (infill, plain completion or ChatML chat),
 * then its end token. It carries the tiny model's vocabulary, special tokens and template. Given
 * several texts, it emits the first, and the others start with its runner-up first tokens, in
 * order (inline completion's alternatives).
 */
export function scriptedModel(text: string | readonly string[], options: ScriptedModelOptions = {}): Promise<string> {
  const mode = options.mode ?? "completion";
  return cachedModel("scripted", { text, mode }, (path) => writeGguf(path, scriptedModelSpec(text, mode, qwenChatTemplate())));
}

/**
 * A 2-layer, 64-wide random-weight model of one architecture family (llama, phi2, phi3, gemma,
 * granite, qwen2, starcoder2, deepseek-coder) with the family's real tokenizer where the llama.cpp
 * bundle has one: a few MB, loads in well under a second. See test/support/gguf/families.ts.
 */
export function familyModel(id: FamilyId): Promise<string> {
  const family = FAMILY_MODELS.find((candidate) => candidate.id === id);
  if (family === undefined) {
    throw new Error(`no family model ${id}`);
  }
  const spec = family.spec();
  return cachedModel(`families/${id}`, { family: id, spec: specFingerprint(spec) }, (path) => writeGguf(path, spec));
}

/** The tiny model cut in the middle of its tensor data: llama.cpp refuses it at load. */
export function truncatedModel(): Promise<string> {
  return cachedModel("broken/truncated", { shape: TINY_SHAPE }, async (path) => {
    const layout = await writeGguf(path, tinyModelSpec());
    await truncate(path, layout.dataOffset + Math.floor((layout.fileSize - layout.dataOffset) / 2));
  });
}

/** A valid GGUF whose general.architecture is "slmfake", which llama.cpp cannot run. */
export function unknownArchModel(): Promise<string> {
  return cachedModel("broken/unknown-arch", { architecture: UNKNOWN_ARCHITECTURE, shape: TINY_SHAPE }, (path) => writeGguf(path, unknownArchitectureSpec()));
}

/**
 * A llama whose header describes about 200 GB of tensors, in a sparse file of that size that
 * takes almost no disk. Only a memory check can refuse it.
 */
export function oversizedModel(): Promise<string> {
  return cachedModel("broken/oversized", { shape: OVERSIZED_SHAPE }, (path) => writeGguf(path, oversizedModelSpec(), { tensorData: "sparse" }));
}

/** A LoRA adapter (rank 8, attn_q and attn_v) made for the tiny model. */
export function tinyLoraAdapter(): Promise<string> {
  return cachedModel("lora/tiny", { shape: TINY_SHAPE, lora: 2 }, (path) => writeGguf(path, loraAdapterSpec(TINY_SHAPE)));
}

/**
 * A LoRA adapter for another base model: the tiny model's architecture (llama) at twice its
 * width, so only llama.cpp's shape check can refuse it; or, with `architecture`, one made for
 * a different architecture.
 */
export function foreignLoraAdapter(kind: "shape" | "architecture"): Promise<string> {
  const shape = kind === "shape" ? { ...TINY_SHAPE, embedding: 128, name: "a wider llama" } : { ...TINY_SHAPE, architecture: "qwen2", name: "a qwen2 model" };
  return cachedModel(`lora/foreign-${kind}`, { shape, lora: 1 }, (path) => writeGguf(path, loraAdapterSpec(shape)));
}

/**
 * The tiny model with a header that lies: its tensor count says 2^40 tensors. A reader that
 * trusts it would loop or allocate without end.
 */
export function lyingHeaderModel(): Promise<string> {
  return cachedModel("broken/lying-header", { shape: TINY_SHAPE, tensorCount: "2^40" }, async (path) => {
    await writeGguf(path, tinyModelSpec());
    const handle = await open(path, "r+");
    try {
      const count = Buffer.alloc(8);
      count.writeBigUInt64LE(2n ** 40n);
      await handle.write(count, 0, 8, 8); // after "GGUF" and the u32 version
    } finally {
      await handle.close();
    }
  });
}

/** The hyper-parameter each badHyperparameterModel kind gets wrong; llama.cpp asserts on each (GGML_ASSERT). */
export type BadHyperparameterKind = "blockCount0" | "blockCount600" | "headCount0" | "embeddingLength0" | "expertCount" | "expertUsed";

/** The tiny model's metadata values each kind replaces or adds (the tiny model is a llama). */
export const BAD_HYPERPARAMETERS: Readonly<Record<BadHyperparameterKind, readonly (readonly [string, GgufValue])[]>> = {
  blockCount0: [["llama.block_count", u32(0)]],
  /** Over llama.cpp's LLAMA_MAX_LAYERS (512). */
  blockCount600: [["llama.block_count", u32(600)]],
  headCount0: [["llama.attention.head_count", u32(0)]],
  embeddingLength0: [["llama.embedding_length", u32(0)]],
  /** Over llama.cpp's LLAMA_MAX_EXPERTS (1024). */
  expertCount: [["llama.expert_count", u32(4096)], ["llama.expert_used_count", u32(2)]],
  /** More experts used per token than the model has. */
  expertUsed: [["llama.expert_count", u32(4)], ["llama.expert_used_count", u32(8)]],
};

/**
 * The tiny model with one absurd hyper-parameter (see BAD_HYPERPARAMETERS): the header passes
 * node-llama-cpp's reader and every other check, so without our header check llama.cpp is handed
 * it and aborts the whole process. Load it only in a throwaway child process.
 */
export function badHyperparameterModel(kind: BadHyperparameterKind): Promise<string> {
  const edits = BAD_HYPERPARAMETERS[kind];
  return cachedModel(`broken/hyperparameter-${kind}`, { shape: TINY_SHAPE, edits }, (path) => writeGguf(path, withMetadata(tinyModelSpec(), edits)));
}

/** Entries in hugeArrayModel's array: over modelInfo's 4,000,000 limit. */
export const HUGE_ARRAY_ITEMS = 5_000_000;
export const HUGE_ARRAY_KEY = "slm.test.huge_array";

/**
 * The tiny model with an honest 5,000,000-entry array of short strings under an extra metadata
 * key (about 50 MB of header): valid GGUF that llama.cpp would load, but a header reader that
 * turns every entry into a JavaScript value can run out of memory on it.
 */
export function hugeArrayModel(): Promise<string> {
  return cachedModel("broken/huge-array", { shape: TINY_SHAPE, key: HUGE_ARRAY_KEY, items: HUGE_ARRAY_ITEMS }, (path) => {
    const items = Array.from({ length: HUGE_ARRAY_ITEMS }, (_, i) => String(i % 100));
    return writeGguf(path, withMetadata(tinyModelSpec(), [[HUGE_ARRAY_KEY, strArray(items)]]));
  });
}

function withMetadata(spec: GgufModelSpec, edits: readonly (readonly [string, GgufValue])[]): GgufModelSpec {
  const metadata = new Map(spec.metadata);
  for (const [key, value] of edits) metadata.set(key, value);
  return { ...spec, metadata };
}

/** A text file named like a model. */
export function nonGgufFile(): Promise<string> {
  const path = join(modelCacheDir(), "broken", "not a model.gguf");
  return cachedFile(path, (temporary) => writeFile(temporary, "This is not a GGUF model, just text with a .gguf name.\n"));
}

/** A zero-byte file named like a model. */
export function emptyFile(): Promise<string> {
  const path = join(modelCacheDir(), "broken", "empty.gguf");
  return cachedFile(path, (temporary) => writeFile(temporary, ""));
}

/** `<cache>/<name>-<hash>.gguf`, built by `build` if missing. */
function cachedModel(name: string, params: object, build: (path: string) => Promise<unknown>): Promise<string> {
  const path = join(modelCacheDir(), `${name}-${sourceKey(params)}.gguf`);
  return cachedFile(path, async (temporary) => {
    await build(temporary);
  });
}

/** The cache key: the parameters plus the llama.cpp commit the vocabulary and template come from. */
function sourceKey(params: object): string {
  return cacheKey({ ...params, llamaSource: llamaSourceCommitOnce() });
}

let commit: string | undefined;

function llamaSourceCommitOnce(): string {
  commit ??= llamaSourceCommit();
  return commit;
}
