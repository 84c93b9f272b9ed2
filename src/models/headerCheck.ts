/**
 * The hyper-parameters llama.cpp asserts on (GGML_ASSERT aborts the whole process), checked in a
 * GGUF header before any native code or node-llama-cpp's reader sees the file.
 */
import type { RawHeader } from "./modelInfo";
import { ModelProblem } from "./problems";

/**
 * TEST-ONLY escape hatch: with SLM_TEST_UNSAFE_SKIP_HEADER_CHECK=1 in the environment,
 * readModelInfo skips checkHyperparameters (not the array and text size limits, nor the checks
 * for truncated or lying headers), so a crash-isolation test can hand llama.cpp a file that kills
 * the process it runs in. Never set it for real use.
 */
export const UNSAFE_SKIP_HEADER_CHECK_ENV = "SLM_TEST_UNSAFE_SKIP_HEADER_CHECK";

/** False only while the test-only SLM_TEST_UNSAFE_SKIP_HEADER_CHECK=1 is set. */
export function headerCheckEnabled(): boolean {
  return process.env[UNSAFE_SKIP_HEADER_CHECK_ENV] !== "1";
}

/** llama.cpp's LLAMA_MAX_LAYERS and LLAMA_MAX_EXPERTS (src/llama-hparams.h). */
const MAX_LAYERS = 512;
const MAX_EXPERTS = 1024;
/** Far beyond any real model (the widest have about 25,000), far below sizes that overflow. */
const MAX_EMBEDDING = 131_072;
/** 16.7M tokens: above any real model's training context (Llama 4 Scout's is 10M). */
const MAX_CONTEXT = 2 ** 24;
/** Architectures whose layers may have no attention or no FFN (llm_arch_is_recurrent/_hybrid, DeciLM's attention-free layers). */
const LAYERS_MAY_LACK_ATTENTION = new Set([
  "mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "jamba", "falcon-h1", "plamo2", "granitehybrid", "lfm2", "lfm2moe",
  "nemotron_h", "nemotron_h_moe", "qwen3next", "kimi-linear", "bailingmoe3", "kimi-k3", "qwen35", "qwen35moe", "qwen4exp",
  "deepseek4", "minimax-01", "deci", "wavtokenizer-dec",
]);
/** Architectures whose token_embd.weight is not [embedding_length, vocabulary size]. */
const OWN_EMBEDDING_SHAPE = new Set(["eagle3", "dflash", "wavtokenizer-dec", "falcon-h1"]);
/** llama.cpp drops the experts of these when expert_count <= 1. */
const EXPERTS_OPTIONAL = new Set(["hunyuan-dense", "hunyuan_vl"]);
const ROPE_SCALING_TYPES = new Set(["none", "linear", "yarn", "longrope"]);

/**
 * Refuses a header whose hyper-parameters llama.cpp asserts on (GGML_ASSERT aborts the whole
 * process, the extension host with it) or cannot make sense of: layer, head, expert counts out of
 * range, zero widths, a vocabulary that does not match the token embedding. Only the file's own
 * architecture's keys are looked at, and only those present (llama.cpp reports missing required
 * keys itself, without crashing). Adapter files carry no hyper-parameters and are not checked.
 */
