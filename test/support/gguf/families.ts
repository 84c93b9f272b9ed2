// Tiny random-weight models of the architectures people run as small local models, each with the
// tensors and metadata llama.cpp's loader requires for that architecture and, where the llama.cpp
// bundle has one, the family's real tokenizer (models/ggml-vocab-*.gguf) and chat template.
import { createHash } from "node:crypto";
import { readLlamaSourceFile } from "./llamaSource";
import { parseGgufHeader } from "./reader";
import { randomWeights, TensorRole } from "./transformer";
import { GgmlType, GgufModelSpec, GgufValue, GgufValueType, TensorSpec } from "./types";
import { bool, f32, str, u32 } from "./values";
import { qwenChatTemplate } from "./chatTemplate";
import { TokenType, tinyVocabulary, tokenizerMetadata } from "./vocab";

export type FamilyId = "llama" | "phi2" | "phi3" | "gemma" | "granite" | "qwen2" | "starcoder2" | "deepseek-coder";

/** How one architecture lays out its blocks, as llama.cpp's loader for it expects. */
interface BlockLayout {
  /** RMSNorm (weight) or LayerNorm (weight and bias). */
  readonly norm: "rms" | "layer";
  /** Separate q/k/v or one fused attn_qkv (Phi's conversions write it fused). */
  readonly qkv: "separate" | "fused";
  readonly qkvBias: boolean;
  readonly outputBias: boolean;
  /** gated: gate/up/down (SwiGLU/GeGLU); fusedGateUp: Phi-3's up of 2×ff; plain: up/down (GELU). */
  readonly ffn: "gated" | "fusedGateUp" | "plain";
  readonly ffnBias: boolean;
  /** Phi-2 runs attention and FFN in parallel off one norm: no ffn_norm. */
  readonly ffnNorm: boolean;
  /** tied: output reuses token_embd; separate: output.weight; withBias: also output.bias (Phi-2). */
  readonly output: "tied" | "separate" | "withBias";
}

export interface FamilyModelSpec {
  readonly id: FamilyId;
  /** Which published models this stands for. */
  readonly standsFor: string;
  readonly architecture: string;
  readonly name: string;
  /** Where the tokenizer comes from, for the test's description. */
  readonly tokenizer: string;
  readonly spec: () => GgufModelSpec;
}

const EMBEDDING = 64;
const LAYERS = 2;
const HEADS = 4;
const FEED_FORWARD = 128;
const CONTEXT = 2048;

/** TinyLlama-1.1B-Chat's (Zephyr) template; Llama 2 / Mistral instruct use [INST], node-llama-cpp's own fallback. */
const ZEPHYR_TEMPLATE =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n" +
  "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

const LLAMA_BLOCK: BlockLayout = { norm: "rms", qkv: "separate", qkvBias: false, outputBias: false, ffn: "gated", ffnBias: false, ffnNorm: true, output: "separate" };

