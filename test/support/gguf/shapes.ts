// The model specs behind test/support/models.ts: shapes, vocabularies and weights.
import { qwenChatTemplate } from "./chatTemplate";
import { randomWeights, TransformerShape, transformerSpec } from "./transformer";
import { GgmlType, GgufModelSpec } from "./types";
import { qwen25Vocabulary, tinyVocabulary } from "./vocab";

export const TINY_SHAPE: TransformerShape = {
  architecture: "llama",
  name: "SLM demo model (random weights)",
  contextLength: 4096,
  embedding: 64,
  layers: 2,
  heads: 4,
  kvHeads: 2,
  feedForward: 256,
  ropeFreqBase: 10000,
  rmsNormEpsilon: 1e-6,
  tiedEmbeddings: false,
  qkvBias: false,
};

/** Qwen2.5-Coder-0.5B as published (config.json of Qwen/Qwen2.5-Coder-0.5B). */
export const QWEN25_CODER_05B_SHAPE: TransformerShape = {
  architecture: "qwen2",
  name: "Qwen2.5-Coder-0.5B shape (random weights)",
  contextLength: 32768,
  embedding: 896,
  layers: 24,
  heads: 14,
  kvHeads: 2,
  feedForward: 4864,
  ropeFreqBase: 1_000_000,
  rmsNormEpsilon: 1e-6,
  tiedEmbeddings: true,
  qkvBias: true,
};

/** Qwen2.5-Coder-1.5B as published (config.json of Qwen/Qwen2.5-Coder-1.5B). */
export const QWEN25_CODER_15B_SHAPE: TransformerShape = {
  architecture: "qwen2",
  name: "Qwen2.5-Coder-1.5B shape (random weights)",
  contextLength: 32768,
  embedding: 1536,
  layers: 28,
  heads: 12,
  kvHeads: 2,
  feedForward: 8960,
  ropeFreqBase: 1_000_000,
  rmsNormEpsilon: 1e-6,
  tiedEmbeddings: true,
  qkvBias: true,
};

/** A Llama-70B-like body with 116 layers: about 200 GB of F16 tensors. */
export const OVERSIZED_SHAPE: TransformerShape = {
  architecture: "llama",
  name: "SLM oversized model (sparse, no weights)",
  contextLength: 4096,
  embedding: 8192,
  layers: 116,
  heads: 64,
  kvHeads: 8,
  feedForward: 28672,
  ropeFreqBase: 500000,
  rmsNormEpsilon: 1e-5,
  tiedEmbeddings: false,
  qkvBias: false,
};

/** An architecture name no llama.cpp knows, on an otherwise valid tiny model. */
export const UNKNOWN_ARCHITECTURE = "slmfake";

export function tinyModelSpec(): GgufModelSpec {
  return transformerSpec(TINY_SHAPE, tinyVocabulary(), qwenChatTemplate(), randomWeights(GgmlType.F16, TINY_SHAPE.embedding), GgmlType.F16);
}

export function unknownArchitectureSpec(): GgufModelSpec {
  const shape = { ...TINY_SHAPE, architecture: UNKNOWN_ARCHITECTURE, name: "SLM model of an unknown architecture" };
  return transformerSpec(shape, tinyVocabulary(), qwenChatTemplate(), randomWeights(GgmlType.F16, shape.embedding), GgmlType.F16);
}

export function qwen25Coder05BSpec(): GgufModelSpec {
  const shape = QWEN25_CODER_05B_SHAPE;
  return transformerSpec(shape, qwen25Vocabulary(), qwenChatTemplate(), randomWeights(GgmlType.Q8_0, shape.embedding), GgmlType.Q8_0);
}

export function oversizedModelSpec(): GgufModelSpec {
  const shape = OVERSIZED_SHAPE;
  return transformerSpec(shape, tinyVocabulary(), qwenChatTemplate(), randomWeights(GgmlType.F16, shape.embedding), GgmlType.F16);
}

/**
 * The tiny model's 2-layer, 64-wide body with Qwen2.5's full 151,936-token vocabulary (special,
 * FIM and repo-level tokens at their real ids): about 40 MB, for tests that check exact token
 * sequences (the next-edit prompt) without the 531 MB of the real shape.
 */
export function qwen25VocabModelSpec(): GgufModelSpec {
  const shape = { ...TINY_SHAPE, name: "SLM Qwen2.5 vocabulary model (random weights)" };
  return transformerSpec(shape, qwen25Vocabulary(), qwenChatTemplate(), randomWeights(GgmlType.F16, shape.embedding), GgmlType.F16);
}