export function checkHyperparameters(header: RawHeader, label: string): void {
  const architecture = header.metadata.get("general.architecture");
  if (typeof architecture !== "string" || !architecture || header.metadata.get("general.type") === "adapter") return;
  const key = (name: string) => `${architecture}.${name}`;
  // What happens without the check, as seen with node-llama-cpp 3.22.1's llama.cpp (GGML_ASSERT: SIGABRT).
  const CANNOT_LOAD = "llama.cpp would refuse it";
  const NOT_REAL = "no real model has that";
  const refuse = (said: string, consequence = "llama.cpp would crash on it") => {
    throw new ModelProblem(
      "badHeader",
      `The model file ${label} says ${said}; ${consequence}, so it is not loaded. The file is damaged or not a real model.`,
    );
  };
  const scalar = (name: string): number | undefined => {
    const value = header.metadata.get(key(name));
    return typeof value === "number" || typeof value === "bigint" ? Number(value) : undefined;
  };
  /** A per-layer value: one number for every layer, or an array of one per layer. */
  const perLayer = (name: string): readonly number[] | undefined => {
    const value = scalar(name);
    return value !== undefined ? [value] : header.arrays.get(key(name))?.values;
  };
  const count = (n: number) => n.toLocaleString("en-US");
  const mayLackAttention = LAYERS_MAY_LACK_ATTENTION.has(architecture);

  const layers = scalar("block_count");
  if (layers !== undefined && !(layers >= 1 && layers <= MAX_LAYERS)) {
    refuse(`it has ${count(layers)} layers (${key("block_count")})`);
  }
  const nextn = scalar("nextn_predict_layers");
  if (nextn !== undefined && layers !== undefined && nextn > layers) {
    refuse(`${count(nextn)} of its ${count(layers)} layers predict further tokens (${key("nextn_predict_layers")})`);
  }
  const context = scalar("context_length");
  if (context !== undefined && !(context >= 1 && context <= MAX_CONTEXT)) {
    refuse(`it was trained on a context of ${count(context)} tokens (${key("context_length")})`, NOT_REAL);
  }
  const embedding = scalar("embedding_length");
  if (embedding !== undefined && !(embedding >= 1)) refuse(`its embeddings are ${count(embedding)} wide (${key("embedding_length")})`);
  if (embedding !== undefined && embedding > MAX_EMBEDDING) refuse(`its embeddings are ${count(embedding)} wide (${key("embedding_length")})`, NOT_REAL);

  const heads = perLayer("attention.head_count");
  if (heads !== undefined && !mayLackAttention) {
    if (Math.max(...heads) < 1) refuse(`it has 0 attention heads (${key("attention.head_count")})`);
    if (embedding !== undefined && Math.max(...heads) > embedding) {
      refuse(`it has ${count(Math.max(...heads))} attention heads (${key("attention.head_count")}) for embeddings only ${count(embedding)} wide`);
    }
  }
  const kvHeads = perLayer("attention.head_count_kv");
  if (kvHeads !== undefined && heads !== undefined) {
    kvHeads.forEach((kv, layer) => {
      const head = heads.length === 1 ? heads[0]! : heads[layer];
      if (head !== undefined && kv > head) {
        const where = kvHeads.length > 1 ? ` in layer ${layer}` : "";
        refuse(`it has ${count(kv)} key/value heads${where} (${key("attention.head_count_kv")}) but only ${count(head)} attention heads (${key("attention.head_count")})`, CANNOT_LOAD);
      }
    });
    // Per-layer arrays may hold 0 for layers without attention (DeciLM, hybrids); one number may not.
    if (!mayLackAttention && kvHeads.length === 1 && kvHeads[0] === 0 && Math.max(...heads) > 0) {
      refuse(`it has 0 key/value heads (${key("attention.head_count_kv")})`);
    }
  }
  const feedForward = perLayer("feed_forward_length");
  if (feedForward !== undefined && !mayLackAttention && Math.max(...feedForward) < 1) {
    refuse(`its feed-forward layers are 0 wide (${key("feed_forward_length")})`);
  }

  let experts = scalar("expert_count") ?? 0;
  let used = Math.max(0, ...(perLayer("expert_used_count") ?? []));
  if (EXPERTS_OPTIONAL.has(architecture) && experts <= 1) experts = used = 0;
  if (experts > MAX_EXPERTS) refuse(`it has ${count(experts)} experts (${key("expert_count")})`);
  if (used > experts) {
    refuse(`it routes each token to ${count(used)} experts (${key("expert_used_count")}) but has only ${count(experts)} (${key("expert_count")})`);
  }
  if (experts > 0 && used < 1) refuse(`it routes each token to none of its ${count(experts)} experts (${key("expert_used_count")})`);
  const groups = scalar("expert_group_count") ?? 0;
  const groupsUsed = scalar("expert_group_used_count") ?? 0;
  const badGroups =
    experts > 0 ? groups >= experts || (groups > 1 && (experts % groups !== 0 || groupsUsed < 1 || groupsUsed >= groups)) : groups !== 0;
  if (badGroups) {
    refuse(`its ${count(experts)} experts form ${count(groups)} groups of which ${count(groupsUsed)} are used (${key("expert_group_count")}, ${key("expert_group_used_count")})`);
  }

  const ropeScaling = header.metadata.get(key("rope.scaling.type"));
  if (typeof ropeScaling === "string" && !ROPE_SCALING_TYPES.has(ropeScaling)) {
    refuse(`its RoPE scaling is "${ropeScaling.slice(0, 40)}" (${key("rope.scaling.type")})`);
  }

  const dims = header.tokenEmbeddingDims;
  if (dims && dims.length >= 2 && !OWN_EMBEDDING_SHAPE.has(architecture)) {
    if (embedding !== undefined && dims[0] !== embedding) {
      refuse(`its embeddings are ${count(embedding)} wide (${key("embedding_length")}) but its token embedding tensor is ${count(dims[0]!)} wide`, CANNOT_LOAD);
    }
    const vocabulary = header.arrays.get("tokenizer.ggml.tokens")?.length;
    if (vocabulary !== undefined && dims[1] !== vocabulary) {
      refuse(`it has ${count(vocabulary)} tokens (tokenizer.ggml.tokens) but its token embedding tensor has ${count(dims[1]!)}`, CANNOT_LOAD);
    }
  }
}