export const FAMILY_MODELS: readonly FamilyModelSpec[] = [
  {
    id: "llama",
    standsFor: "TinyLlama / Llama 2 / Mistral",
    architecture: "llama",
    name: "TinyLlama-1.1B-Chat (random weights)",
    tokenizer: "ggml-vocab-llama-spm (Llama 2's SentencePiece, 32,000 tokens)",
    spec: () => familySpec("llama", "TinyLlama-1.1B-Chat (random weights)", LLAMA_BLOCK, 2, bundledTokenizer("llama-spm", { template: ZEPHYR_TEMPLATE })),
  },
  {
    id: "phi2",
    standsFor: "Phi-2",
    architecture: "phi2",
    name: "Phi-2 (random weights)",
    tokenizer: "ggml-vocab-gpt-2 (Phi-2's CodeGen tokenizer is GPT-2's BPE plus whitespace tokens)",
    spec: () =>
      familySpec("phi2", "Phi-2 (random weights)", {
        norm: "layer", qkv: "fused", qkvBias: true, outputBias: true, ffn: "plain", ffnBias: true, ffnNorm: false, output: "withBias",
      }, HEADS, bundledTokenizer("gpt-2", { template: null })),
  },
  {
    id: "phi3",
    standsFor: "Phi-3-mini",
    architecture: "phi3",
    name: "Phi-3-mini-4k (random weights)",
    tokenizer: "ggml-vocab-phi-3 (with its chat template)",
    spec: () =>
      familySpec("phi3", "Phi-3-mini-4k (random weights)", {
        norm: "rms", qkv: "fused", qkvBias: false, outputBias: false, ffn: "fusedGateUp", ffnBias: false, ffnNorm: true, output: "separate",
      }, HEADS, bundledTokenizer("phi-3", {})),
  },
  {
    id: "gemma",
    standsFor: "Gemma 2B / CodeGemma 2B",
    architecture: "gemma",
    name: "CodeGemma-2B (random weights)",
    tokenizer:
      "ggml-vocab-llama-spm plus CodeGemma's control tokens: the bundle has no Gemma 1/2 vocabulary (only Gemma 4's, 262k tokens), " +
      "and Gemma's own 256k-token SentencePiece would make a 'tiny' model 30 MB",
    spec: () =>
      familySpec("gemma", "CodeGemma-2B (random weights)", {
        norm: "rms", qkv: "separate", qkvBias: false, outputBias: false, ffn: "gated", ffnBias: false, ffnNorm: true, output: "tied",
      }, 1, bundledTokenizer("llama-spm", {
        template: templateFromBundle("google-gemma-2-2b-it.jinja"),
        append: ["<start_of_turn>", "<end_of_turn>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|file_separator|>"],
        // As in Gemma's own GGUFs: no space is put before text that follows a control token.
        set: [["tokenizer.ggml.add_space_prefix", bool(false)]],
      })),
  },
  {
    id: "granite",
    standsFor: "Granite 3.x",
    architecture: "granite",
    name: "Granite-3.3-2B-Base (random weights)",
    tokenizer: "ggml-vocab-starcoder with Granite 3's role tokens (Granite 3 extends StarCoder's BPE vocabulary)",
    spec: () =>
      familySpec("granite", "Granite-3.3-2B-Base (random weights)", {
        norm: "rms", qkv: "separate", qkvBias: false, outputBias: false, ffn: "gated", ffnBias: false, ffnNorm: true, output: "tied",
      }, 2, bundledTokenizer("starcoder", {
        template: templateFromBundle("ibm-granite-granite-3.3-2B-Instruct.jinja"),
        rename: new Map([[0, "<|end_of_text|>"]]),
        append: ["<|start_of_role|>", "<|end_of_role|>", "<|tool_call|>"],
      }), [
        ["granite.logit_scale", f32(8)],
        ["granite.residual_scale", f32(0.22)],
        ["granite.embedding_scale", f32(12)],
        ["granite.attention.scale", f32(0.015625)],
      ]),
  },
  {
    id: "qwen2",
    standsFor: "Qwen2.5-Coder",
    architecture: "qwen2",
    name: "Qwen2.5-Coder-0.5B (random weights)",
    tokenizer: "ggml-vocab-qwen2 cut to its first 4,000 BPE tokens plus Qwen2.5-Coder's special, FIM and ChatML tokens",
    spec: () =>
      familySpec("qwen2", "Qwen2.5-Coder-0.5B (random weights)", {
        norm: "rms", qkv: "separate", qkvBias: true, outputBias: false, ffn: "gated", ffnBias: false, ffnNorm: true, output: "tied",
      }, 2, tokenizerMetadata(tinyVocabulary(), qwenChatTemplate())),
  },
  {
    id: "starcoder2",
    standsFor: "StarCoder2",
    architecture: "starcoder2",
    name: "StarCoder2-3B (random weights)",
    tokenizer: "ggml-vocab-starcoder (StarCoder2's 49,152-token BPE with <fim_*>, <repo_name>, <file_sep>)",
    spec: () =>
      familySpec("starcoder2", "StarCoder2-3B (random weights)", {
        norm: "layer", qkv: "separate", qkvBias: true, outputBias: true, ffn: "plain", ffnBias: true, ffnNorm: true, output: "tied",
      }, 2, bundledTokenizer("starcoder", { template: null })),
  },
  {
    id: "deepseek-coder",
    standsFor: "DeepSeek-Coder",
    architecture: "llama",
    name: "DeepSeek-Coder-1.3B-base (random weights)",
    tokenizer: "ggml-vocab-deepseek-coder (32,256-token BPE with <｜fim▁begin｜>/<｜fim▁hole｜>/<｜fim▁end｜>)",
    spec: () => familySpec("llama", "DeepSeek-Coder-1.3B-base (random weights)", LLAMA_BLOCK, 2, bundledTokenizer("deepseek-coder", { template: null })),
  },
];

