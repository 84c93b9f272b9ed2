// LoRA adapters in GGUF, as llama.cpp's convert_lora_to_gguf.py writes them: general.type
// "adapter", adapter.type "lora", adapter.lora.alpha, and for each adapted matrix W (ggml dims
// [in, out]) a pair `<W>.lora_a` [in, rank] and `<W>.lora_b` [rank, out].
import { TransformerShape } from "./transformer";
import { GgmlType, GgufModelSpec, TensorSpec } from "./types";
import { f32, str, u32 } from "./values";

export interface LoraOptions {
  readonly rank?: number;
  readonly alpha?: number;
  /** Magnitude of the random weights: large enough that the adapter visibly changes the output. */
  readonly weightScale?: number;
}

/** An adapter for attn_q and attn_v of every layer of a model of `shape`, with small random weights. */
export function loraAdapterSpec(shape: TransformerShape, options: LoraOptions = {}): GgufModelSpec {
  const rank = options.rank ?? 8;
  const n = shape.embedding;
  const kvDim = (n / shape.heads) * shape.kvHeads;
  const tensors: TensorSpec[] = [];
  for (let layer = 0; layer < shape.layers; layer++) {
    for (const [matrix, out] of [["attn_q", n], ["attn_v", kvDim]] as const) {
      const name = `blk.${layer}.${matrix}.weight`;
      tensors.push(
        { name: `${name}.lora_a`, dims: [n, rank], type: GgmlType.F32, data: { kind: "random", scale: options.weightScale ?? 0.3 } },
        { name: `${name}.lora_b`, dims: [rank, out], type: GgmlType.F32, data: { kind: "random", scale: options.weightScale ?? 0.3 } },
      );
    }
  }
  const metadata = new Map([
    ["general.architecture", str(shape.architecture)],
    ["general.type", str("adapter")],
    ["general.name", str(`LoRA for ${shape.name}`)],
    ["adapter.type", str("lora")],
    ["adapter.lora.alpha", f32(options.alpha ?? rank)],
    ["general.file_type", u32(0)],
  ]);
  return { metadata, tensors };
}
