// GGUF specs for llama-family decoder models (llama, qwen2): the metadata llama.cpp requires
// for the architecture and the tensors it loads, with weights chosen by the caller.
import { GgmlType, GgufModelSpec, GgufValue, TensorData, TensorSpec } from "./types";
import { f32, str, u32 } from "./values";
import { tokenizerMetadata, Vocabulary } from "./vocab";

export interface TransformerShape {
  /** general.architecture; llama.cpp loads "llama" and "qwen2" with these tensors. */
  readonly architecture: string;
  readonly name: string;
  readonly contextLength: number;
  readonly embedding: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly feedForward: number;
  readonly ropeFreqBase: number;
  readonly rmsNormEpsilon: number;
  /** No output.weight: llama.cpp reuses token_embd for the output projection. */
  readonly tiedEmbeddings: boolean;
  /** Qwen2 has biases on the q, k and v projections. */
  readonly qkvBias: boolean;
}

export type TensorRole = "embedding" | "output" | "norm" | "bias" | "matrix";

/** Picks each tensor's encoding and content. */
export type WeightPlan = (tensor: { readonly name: string; readonly dims: readonly number[]; readonly role: TensorRole }) => {
  readonly type: GgmlType;
  readonly data: TensorData;
};

export function transformerSpec(shape: TransformerShape, vocab: Vocabulary, chatTemplate: string, weights: WeightPlan, fileType: GgmlType): GgufModelSpec {
  const metadata = new Map<string, GgufValue>([
    ...architectureMetadata(shape, fileType),
    ...tokenizerMetadata(vocab, chatTemplate),
  ]);
  const tensors = transformerTensors(shape, vocab.tokens.length).map(({ name, dims, role }): TensorSpec => ({
    name,
    dims,
    ...weights({ name, dims, role }),
  }));
  return { metadata, tensors };
}

function architectureMetadata(shape: TransformerShape, fileType: GgmlType): [string, GgufValue][] {
  const arch = shape.architecture;
  return [
    ["general.architecture", str(arch)],
    ["general.name", str(shape.name)],
    ["general.file_type", u32(llamaFileType(fileType))],
    ["general.quantization_version", u32(2)],
    [`${arch}.context_length`, u32(shape.contextLength)],
    [`${arch}.embedding_length`, u32(shape.embedding)],
    [`${arch}.block_count`, u32(shape.layers)],
    [`${arch}.feed_forward_length`, u32(shape.feedForward)],
    [`${arch}.attention.head_count`, u32(shape.heads)],
    [`${arch}.attention.head_count_kv`, u32(shape.kvHeads)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(shape.rmsNormEpsilon)],
    [`${arch}.rope.freq_base`, f32(shape.ropeFreqBase)],
  ];
}

/** llama_ftype of a file whose big matrices use `type` (general.file_type is informational). */
function llamaFileType(type: GgmlType): number {
  switch (type) {
    case GgmlType.F32: return 0;
    case GgmlType.F16: return 1;
    case GgmlType.Q4_0: return 2;
    case GgmlType.Q8_0: return 7;
  }
}

function transformerTensors(shape: TransformerShape, vocabSize: number): { name: string; dims: number[]; role: TensorRole }[] {
  const headDim = shape.embedding / shape.heads;
  const kvDim = headDim * shape.kvHeads;
  const n = shape.embedding;
  const tensors: { name: string; dims: number[]; role: TensorRole }[] = [
    { name: "token_embd.weight", dims: [n, vocabSize], role: "embedding" },
  ];
  for (let layer = 0; layer < shape.layers; layer++) {
    const blk = `blk.${layer}`;
    tensors.push(
      { name: `${blk}.attn_norm.weight`, dims: [n], role: "norm" },
      { name: `${blk}.attn_q.weight`, dims: [n, n], role: "matrix" },
      { name: `${blk}.attn_k.weight`, dims: [n, kvDim], role: "matrix" },
      { name: `${blk}.attn_v.weight`, dims: [n, kvDim], role: "matrix" },
    );
    if (shape.qkvBias) {
      tensors.push(
        { name: `${blk}.attn_q.bias`, dims: [n], role: "bias" },
        { name: `${blk}.attn_k.bias`, dims: [kvDim], role: "bias" },
        { name: `${blk}.attn_v.bias`, dims: [kvDim], role: "bias" },
      );
    }
    tensors.push(
      { name: `${blk}.attn_output.weight`, dims: [n, n], role: "matrix" },
      { name: `${blk}.ffn_norm.weight`, dims: [n], role: "norm" },
      { name: `${blk}.ffn_gate.weight`, dims: [n, shape.feedForward], role: "matrix" },
      { name: `${blk}.ffn_up.weight`, dims: [n, shape.feedForward], role: "matrix" },
      { name: `${blk}.ffn_down.weight`, dims: [shape.feedForward, n], role: "matrix" },
    );
  }
  tensors.push({ name: "output_norm.weight", dims: [n], role: "norm" });
  if (!shape.tiedEmbeddings) {
    tensors.push({ name: "output.weight", dims: [n, vocabSize], role: "output" });
  }
  return tensors;
}

/**
 * Random weights of `type` for matrices, exact ones for norms and small random biases: cheap to
 * write, and with a scale near 1/sqrt(n) the activations stay finite through every layer.
 */
export function randomWeights(type: GgmlType, embedding: number): WeightPlan {
  const scale = 1 / Math.sqrt(embedding);
  return ({ role }) => {
    switch (role) {
      case "norm":
        return { type: GgmlType.F32, data: { kind: "constant", value: 1 } };
      case "bias":
        return { type: GgmlType.F32, data: { kind: "random", scale: 0.1 } };
      case "embedding":
      case "output":
      case "matrix":
        return { type, data: { kind: "random", scale } };
    }
  };
}