/** A hash of everything a spec writes except random tensor content: changes whenever the generator's output would. */
export function specFingerprint(spec: GgufModelSpec): string {
  const hash = createHash("sha256");
  for (const [key, value] of spec.metadata) {
    hash.update(key).update(JSON.stringify(value, (_, item: unknown) => (typeof item === "bigint" ? item.toString() : item)));
  }
  for (const tensor of spec.tensors) {
    hash.update(JSON.stringify(tensor));
  }
  return hash.digest("hex").slice(0, 16);
}

interface TokenizerEdits {
  /** Replaces the vocabulary's chat template; null removes it; absent keeps what the file has. */
  readonly template?: string | null;
  /** New token texts for some ids (e.g. Granite 3 renames StarCoder's <|endoftext|>). */
  readonly rename?: ReadonlyMap<number, string>;
  /** Control tokens appended after the vocabulary. */
  readonly append?: readonly string[];
  /** Other tokenizer keys to set. */
  readonly set?: readonly [string, GgufValue][];
}

/** Every tokenizer.* key of a bundled vocabulary GGUF, edited. */
function bundledTokenizer(vocab: string, edits: TokenizerEdits): [string, GgufValue][] {
  const path = `models/ggml-vocab-${vocab}.gguf`;
  const file = readLlamaSourceFile(path);
  if (file === undefined) {
    throw new Error(`the llama.cpp bundle has no ${path}`);
  }
  const { metadata } = parseGgufHeader(file);
  const entries = new Map([...metadata].filter(([key]) => key.startsWith("tokenizer.")));
  const append = edits.append ?? [];
  const extend = (key: string, map: (value: string | number | bigint | boolean, index: number) => string | number | bigint | boolean, extra: (string | number)[]) => {
    const value = entries.get(key);
    if (value?.type === GgufValueType.ARRAY) {
      entries.set(key, { ...value, value: [...value.value.map(map), ...extra] });
    }
  };
  extend("tokenizer.ggml.tokens", (token, index) => edits.rename?.get(index) ?? token, [...append]);
  extend("tokenizer.ggml.token_type", (type) => type, append.map(() => TokenType.CONTROL));
  extend("tokenizer.ggml.scores", (score) => score, append.map(() => 0));
  for (const [key, value] of edits.set ?? []) entries.set(key, value);
  if (edits.template === null) {
    entries.delete("tokenizer.chat_template");
  } else if (edits.template !== undefined) {
    entries.set("tokenizer.chat_template", str(edits.template));
  }
  return [...entries];
}

function templateFromBundle(name: string): string {
  const template = readLlamaSourceFile(`models/templates/${name}`);
  if (template === undefined) {
    throw new Error(`the llama.cpp bundle has no models/templates/${name}`);
  }
  return template.toString("utf8");
}

function vocabularySize(tokenizer: readonly [string, GgufValue][]): number {
  const tokens = tokenizer.find(([key]) => key === "tokenizer.ggml.tokens")?.[1];
  if (tokens?.type !== GgufValueType.ARRAY) {
    throw new Error("tokenizer has no token list");
  }
  return tokens.value.length;
}

/**
 * A 2-layer, 64-wide model: Q8_0 matrices (a 50k-token embedding is 3.4 MB), F32 norms and
 * random biases, so activations stay finite and any architecture generates real tokens.
 */
function familySpec(
  architecture: string,
  name: string,
  layout: BlockLayout,
  kvHeads: number,
  tokenizer: [string, GgufValue][],
  extraMetadata: [string, GgufValue][] = [],
): GgufModelSpec {
  const epsilonKey = layout.norm === "rms" ? "layer_norm_rms_epsilon" : "layer_norm_epsilon";
  const metadata = new Map<string, GgufValue>([
    ["general.architecture", str(architecture)],
    ["general.name", str(name)],
    ["general.file_type", u32(7)],
    ["general.quantization_version", u32(2)],
    [`${architecture}.context_length`, u32(CONTEXT)],
    [`${architecture}.embedding_length`, u32(EMBEDDING)],
    [`${architecture}.block_count`, u32(LAYERS)],
    [`${architecture}.feed_forward_length`, u32(FEED_FORWARD)],
    [`${architecture}.attention.head_count`, u32(HEADS)],
    [`${architecture}.attention.head_count_kv`, u32(kvHeads)],
    [`${architecture}.attention.${epsilonKey}`, f32(1e-5)],
    [`${architecture}.rope.freq_base`, f32(10000)],
    ...extraMetadata,
    ...tokenizer,
  ]);
  const weights = randomWeights(GgmlType.Q8_0, EMBEDDING);
  const tensors = familyTensors(layout, kvHeads, vocabularySize(tokenizer)).map(({ name: tensor, dims, role }): TensorSpec => ({
    name: tensor,
    dims,
    ...weights({ name: tensor, dims, role }),
  }));
  return { metadata, tensors };
}

function familyTensors(layout: BlockLayout, kvHeads: number, vocabSize: number): { name: string; dims: number[]; role: TensorRole }[] {
  const n = EMBEDDING;
  const kvDim = (EMBEDDING / HEADS) * kvHeads;
  const tensors: { name: string; dims: number[]; role: TensorRole }[] = [{ name: "token_embd.weight", dims: [n, vocabSize], role: "embedding" }];
  const norm = (prefix: string) => {
    tensors.push({ name: `${prefix}.weight`, dims: [n], role: "norm" });
    if (layout.norm === "layer") tensors.push({ name: `${prefix}.bias`, dims: [n], role: "bias" });
  };
  const linear = (prefix: string, inputs: number, outputs: number, bias: boolean) => {
    tensors.push({ name: `${prefix}.weight`, dims: [inputs, outputs], role: "matrix" });
    if (bias) tensors.push({ name: `${prefix}.bias`, dims: [outputs], role: "bias" });
  };
  for (let layer = 0; layer < LAYERS; layer++) {
    const blk = `blk.${layer}`;
    norm(`${blk}.attn_norm`);
    if (layout.qkv === "fused") {
      linear(`${blk}.attn_qkv`, n, n + 2 * kvDim, layout.qkvBias);
    } else {
      linear(`${blk}.attn_q`, n, n, layout.qkvBias);
      linear(`${blk}.attn_k`, n, kvDim, layout.qkvBias);
      linear(`${blk}.attn_v`, n, kvDim, layout.qkvBias);
    }
    linear(`${blk}.attn_output`, n, n, layout.outputBias);
    if (layout.ffnNorm) norm(`${blk}.ffn_norm`);
    switch (layout.ffn) {
      case "gated":
        linear(`${blk}.ffn_gate`, n, FEED_FORWARD, layout.ffnBias);
        linear(`${blk}.ffn_up`, n, FEED_FORWARD, layout.ffnBias);
        break;
      case "fusedGateUp":
        linear(`${blk}.ffn_up`, n, 2 * FEED_FORWARD, layout.ffnBias);
        break;
      case "plain":
        linear(`${blk}.ffn_up`, n, FEED_FORWARD, layout.ffnBias);
        break;
    }
    linear(`${blk}.ffn_down`, FEED_FORWARD, n, layout.ffnBias);
  }
  norm("output_norm");
  if (layout.output !== "tied") {
    tensors.push({ name: "output.weight", dims: [n, vocabSize], role: "output" });
    if (layout.output === "withBias") tensors.push({ name: "output.bias", dims: [vocabSize], role: "bias" });
  }
  return tensors;
}
